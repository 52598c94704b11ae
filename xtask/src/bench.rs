//! `cargo xtask bench`: the server's load benchmark.
//!
//! Runs `cargo bench -p switchboard-server --bench load` (release profile) and
//! passes its output through. The bench starts the real server on
//! `127.0.0.1:0` with a fresh SQLite file per measurement and reports ingest
//! rate, claim latency with 200 racing agents and event delivery latency to
//! 500 SSE followers, each beside its target. A missed target is reported, not
//! failed: this exits non-zero only when the bench itself broke. With
//! `--backend postgres` (or `all`) it also measures PostgreSQL with one and
//! with two server instances. See
//! `crates/server/benches/load.rs` for what is measured and how.
//!
//! The phase `classifier` (`--only classifier`, and part of a run without
//! `--only`) is the categorization benchmark instead:
//! `cargo bench -p switchboard-classify --bench accuracy` trains on the
//! labelled set's training split and reports held-out accuracy, macro-F1,
//! per-category precision/recall, coverage at the confidence threshold and
//! training time (`crates/classify/benches/accuracy.rs`).
//!
//! The phase `desktop` (`--only desktop`; not part of a run without `--only`:
//! it needs the desktop session tools and two release Tauri builds) measures
//! the real desktop app beside an empty Tauri 2 window: start-up, idle
//! memory with 10,000 cached conversations, rendering and scrolling that
//! queue, server event → notification latency and breach lateness. It runs
//! `setup` (UI into `ui/dist`), builds `xtask/bench-empty-app` in release,
//! then `cargo bench -p switchboard --bench desktop`
//! (`tests/desktop/bench.rs`), which prints the table and writes
//! `target/bench/desktop.json`.

use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context, Result};

#[derive(clap::Args, Debug, Default)]
pub struct BenchArgs {
    /// Multiply the operation counts (e.g. 0.1 for a quick check); sets
    /// SWITCHBOARD_BENCH_SCALE. The 200 agents and 500 followers stay.
    #[arg(long)]
    pub scale: Option<f64>,
    /// Run only these phases, comma-separated: ingest,store,claims,events
    /// (sets SWITCHBOARD_BENCH_ONLY for the load bench), classifier and
    /// desktop (only when named).
    #[arg(long)]
    pub only: Option<String>,
    /// Store backend: sqlite (default), postgres (one and two instances on
    /// a throwaway PostgreSQL) or all (sets SWITCHBOARD_BENCH_BACKEND).
    #[arg(long)]
    pub backend: Option<String>,
}

pub fn run(root: &Path, args: &BenchArgs) -> Result<()> {
    let phases: Option<Vec<&str>> = args.only.as_deref().map(|o| {
        o.split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect()
    });
    let classifier = phases.as_ref().is_none_or(|p| p.contains(&"classifier"));
    let desktop = phases.as_ref().is_some_and(|p| p.contains(&"desktop"));
    let load_phases: Option<Vec<&str>> = phases.as_ref().map(|p| {
        p.iter()
            .copied()
            .filter(|&x| x != "classifier" && x != "desktop")
            .collect()
    });
    if classifier {
        run_classifier(root)?;
    }
    if desktop {
        run_desktop(root)?;
    }
    if load_phases.as_ref().is_some_and(Vec::is_empty) {
        return Ok(());
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(root)
        .args(["bench", "-p", "switchboard-server", "--bench", "load"]);
    if let Some(s) = args.scale {
        cmd.env("SWITCHBOARD_BENCH_SCALE", s.to_string());
    }
    if let Some(o) = &load_phases {
        cmd.env("SWITCHBOARD_BENCH_ONLY", o.join(","));
    }
    if let Some(b) = &args.backend {
        cmd.env("SWITCHBOARD_BENCH_BACKEND", b);
    }
    eprintln!("xtask bench: cargo bench -p switchboard-server --bench load");
    let status = cmd.status().context("running cargo bench")?;
    if !status.success() {
        bail!("the load benchmark failed ({status})");
    }
    Ok(())
}

/// The categorization benchmark (accuracy on the held-out split).
fn run_classifier(root: &Path) -> Result<()> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    eprintln!("xtask bench: cargo bench -p switchboard-classify --bench accuracy");
    let status = Command::new(cargo)
        .current_dir(root)
        .args(["bench", "-p", "switchboard-classify", "--bench", "accuracy"])
        .status()
        .context("running cargo bench")?;
    if !status.success() {
        bail!("the classifier benchmark failed ({status})");
    }
    Ok(())
}

/// The desktop benchmark: the app (release) beside an empty Tauri 2 window.
fn run_desktop(root: &Path) -> Result<()> {
    crate::setup::run(root, &crate::setup::SetupArgs::default())?;
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .map(|p| if p.is_absolute() { p } else { root.join(p) })
        .unwrap_or_else(|| root.join("target"));
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let incremental = std::env::var_os("CARGO_INCREMENTAL").unwrap_or_else(|| "0".into());

    eprintln!("xtask bench: the empty Tauri window (xtask/bench-empty-app, release)");
    let status = Command::new(&cargo)
        .current_dir(root)
        .args([
            "build",
            "--release",
            "--manifest-path",
            "xtask/bench-empty-app/Cargo.toml",
        ])
        .env("CARGO_TARGET_DIR", &target)
        .env("CARGO_INCREMENTAL", &incremental)
        .status()
        .context("building the empty window")?;
    if !status.success() {
        bail!("building xtask/bench-empty-app failed ({status})");
    }
    let empty = target.join("release").join(if cfg!(windows) {
        "bench-empty-app.exe"
    } else {
        "bench-empty-app"
    });

    eprintln!("xtask bench: cargo bench -p switchboard --bench desktop");
    let status = Command::new(&cargo)
        .current_dir(root)
        .args(["bench", "-p", "switchboard", "--bench", "desktop"])
        .env("CARGO_TARGET_DIR", &target)
        .env("CARGO_INCREMENTAL", &incremental)
        .env("SWITCHBOARD_BENCH_EMPTY_APP", &empty)
        .status()
        .context("running cargo bench")?;
    if !status.success() {
        bail!("the desktop benchmark failed ({status})");
    }
    Ok(())
}

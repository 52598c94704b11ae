//! `cargo xtask bench`: the server's load benchmark.
//!
//! Runs `cargo bench -p switchboard-server --bench load` (release profile) and
//! passes its output through. The bench starts the real server on
//! `127.0.0.1:0` with a fresh SQLite file per measurement and reports ingest
//! rate, claim latency with 200 racing agents, event delivery latency to
//! 500 SSE followers and search latency with 50 agents searching at once
//! (phase `search`), each beside its target. A missed target is reported, not
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
//! the real desktop app beside an empty Tauri 2 window: the first fill of
//! an empty cache, start-up, idle memory with 10,000 cached conversations,
//! rendering and scrolling that queue, server event → notification latency
//! and breach lateness. It runs
//! `setup` (UI into `ui/dist`), builds `xtask/bench-empty-app` in release,
//! then `cargo bench -p switchboard --bench desktop`
//! (`tests/desktop/bench.rs`), which prints the table and writes
//! `target/bench/desktop.json`.
//!
//! With `--big` the desktop phase measures every figure at 10,000 and at
//! 100,000 cached conversations (10% open, the rest resolved), and the
//! notification and breach figures once more with 100,000 all open (the
//! stress case); without it, at 10,000 only
//! (`SWITCHBOARD_BENCH_SIZES`, `SWITCHBOARD_BENCH_STRESS`).
//!
//! The phase `sync` (`--only sync`; only when named) is the first fill of a
//! desktop cache without a window: the real sync engine against a real
//! server holding 10,000 and 100,000 conversations (10% open), beside raw
//! SQLite inserting as many rows (`crates/sync/benches/first_sync.rs`,
//! `target/bench/first_sync.json`).
//!
//! The phase `cache-search` (`--only cache-search`; only when named) is the
//! desktop cache's search at 10,000 and 100,000 conversations of 10
//! messages each (`crates/sync/benches/cache_search.rs`,
//! `target/bench/cache_search.json`).
//!
//! The phase `uploads` (`--only uploads`; only when named) is the upload
//! and send of a 10 MiB attachment: time of each and the server's peak
//! memory against its idle memory, the server a release child process
//! (`crates/server/benches/uploads.rs`).
//!
//! The phase `fuzz` (`--only fuzz`, and part of a run without `--only`) runs
//! the property tests of every parser of outside input (`proptest_*`: email
//! MIME intake, Twilio forms and signatures, widget requests, the
//! configuration file, `switchboard://` links) with
//! `SWITCHBOARD_PROPTEST_CASES=100000` (or `--fuzz-cases N`): the server's in
//! release (`cargo test --release -p switchboard-server --lib`), the desktop
//! link parser's in the dev profile (a string function; the app's release
//! build is the ten-minute fat-LTO Tauri build). It prints per parser the
//! cases run and the panics, and fails when a property fails or panics.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};

#[derive(clap::Args, Debug, Default)]
pub struct BenchArgs {
    /// Multiply the operation counts (e.g. 0.1 for a quick check); sets
    /// SWITCHBOARD_BENCH_SCALE. The 200 agents and 500 followers stay.
    #[arg(long)]
    pub scale: Option<f64>,
    /// Run only these phases, comma-separated: ingest,store,claims,events,
    /// search (sets SWITCHBOARD_BENCH_ONLY for the load bench), classifier and
    /// fuzz (both also in a run without --only), desktop, sync,
    /// cache-search and uploads (only when named).
    #[arg(long)]
    pub only: Option<String>,
    /// Cases of each property in the `fuzz` phase (default 100000).
    #[arg(long)]
    pub fuzz_cases: Option<u32>,
    /// Store backend: sqlite (default), postgres (one and two instances on
    /// a throwaway PostgreSQL) or all (sets SWITCHBOARD_BENCH_BACKEND).
    #[arg(long)]
    pub backend: Option<String>,
    /// Desktop phase: also at 100,000 cached conversations, and the
    /// all-open stress case (sets SWITCHBOARD_BENCH_SIZES and
    /// SWITCHBOARD_BENCH_STRESS).
    #[arg(long)]
    pub big: bool,
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
    let fuzz = phases.as_ref().is_none_or(|p| p.contains(&"fuzz"));
    let sync = phases.as_ref().is_some_and(|p| p.contains(&"sync"));
    let cache_search = phases.as_ref().is_some_and(|p| p.contains(&"cache-search"));
    let uploads = phases.as_ref().is_some_and(|p| p.contains(&"uploads"));
    let load_phases: Option<Vec<&str>> = phases.as_ref().map(|p| {
        p.iter()
            .copied()
            .filter(|&x| {
                ![
                    "classifier",
                    "desktop",
                    "fuzz",
                    "sync",
                    "cache-search",
                    "uploads",
                ]
                .contains(&x)
            })
            .collect()
    });
    if classifier {
        run_classifier(root)?;
    }
    if fuzz {
        run_fuzz(root, args.fuzz_cases.unwrap_or(FUZZ_CASES))?;
    }
    if sync {
        run_first_sync(root)?;
    }
    if cache_search {
        run_sync_bench(root, "cache_search", "the desktop cache's search")?;
    }
    if desktop {
        run_desktop(root, args.big)?;
    }
    if uploads {
        run_uploads(root)?;
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

/// Cases of each property in the `fuzz` phase.
const FUZZ_CASES: u32 = 100_000;

/// What each property's name says it tests: (name prefix, parser).
const FUZZ_PARSERS: &[(&str, &str)] = &[
    ("email_", "email MIME intake (channels/email/parse.rs)"),
    ("twilio_", "Twilio forms, signatures, fields (channels/sms)"),
    (
        "widget_",
        "widget visitor requests (channels/widget/visitor)",
    ),
    (
        "settings_",
        "configuration file and environment (settings.rs)",
    ),
    ("deep_links_", "switchboard:// links (src-tauri/src/ipc.rs)"),
    ("navigate_", "switchboard:// links (src-tauri/src/ipc.rs)"),
];

/// One `proptest NAME: N cases, P panics, F failures, T s` line.
#[derive(Debug, Clone, PartialEq)]
pub struct PropertyRun {
    pub name: String,
    pub cases: u64,
    pub panics: u64,
    pub failures: u64,
    pub seconds: f64,
}

/// Reads a property's summary line, as `check` in the property tests prints it.
pub fn parse_property_line(line: &str) -> Option<PropertyRun> {
    let rest = line.trim().strip_prefix("proptest ")?;
    let (name, rest) = rest.split_once(": ")?;
    let mut fields = rest.split(", ");
    let mut number = |unit: &str| -> Option<String> {
        let f = fields.next()?;
        f.strip_suffix(unit).map(|n| n.trim().to_owned())
    };
    Some(PropertyRun {
        name: name.to_owned(),
        cases: number(" cases")?.parse().ok()?,
        panics: number(" panics")?.parse().ok()?,
        failures: number(" failures")?.parse().ok()?,
        seconds: number(" s")?.parse().ok()?,
    })
}

/// Runs `cargo test <args> -- proptest_ --nocapture` with `cases` cases per
/// property, passing its output through; returns the properties' summaries
/// and whether the run succeeded.
fn run_properties(root: &Path, args: &[&str], cases: u32) -> Result<(Vec<PropertyRun>, bool)> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    eprintln!(
        "xtask bench: SWITCHBOARD_PROPTEST_CASES={cases} cargo test {} -- proptest_ --nocapture",
        args.join(" ")
    );
    let mut child = Command::new(cargo)
        .current_dir(root)
        .arg("test")
        .args(args)
        .args(["--", "proptest_", "--nocapture", "--test-threads=2"])
        .env("SWITCHBOARD_PROPTEST_CASES", cases.to_string())
        .stdout(Stdio::piped())
        .spawn()
        .context("running cargo test")?;
    let mut runs = Vec::new();
    if let Some(out) = child.stdout.take() {
        for line in BufReader::new(out).lines() {
            let line = line.context("reading cargo test's output")?;
            println!("{line}");
            runs.extend(parse_property_line(&line));
        }
    }
    let status = child.wait().context("waiting for cargo test")?;
    Ok((runs, status.success()))
}

/// The property tests of the parsers, `cases` cases each, and their table.
fn run_fuzz(root: &Path, cases: u32) -> Result<()> {
    let (mut runs, server_ok) = run_properties(
        root,
        &["--release", "-p", "switchboard-server", "--lib"],
        cases,
    )?;
    let (app, app_ok) = run_properties(root, &["-p", "switchboard", "--lib"], cases)?;
    runs.extend(app);
    let parser_of = |name: &str| {
        FUZZ_PARSERS
            .iter()
            .position(|(prefix, _)| name.starts_with(prefix))
            .unwrap_or(FUZZ_PARSERS.len())
    };
    runs.sort_by(|a, b| (parser_of(&a.name), &a.name).cmp(&(parser_of(&b.name), &b.name)));
    println!("\nfuzz: {cases} cases per property");
    println!(
        "{:<52} {:<30} {:>9} {:>7} {:>8} {:>8}",
        "parser", "property", "cases", "panics", "failures", "seconds"
    );
    let mut short = Vec::new();
    for r in &runs {
        let parser = FUZZ_PARSERS.get(parser_of(&r.name)).map_or("?", |(_, p)| p);
        println!(
            "{parser:<52} {:<30} {:>9} {:>7} {:>8} {:>8.1}",
            r.name, r.cases, r.panics, r.failures, r.seconds
        );
        if r.cases < u64::from(cases) {
            short.push(r.name.clone());
        }
    }
    let panics: u64 = runs.iter().map(|r| r.panics).sum();
    let total: u64 = runs.iter().map(|r| r.cases).sum();
    println!(
        "fuzz: {} properties, {total} cases, {panics} panics",
        runs.len()
    );
    if !server_ok || !app_ok || panics > 0 || !short.is_empty() || runs.is_empty() {
        bail!(
            "the property tests failed (server: {}, app: {}, panics: {panics}, short of {cases} cases: {})",
            if server_ok { "passed" } else { "FAILED" },
            if app_ok { "passed" } else { "FAILED" },
            if short.is_empty() { "none".to_owned() } else { short.join(", ") }
        );
    }
    Ok(())
}

/// The categorization benchmark (accuracy on the held-out split).
/// The `uploads` phase: `cargo bench -p switchboard-server --bench uploads`.
fn run_uploads(root: &Path) -> Result<()> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    eprintln!("xtask bench: cargo bench -p switchboard-server --bench uploads");
    let status = Command::new(cargo)
        .current_dir(root)
        .args(["bench", "-p", "switchboard-server", "--bench", "uploads"])
        .status()
        .context("running cargo bench")?;
    if !status.success() {
        bail!("the uploads benchmark failed ({status})");
    }
    Ok(())
}

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

/// The first fill of a desktop cache, headless, at 10,000 and 100,000.
fn run_first_sync(root: &Path) -> Result<()> {
    run_sync_bench(root, "first_sync", "the first-sync benchmark")
}

/// One of the sync crate's benches (`crates/sync/benches/{name}.rs`), at
/// 10,000 and 100,000 conversations unless `SWITCHBOARD_BENCH_SIZES` says.
fn run_sync_bench(root: &Path, name: &str, what: &str) -> Result<()> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    eprintln!("xtask bench: cargo bench -p switchboard-sync --bench {name}");
    let mut cmd = Command::new(cargo);
    cmd.current_dir(root)
        .args(["bench", "-p", "switchboard-sync", "--bench", name]);
    if std::env::var_os("SWITCHBOARD_BENCH_SIZES").is_none() {
        cmd.env("SWITCHBOARD_BENCH_SIZES", "10000,100000");
    }
    let status = cmd.status().context("running cargo bench")?;
    if !status.success() {
        bail!("{what} failed ({status})");
    }
    Ok(())
}

/// The desktop benchmark: the app (release) beside an empty Tauri 2 window;
/// with `big`, also at 100,000 cached and the all-open stress case.
fn run_desktop(root: &Path, big: bool) -> Result<()> {
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
    let mut cmd = Command::new(&cargo);
    cmd.current_dir(root)
        .args(["bench", "-p", "switchboard", "--bench", "desktop"])
        .env("CARGO_TARGET_DIR", &target)
        .env("CARGO_INCREMENTAL", &incremental)
        .env("SWITCHBOARD_BENCH_EMPTY_APP", &empty);
    if big {
        if std::env::var_os("SWITCHBOARD_BENCH_SIZES").is_none() {
            cmd.env("SWITCHBOARD_BENCH_SIZES", "10000,100000");
        }
        if std::env::var_os("SWITCHBOARD_BENCH_STRESS").is_none() {
            cmd.env("SWITCHBOARD_BENCH_STRESS", "100000");
        }
    }
    let status = cmd.status().context("running cargo bench")?;
    if !status.success() {
        bail!("the desktop benchmark failed ({status})");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn property_summaries_are_read() {
        assert_eq!(
            parse_property_line(
                "proptest email_round_trip: 100000 cases, 0 panics, 0 failures, 12.34 s"
            ),
            Some(PropertyRun {
                name: "email_round_trip".into(),
                cases: 100_000,
                panics: 0,
                failures: 0,
                seconds: 12.34,
            })
        );
        assert_eq!(parse_property_line("test x ... ok"), None);
        assert_eq!(parse_property_line("proptest x: many cases"), None);
    }
}

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
    /// (sets SWITCHBOARD_BENCH_ONLY).
    #[arg(long)]
    pub only: Option<String>,
    /// Store backend: sqlite (default), postgres (one and two instances on
    /// a throwaway PostgreSQL) or all (sets SWITCHBOARD_BENCH_BACKEND).
    #[arg(long)]
    pub backend: Option<String>,
}

pub fn run(root: &Path, args: &BenchArgs) -> Result<()> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(root)
        .args(["bench", "-p", "switchboard-server", "--bench", "load"]);
    if let Some(s) = args.scale {
        cmd.env("SWITCHBOARD_BENCH_SCALE", s.to_string());
    }
    if let Some(o) = &args.only {
        cmd.env("SWITCHBOARD_BENCH_ONLY", o);
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

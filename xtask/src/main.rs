//! `cargo xtask …`: the project's tasks, in Rust so they run the same on every
//! machine that has cargo.
//!
//! - `setup`: install what a fresh Debian machine lacks (apt packages, the
//!   UI's npm packages) and build the UI into `ui/dist`. Idempotent.
//! - `test`: `setup`, then rustfmt, clippy, `cargo test --workspace`, the UI's
//!   type check and its Vitest suite; ends with the result lines.
//! - `layers`: the server's modules import only down their layers; no
//!   module cycle in the desktop shell or the sync crate.
//! - `demo`: `setup`, build the server and the desktop app, seed a demo
//!   SQLite database, run both until the app exits or Ctrl-C.

mod bench;
mod demo;
mod layers;
mod proc;
mod setup;
mod test;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "Switchboard project tasks", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Install missing system packages (Debian, apt-get) and the UI's npm
    /// packages, then build the UI into ui/dist. Safe to run again.
    Setup(setup::SetupArgs),
    /// Run setup, then every check and test suite; exits non-zero on any failure.
    Test(test::TestArgs),
    /// Run the server on a seeded demo database together with the desktop app.
    Demo(demo::DemoArgs),
    /// Run the server's load benchmark (release build): ingest rate, claim
    /// latency, SSE delivery latency, each beside its target; and the
    /// classifier's accuracy on the held-out labelled split (`--only classifier`);
    /// the desktop app beside an empty Tauri window (`--only desktop`); the
    /// parsers' property tests at 100,000 cases each (`--only fuzz`).
    Bench(bench::BenchArgs),
    /// Check that imports inside the server go down its layers and that the
    /// desktop shell's and the sync crate's modules import no cycle.
    Layers,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let root = repo_root();
    let result = match cli.command {
        Command::Setup(args) => setup::run(&root, &args),
        Command::Test(args) => test::run(&root, &args),
        Command::Demo(args) => demo::run(&root, &args),
        Command::Bench(args) => bench::run(&root, &args),
        Command::Layers => layers::run(&root),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("\nxtask: error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root: the parent of this crate's directory.
fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask sits inside the workspace")
        .to_path_buf()
}

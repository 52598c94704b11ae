//! `cargo xtask test`: setup, then every check and test suite of the project.
//!
//! Every step runs even when an earlier one failed, so one CI run reports all
//! problems at once. The output ends with a summary: the status of each step,
//! then the result lines of `cargo test` and of Vitest, last.

use std::path::Path;
use std::process::Command;

use anyhow::Result;

use crate::proc::{self, header};
use crate::setup::{self, SetupArgs};

#[derive(clap::Args, Debug)]
pub struct TestArgs {
    /// Skip `setup` (system packages, npm ci, UI build).
    #[arg(long)]
    pub no_setup: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Check,
    CargoTest,
    Vitest,
}

struct Step {
    title: &'static str,
    kind: Kind,
    cmd: Command,
}

struct Outcome {
    title: &'static str,
    kind: Kind,
    ok: bool,
    lines: Vec<String>,
}

pub fn run(root: &Path, args: &TestArgs) -> Result<()> {
    if !args.no_setup {
        setup::run(root, &SetupArgs::default())?;
    }

    let ui = root.join("ui");
    // On CI every build starts from nothing and is never rebuilt: cargo's
    // incremental caches would only take disk (GiBs for this workspace).
    // (A CARGO_INCREMENTAL of the caller's own is left as it is.)
    let no_incremental =
        std::env::var_os("CI").is_some() && std::env::var_os("CARGO_INCREMENTAL").is_none();
    let cargo = |args: &[&str]| {
        let mut cmd = proc::cargo();
        cmd.current_dir(root).args(args);
        if no_incremental {
            cmd.env("CARGO_INCREMENTAL", "0");
        }
        cmd
    };
    let npm = |args: &[&str]| {
        let mut cmd = proc::npm(&ui);
        cmd.args(args);
        cmd
    };
    let widget = root.join("widget");
    let widget_npm = |args: &[&str]| {
        let mut cmd = proc::npm(&widget);
        cmd.args(args);
        cmd
    };
    let steps = vec![
        Step {
            title: "rustfmt",
            kind: Kind::Check,
            cmd: cargo(&["fmt", "--all", "--", "--check"]),
        },
        Step {
            title: "clippy",
            kind: Kind::Check,
            cmd: cargo(&[
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ]),
        },
        Step {
            title:
                "layers (imports go down inside the server; no module cycle in the shell or sync)",
            kind: Kind::Check,
            cmd: {
                let mut cmd =
                    Command::new(std::env::current_exe().unwrap_or_else(|_| "cargo-xtask".into()));
                cmd.current_dir(root).arg("layers");
                cmd
            },
        },
        Step {
            title: "cargo doc (warnings are errors)",
            kind: Kind::Check,
            cmd: {
                let mut cmd = cargo(&["doc", "--no-deps", "--workspace"]);
                cmd.env("RUSTDOCFLAGS", "-D warnings");
                cmd
            },
        },
        Step {
            title: "cargo test",
            kind: Kind::CargoTest,
            cmd: cargo(&["test", "--workspace", "--no-fail-fast"]),
        },
        Step {
            title: "server API and SMS suites on PostgreSQL",
            kind: Kind::CargoTest,
            cmd: {
                let mut cmd = cargo(&[
                    "test",
                    "-p",
                    "switchboard-server",
                    "--test",
                    "api",
                    "--test",
                    "sms",
                ]);
                cmd.env("SWITCHBOARD_TEST_DATABASE", "postgres");
                cmd
            },
        },
        Step {
            title: "widget and bot suite on PostgreSQL",
            kind: Kind::CargoTest,
            cmd: {
                let mut cmd = cargo(&["test", "-p", "switchboard-server", "--test", "widget"]);
                cmd.env("SWITCHBOARD_TEST_DATABASE", "postgres");
                cmd
            },
        },
        Step {
            title: "widget type check, and widget.js is what widget/src builds to",
            kind: Kind::Check,
            cmd: widget_npm(&["run", "check"]),
        },
        Step {
            title: "build switchboard-server (for the widget end-to-end test)",
            kind: Kind::Check,
            cmd: cargo(&["build", "-p", "switchboard-server"]),
        },
        Step {
            title: "widget end to end (headless Chromium)",
            kind: Kind::Check,
            cmd: widget_npm(&["test"]),
        },
        Step {
            title: "UI type check (svelte-check)",
            kind: Kind::Check,
            cmd: npm(&["run", "check"]),
        },
        Step {
            title: "UI tests (vitest)",
            kind: Kind::Vitest,
            cmd: npm(&["test"]),
        },
    ];

    let total = steps.len();
    let mut outcomes = Vec::with_capacity(total);
    for (i, mut step) in steps.into_iter().enumerate() {
        header(&format!("test [{}/{total}]: {}", i + 1, step.title));
        let (ok, lines) = match proc::run_tee(&mut step.cmd) {
            Ok((status, lines)) => (status.success(), lines),
            Err(err) => (false, vec![format!("error: {err:#}")]),
        };
        outcomes.push(Outcome {
            title: step.title,
            kind: step.kind,
            ok,
            lines,
        });
    }

    let failed = outcomes.iter().filter(|o| !o.ok).count();
    header(if failed == 0 {
        "test summary: all steps passed"
    } else {
        "test summary: FAILED"
    });
    for outcome in &outcomes {
        let mark = if outcome.ok { "ok  " } else { "FAIL" };
        println!("  {mark}  {}", outcome.title);
    }
    for outcome in &outcomes {
        match outcome.kind {
            Kind::Check => {}
            Kind::CargoTest => {
                println!("\n{}:", outcome.title);
                for line in cargo_test_summary(&outcome.lines) {
                    println!("  {line}");
                }
            }
            Kind::Vitest => {
                println!("\nnpm test (vitest run):");
                for line in vitest_summary(&outcome.lines) {
                    println!("  {line}");
                }
            }
        }
    }
    proc::flush();
    if failed > 0 {
        // The log ends with the result lines above; the exit status says the rest.
        std::process::exit(1);
    }
    Ok(())
}

/// The lines of a `cargo test` run that say what passed: each test target's
/// `Running …` name with its `test result:` line, failures, and a total.
fn cargo_test_summary(lines: &[String]) -> Vec<String> {
    let mut summary = Vec::new();
    let mut target = String::new();
    let (mut passed, mut failed, mut ignored, mut targets) = (0u64, 0u64, 0u64, 0u64);
    for line in lines.iter().map(|l| proc::strip_ansi(l)) {
        let trimmed = line.trim();
        if let Some(rest) = trimmed.strip_prefix("Running ") {
            target = short_target(rest);
        } else if let Some(rest) = trimmed.strip_prefix("Doc-tests ") {
            target = format!("doc-tests {rest}");
        } else if let Some(result) = trimmed.strip_prefix("test result: ") {
            targets += 1;
            passed += count(result, "passed");
            failed += count(result, "failed");
            ignored += count(result, "ignored");
            summary.push(format!("{target}: test result: {result}"));
        } else if trimmed.starts_with("error") || trimmed.starts_with("---- ") {
            summary.push(trimmed.to_owned());
        }
    }
    if targets == 0 {
        summary.push("no test results (see the errors above)".to_owned());
    } else {
        summary.push(format!(
            "total: {passed} passed; {failed} failed; {ignored} ignored in {targets} test targets"
        ));
    }
    summary
}

/// `unittests src/lib.rs (target/debug/deps/switchboard_core-38c3…)` →
/// `unittests src/lib.rs (switchboard_core)`.
fn short_target(running: &str) -> String {
    let Some((what, path)) = running.trim_end_matches(')').rsplit_once(" (") else {
        return running.to_owned();
    };
    let file = path.rsplit(['/', '\\']).next().unwrap_or(path);
    let file = file.strip_suffix(".exe").unwrap_or(file);
    let name = match file.rsplit_once('-') {
        Some((name, hash)) if hash.chars().all(|c| c.is_ascii_hexdigit()) => name,
        _ => file,
    };
    format!("{what} ({name})")
}

/// The number before `word` in `ok. 3 passed; 1 failed; …`.
fn count(result: &str, word: &str) -> u64 {
    result
        .split(';')
        .filter_map(|part| {
            let part = part
                .trim()
                .trim_start_matches("ok.")
                .trim_start_matches("FAILED.");
            let (n, w) = part.trim().split_once(' ')?;
            if w == word {
                n.parse::<u64>().ok()
            } else {
                None
            }
        })
        .sum()
}

/// Vitest's own result lines: failures, then `Test Files` and `Tests`.
fn vitest_summary(lines: &[String]) -> Vec<String> {
    let summary: Vec<String> = lines
        .iter()
        .map(|l| proc::strip_ansi(l).trim_end().to_owned())
        .filter(|l| {
            let t = l.trim_start();
            t.starts_with("FAIL ")
                || t.starts_with("Test Files ")
                || t.starts_with("Tests ")
                || t.starts_with("Error:")
        })
        .collect();
    if summary.is_empty() {
        vec!["no test results (see the errors above)".to_owned()]
    } else {
        summary
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(str::to_owned).collect()
    }

    #[test]
    fn summarizes_cargo_test_output() {
        let out = lines(
            "   Compiling x v0.1.0\n\
             \x20    Running unittests src/lib.rs (target/debug/deps/core-1)\n\
             running 3 tests\n\
             test result: ok. 3 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.01s\n\
             \x20    Running tests/api.rs (target/debug/deps/api-2)\n\
             ---- claims::one_winner stdout ----\n\
             test result: FAILED. 5 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out; finished in 1.2s\n\
             error: test failed, to rerun pass `-p server --test api`\n",
        );
        assert_eq!(
            cargo_test_summary(&out),
            [
                "unittests src/lib.rs (core): test result: ok. 3 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.01s",
                "---- claims::one_winner stdout ----",
                "tests/api.rs (api): test result: FAILED. 5 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out; finished in 1.2s",
                "error: test failed, to rerun pass `-p server --test api`",
                "total: 8 passed; 2 failed; 1 ignored in 2 test targets",
            ]
        );
    }

    #[test]
    fn shortens_test_target_names() {
        assert_eq!(
            short_target(
                "unittests src/lib.rs (/work/target/debug/deps/switchboard_core-38c359adafbdb6b9)"
            ),
            "unittests src/lib.rs (switchboard_core)"
        );
        assert_eq!(
            short_target(r"tests\api\main.rs (target\debug\deps\api-56a762eb3adbcc32.exe)"),
            r"tests\api\main.rs (api)"
        );
        assert_eq!(short_target("something else"), "something else");
    }

    #[test]
    fn cargo_test_summary_says_when_nothing_ran() {
        let out = lines("error[E0425]: cannot find value `x`\nerror: could not compile `core`\n");
        let summary = cargo_test_summary(&out);
        assert_eq!(
            summary.last().unwrap(),
            "no test results (see the errors above)"
        );
        assert_eq!(summary[1], "error: could not compile `core`");
    }

    #[test]
    fn summarizes_vitest_output() {
        let out = lines(
            " \u{1b}[32m✓\u{1b}[39m src/App.test.ts (3 tests) 86ms\n\
             \u{1b}[2m Test Files \u{1b}[22m \u{1b}[1m\u{1b}[32m2 passed\u{1b}[39m\u{1b}[22m (2)\n\
             \u{1b}[2m      Tests \u{1b}[22m \u{1b}[1m\u{1b}[32m8 passed\u{1b}[39m\u{1b}[22m (8)\n\
             \u{1b}[2m   Start at \u{1b}[22m 01:46:22\n",
        );
        assert_eq!(
            vitest_summary(&out),
            [" Test Files  2 passed (2)", "      Tests  8 passed (8)"]
        );
    }
}

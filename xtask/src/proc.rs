//! Running commands: section headers, plain runs, runs that also capture
//! their output, and looking programs up on `PATH`.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};

use anyhow::{bail, Context, Result};

/// Prints a section header that stands out in a CI log.
pub fn header(title: &str) {
    let rule = "=".repeat(72);
    println!("\n{rule}\n==> {title}\n{rule}");
    flush();
}

/// Flushes stdout so our lines and a child's lines stay in order.
pub fn flush() {
    let _ = std::io::stdout().flush();
}

/// The cargo that runs us (`$CARGO`), so nested builds use the same toolchain.
pub fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// A command in `dir` with no stdin: CI has none, and nothing here may prompt.
pub fn command(program: impl AsRef<OsStr>, dir: &Path) -> Command {
    let mut cmd = Command::new(program);
    cmd.current_dir(dir).stdin(Stdio::null());
    cmd
}

/// Renders a command line for logs.
pub fn display(cmd: &Command) -> String {
    let mut parts = vec![cmd.get_program().to_string_lossy().into_owned()];
    parts.extend(cmd.get_args().map(|a| a.to_string_lossy().into_owned()));
    parts.join(" ")
}

/// Runs a command with inherited output; an error if it cannot start or fails.
pub fn run(cmd: &mut Command) -> Result<()> {
    let status = status(cmd)?;
    if !status.success() {
        bail!("`{}` failed ({status})", display(cmd));
    }
    Ok(())
}

/// Runs a command with inherited output and returns its exit status.
pub fn status(cmd: &mut Command) -> Result<ExitStatus> {
    println!("$ {}", display(cmd));
    flush();
    cmd.status()
        .with_context(|| format!("could not start `{}`", display(cmd)))
}

/// Runs a command, echoing its output as it comes, and returns the exit
/// status with every line it printed. stdout and stderr share one pipe, so
/// the lines keep the order the command wrote them in (cargo writes
/// `Running …` to stderr and the test binary writes results to stdout).
pub fn run_tee(cmd: &mut Command) -> Result<(ExitStatus, Vec<String>)> {
    println!("$ {}", display(cmd));
    flush();
    let (reader, writer) = std::io::pipe().context("creating a pipe")?;
    cmd.stdout(writer.try_clone().context("duplicating a pipe")?)
        .stderr(writer);
    let spawned = cmd.spawn();
    // Drop the command's copies of the write end, or reading never ends.
    cmd.stdout(Stdio::inherit()).stderr(Stdio::inherit());
    let mut child = spawned.with_context(|| format!("could not start `{}`", display(cmd)))?;

    let mut lines = Vec::new();
    let mut reader = BufReader::new(reader);
    let mut buf = Vec::new();
    let mut stdout = std::io::stdout();
    loop {
        buf.clear();
        match reader.read_until(b'\n', &mut buf) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        let _ = stdout.write_all(&buf);
        let _ = stdout.flush();
        let line = String::from_utf8_lossy(&buf);
        lines.push(line.trim_end_matches(['\n', '\r']).to_owned());
    }
    Ok((child.wait()?, lines))
}

/// Runs a command quietly and returns its stdout if it succeeded.
pub fn output(cmd: &mut Command) -> Option<String> {
    let out = cmd.stderr(Stdio::null()).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Finds `program` on `PATH`.
pub fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).find_map(|dir| {
        let candidate = dir.join(program);
        if candidate.is_file() {
            return Some(candidate);
        }
        if cfg!(windows) {
            ["exe", "cmd", "bat"]
                .iter()
                .map(|ext| candidate.with_extension(ext))
                .find(|c| c.is_file())
        } else {
            None
        }
    })
}

/// `npm`, spelled so that it starts on Windows too (there it is `npm.cmd`).
pub fn npm(dir: &Path) -> Command {
    let program = if cfg!(windows) { "npm.cmd" } else { "npm" };
    command(program, dir)
}

/// Removes ANSI escape sequences (colours, cursor moves) from a line.
pub fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\u{1b}' {
            out.push(c);
            continue;
        }
        if chars.peek() == Some(&'[') {
            chars.next();
            // CSI: parameters and intermediates, then one final byte in @..~.
            for c in chars.by_ref() {
                if ('@'..='~').contains(&c) {
                    break;
                }
            }
        } else {
            chars.next();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strip_ansi_removes_colour_codes_only() {
        assert_eq!(
            strip_ansi(
                "\u{1b}[2m      Tests \u{1b}[22m \u{1b}[1m\u{1b}[32m8 passed\u{1b}[39m\u{1b}[22m"
            ),
            "      Tests  8 passed"
        );
        assert_eq!(strip_ansi("plain [text]"), "plain [text]");
    }

    #[test]
    fn run_tee_captures_both_streams_in_order() {
        if cfg!(windows) {
            return;
        }
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "echo out; echo err >&2; exit 3"]);
        let (status, lines) = run_tee(&mut cmd).unwrap();
        assert_eq!(status.code(), Some(3));
        assert_eq!(lines, ["out", "err"], "one pipe keeps the order of writes");
    }
}

//! `cargo xtask setup`: bring a fresh machine to the point where the whole
//! workspace builds and tests, then build the UI. Every step checks first and
//! only acts when something is missing, so running it again is cheap.

use std::collections::HashSet;
use std::fs;
use std::path::Path;

use anyhow::{bail, Context, Result};

use crate::proc::{self, header};

/// Debian packages the project needs, and why.
pub const APT_PACKAGES: &[(&str, &str)] = &[
    // Building anything native, and the crates that link OpenSSL.
    ("build-essential", "C toolchain for native crates"),
    ("pkg-config", "locates system libraries for -sys crates"),
    ("libssl-dev", "OpenSSL headers"),
    // Tauri 2 on Linux.
    ("libwebkit2gtk-4.1-dev", "Tauri webview (WebKitGTK 4.1)"),
    ("libayatana-appindicator3-dev", "Tauri tray icon"),
    ("librsvg2-dev", "Tauri icon rendering"),
    ("libsoup-3.0-dev", "WebKitGTK networking"),
    ("libxdo-dev", "Tauri menus/accelerators on X11"),
    (
        "desktop-file-utils",
        "update-desktop-database: the app registers switchboard:// links",
    ),
    // Testing the real thing on one machine.
    ("xvfb", "virtual X display for the desktop tests"),
    (
        "dbus-x11",
        "dbus-launch: a session bus for tray and notifications",
    ),
    ("dunst", "notification daemon the desktop tests read back"),
    (
        "gnome-keyring",
        "Secret Service: the desktop keeps its token in the keychain",
    ),
    (
        "libsecret-tools",
        "secret-tool: the desktop tests read the keychain back",
    ),
    (
        "libglib2.0-bin",
        "gdbus: the desktop tests click the tray menu over D-Bus",
    ),
    ("webkit2gtk-driver", "WebKitWebDriver for end-to-end tests"),
    ("postgresql", "PostgreSQL store tests"),
    (
        "dovecot-imapd",
        "IMAP server the email channel's tests poll (real peer)",
    ),
    (
        "nginx",
        "reverse proxy in front of two server instances (fleet test)",
    ),
    ("chromium", "browser for the live-chat widget tests"),
    (
        "python3",
        "runs the tests' SMTP peer and moves the X focus in the desktop tests",
    ),
    ("python3-pip", "installs the tests' Python packages"),
    (
        "sqlite3",
        "the desktop bench reads the app's cache (search index built) with it",
    ),
    (
        "systemd",
        "systemd-analyze verifies the unit in deploy/systemd",
    ),
];

/// Oldest Node the UI toolchain supports (Vite 8: ^20.19 or >= 22.12).
const MIN_NODE: (u64, u64) = (20, 19);

/// Where `setup` remembers which package-lock.json `npm ci` last installed.
const NPM_STAMP: &str = "node_modules/.xtask-installed-package-lock.json";

#[derive(clap::Args, Debug, Default)]
pub struct SetupArgs {
    /// Do not install system packages; only report the missing ones.
    #[arg(long)]
    pub no_system_packages: bool,
}

pub fn run(root: &Path, args: &SetupArgs) -> Result<()> {
    system_packages(root, args)?;
    python_packages(root, args)?;
    rust_components(root)?;
    cargo_tools(root, args)?;
    ui(root)?;
    widget(root)
}

/// Tools installed with `cargo install` (from crates.io, built here).
const CARGO_TOOLS: &[(&str, &str, &str)] = &[(
    "tauri-driver",
    "^2",
    "WebDriver front for the real app (end-to-end tests)",
)];

fn cargo_tools(root: &Path, args: &SetupArgs) -> Result<()> {
    header("setup: cargo tools");
    for (tool, version, why) in CARGO_TOOLS {
        let installed = proc::which(tool).is_some()
            || std::env::var_os("CARGO_HOME")
                .map(std::path::PathBuf::from)
                .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo")))
                .is_some_and(|home| home.join("bin").join(tool).is_file());
        if installed {
            println!("{tool} is installed.");
            continue;
        }
        println!("missing: {tool} — {why}");
        if args.no_system_packages {
            println!("not installing (--no-system-packages)");
            continue;
        }
        proc::run(proc::cargo().current_dir(root).args([
            "install",
            tool,
            "--version",
            version,
            "--locked",
        ]))?;
    }
    Ok(())
}

/// Python packages the tests run as real peers (from PyPI).
const PIP_PACKAGES: &[(&str, &str, &str)] = &[(
    "aiosmtpd",
    "aiosmtpd",
    "SMTP server that receives the email channel's replies in tests",
)];

fn python_packages(root: &Path, args: &SetupArgs) -> Result<()> {
    header("setup: Python packages (pip)");
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    let missing: Vec<&str> = PIP_PACKAGES
        .iter()
        .filter(|(_, module, _)| {
            proc::output(proc::command(&python, root).args(["-c", &format!("import {module}")]))
                .is_none()
        })
        .map(|(name, _, _)| *name)
        .collect();
    if missing.is_empty() {
        println!("Python packages are installed.");
        return Ok(());
    }
    for (name, _, why) in PIP_PACKAGES.iter().filter(|(n, _, _)| missing.contains(n)) {
        println!("  missing: {name} ({why})");
    }
    if args.no_system_packages {
        println!("not installing (--no-system-packages)");
        return Ok(());
    }
    let mut cmd = proc::command(&python, root);
    cmd.args([
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--break-system-packages",
    ])
    .args(&missing);
    proc::run(&mut cmd)
}

fn system_packages(root: &Path, args: &SetupArgs) -> Result<()> {
    header("setup: system packages");
    if cfg!(not(target_os = "linux"))
        || proc::which("dpkg-query").is_none()
        || proc::which("apt-get").is_none()
    {
        println!(
            "Not a Debian-family system: skipping apt-get. Tauri's prerequisites for this \
             platform are listed at https://v2.tauri.app/start/prerequisites/"
        );
        return Ok(());
    }

    let names: Vec<&str> = APT_PACKAGES.iter().map(|(name, _)| *name).collect();
    let missing = missing_packages(root, &names);
    if missing.is_empty() {
        println!("All {} packages are installed.", names.len());
        return Ok(());
    }
    println!("Missing: {}", missing.join(" "));
    if args.no_system_packages {
        println!("--no-system-packages given: not installing them.");
        return Ok(());
    }

    let apt = |apt_args: &[&str]| -> Result<()> {
        let mut cmd = if is_root() {
            proc::command("apt-get", root)
        } else if proc::which("sudo").is_some() {
            let mut sudo = proc::command("sudo", root);
            sudo.args(["env", "DEBIAN_FRONTEND=noninteractive", "apt-get"]);
            sudo
        } else {
            bail!(
                "installing {} needs root, and sudo is not available; run as root or \
                 install them yourself",
                missing.join(" ")
            );
        };
        cmd.env("DEBIAN_FRONTEND", "noninteractive")
            .args(["-q", "-o", "Dpkg::Use-Pty=0"])
            .args(apt_args);
        proc::run(&mut cmd)
    };
    apt(&["update"])?;
    let mut install = vec!["install", "-y"];
    install.extend(missing.iter().copied());
    apt(&install)?;

    let still_missing = missing_packages(root, &names);
    if !still_missing.is_empty() {
        bail!(
            "apt-get finished but these are still not installed: {}",
            still_missing.join(" ")
        );
    }
    Ok(())
}

/// The packages among `names` that dpkg does not report as installed.
fn missing_packages<'a>(root: &Path, names: &[&'a str]) -> Vec<&'a str> {
    // dpkg-query exits non-zero when a package is unknown, but still lists the
    // rest, so read its output whatever the status.
    let out = proc::command("dpkg-query", root)
        .arg("-W")
        .arg("-f=${Package}\t${db:Status-Abbrev}\n")
        .args(names)
        .stderr(std::process::Stdio::null())
        .output();
    let listing = out
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    let installed = installed_from_dpkg_query(&listing);
    names
        .iter()
        .copied()
        .filter(|name| !installed.contains(*name))
        .collect()
}

/// Package names that `dpkg-query -W -f='${Package}\t${db:Status-Abbrev}\n'`
/// reports as installed (`ii`); the `:arch` qualifier is dropped.
fn installed_from_dpkg_query(listing: &str) -> HashSet<String> {
    listing
        .lines()
        .filter_map(|line| {
            let (name, status) = line.split_once('\t')?;
            let name = name.split(':').next().unwrap_or(name);
            status.starts_with("ii").then(|| name.to_owned())
        })
        .collect()
}

#[cfg(unix)]
fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

#[cfg(not(unix))]
fn is_root() -> bool {
    false
}

fn rust_components(root: &Path) -> Result<()> {
    header("setup: Rust components (rustfmt, clippy)");
    let has = |sub: &str| {
        proc::output(proc::cargo().current_dir(root).args([sub, "--version"])).is_some()
    };
    let missing: Vec<&str> = [("fmt", "rustfmt"), ("clippy", "clippy")]
        .into_iter()
        .filter(|(sub, _)| !has(sub))
        .map(|(_, component)| component)
        .collect();
    if missing.is_empty() {
        println!("rustfmt and clippy are installed.");
        return Ok(());
    }
    if proc::which("rustup").is_none() {
        bail!(
            "missing Rust components {} and no rustup to install them",
            missing.join(", ")
        );
    }
    let mut cmd = proc::command("rustup", root);
    cmd.args(["component", "add"]).args(&missing);
    proc::run(&mut cmd)
}

fn ui(root: &Path) -> Result<()> {
    let ui = root.join("ui");
    header("setup: UI dependencies (npm ci)");
    check_node(root)?;

    npm_ci(&ui, "ui")?;

    header("setup: UI build (npm run build → ui/dist)");
    proc::run(proc::npm(&ui).args(["run", "build"]))
}

/// `npm ci` in `dir` when its node_modules is missing or its
/// package-lock.json changed since the last install.
fn npm_ci(dir: &Path, name: &str) -> Result<()> {
    let lock = fs::read(dir.join("package-lock.json"))
        .with_context(|| format!("reading {name}/package-lock.json"))?;
    let stamp = dir.join(NPM_STAMP);
    let installed = fs::read(&stamp).ok();
    if dir.join("node_modules").is_dir() && installed.as_deref() == Some(lock.as_slice()) {
        println!("{name}/node_modules matches {name}/package-lock.json.");
    } else {
        proc::run(proc::npm(dir).args(["ci", "--no-audit", "--no-fund"]))?;
        fs::write(&stamp, &lock).with_context(|| format!("writing {}", stamp.display()))?;
    }
    Ok(())
}

/// The chat widget's toolchain (TypeScript, esbuild, playwright-core for
/// its end-to-end test). Its built file is committed
/// (crates/server/assets/widget.js), so nothing is built here; `xtask test`
/// checks the committed file matches the sources.
fn widget(root: &Path) -> Result<()> {
    header("setup: widget dependencies (npm ci in widget/)");
    npm_ci(&root.join("widget"), "widget")
}

fn check_node(root: &Path) -> Result<()> {
    let version = proc::output(proc::command("node", root).arg("--version")).context(
        "Node.js is not installed (`node --version` failed); the UI needs Node 20.19+ and npm",
    )?;
    let Some((major, minor)) = parse_node_version(&version) else {
        bail!("cannot read the Node.js version from {version:?}");
    };
    if (major, minor) < MIN_NODE {
        bail!(
            "Node.js {} is too old; the UI toolchain needs {}.{} or newer",
            version.trim(),
            MIN_NODE.0,
            MIN_NODE.1
        );
    }
    if proc::which(if cfg!(windows) { "npm.cmd" } else { "npm" }).is_none() {
        bail!("npm is not installed");
    }
    println!("node {}", version.trim());
    Ok(())
}

/// `v20.19.2` → `(20, 19)`.
fn parse_node_version(version: &str) -> Option<(u64, u64)> {
    let mut parts = version.trim().trim_start_matches('v').split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_installed_packages_from_dpkg_query() {
        let listing = "build-essential\tii \nlibssl-dev:amd64\tii \ndunst\trc \nxvfb\tun \n";
        let installed = installed_from_dpkg_query(listing);
        assert!(installed.contains("build-essential"));
        assert!(installed.contains("libssl-dev"));
        assert!(
            !installed.contains("dunst"),
            "config-files only is not installed"
        );
        assert!(!installed.contains("xvfb"));
    }

    #[test]
    fn parses_node_versions() {
        assert_eq!(parse_node_version("v20.20.2\n"), Some((20, 20)));
        assert_eq!(parse_node_version("22.12.0"), Some((22, 12)));
        assert_eq!(parse_node_version("garbage"), None);
        assert!(parse_node_version("v20.18.1").unwrap() < MIN_NODE);
    }

    #[test]
    fn package_list_has_no_duplicates() {
        let names: HashSet<_> = APT_PACKAGES.iter().map(|(n, _)| n).collect();
        assert_eq!(names.len(), APT_PACKAGES.len());
    }
}

//! `cargo xtask demo`: the server on a seeded demo database, plus the desktop
//! app, until the app exits or Ctrl-C.

use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::sleep;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::proc::{self, header};
use crate::setup::{self, SetupArgs};

/// The demo database, relative to the repository root.
const DEMO_DB: &str = "target/demo/switchboard.db";
/// The demo admin that `switchboard-server seed-demo` creates.
const DEMO_ADMIN: (&str, &str) = ("admin@demo.switchboard", "switchboard-demo");
/// How long the server may take to start listening.
const SERVER_START_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(clap::Args, Debug)]
pub struct DemoArgs {
    /// Address the demo server listens on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// Skip `setup` (system packages, npm ci, UI build).
    #[arg(long)]
    pub no_setup: bool,
}

pub fn run(root: &Path, args: &DemoArgs) -> Result<()> {
    let listen = resolve(&args.listen)?;
    if !args.no_setup {
        setup::run(root, &SetupArgs::default())?;
    }

    header("demo: build the server and the desktop app");
    proc::run(proc::cargo().current_dir(root).args([
        "build",
        "-p",
        "switchboard-server",
        "-p",
        "switchboard",
    ]))?;
    let bin_dir = target_dir(root)?.join("debug");
    let server_bin = bin_dir.join(exe("switchboard-server"));
    let app_bin = bin_dir.join(exe("switchboard"));

    header("demo: seed the demo database");
    let db_path = root.join(DEMO_DB);
    std::fs::create_dir_all(db_path.parent().expect("DEMO_DB has a parent"))
        .context("creating target/demo")?;
    let database_url = format!("sqlite://{DEMO_DB}");
    let existed = db_path.exists();
    let seeded = proc::status(proc::command(&server_bin, root).args([
        "seed-demo",
        "--database-url",
        &database_url,
    ]))?;
    if !seeded.success() {
        // Exit 3: the demo team is there already. Anything else (4: the file
        // holds other accounts) stops the demo with seed-demo's own words.
        if existed && seeded.code() == Some(3) {
            println!(
                "{DEMO_DB} is already seeded, so the demo goes on with it. Delete the file to \
                 start from a fresh demo."
            );
        } else {
            bail!("`switchboard-server seed-demo` failed ({seeded})");
        }
    }

    if TcpStream::connect_timeout(&listen, Duration::from_millis(300)).is_ok() {
        bail!(
            "something is already listening on {listen}; stop it, or pick another address \
             with `cargo xtask demo --listen 127.0.0.1:PORT`"
        );
    }

    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = Arc::clone(&stop);
        ctrlc::set_handler(move || stop.store(true, Ordering::SeqCst))
            .context("installing the Ctrl-C handler")?;
    }

    header("demo: start the server");
    let mut server_cmd = proc::command(&server_bin, root);
    server_cmd.args([
        "serve",
        "--listen",
        &args.listen,
        "--database-url",
        &database_url,
    ]);
    if std::env::var_os("RUST_LOG").is_none() {
        server_cmd.env("RUST_LOG", "info");
    }
    let mut server = Managed::spawn("server", server_cmd)?;
    wait_until_listening(&mut server, listen, &stop)?;

    let url = format!("http://{}", connect_addr(listen));
    header("demo: running");
    println!("  server:    {url}  (API under {url}/api/v1)");
    println!("  database:  {DEMO_DB}  (delete it to start over)");
    println!("  sign in:   {}  /  {}", DEMO_ADMIN.0, DEMO_ADMIN.1);
    println!(
        "             (the demo agents use the same password; seed-demo names them on its first run)"
    );

    let mut app = None;
    if has_display() {
        println!("  desktop:   starting {}", app_bin.display());
        app = Some(Managed::spawn("app", proc::command(&app_bin, root))?);
        println!("\nClose the app window or press Ctrl-C to stop the demo.");
    } else {
        println!(
            "\nThe desktop app needs a display (DISPLAY or WAYLAND_DISPLAY is not set), so it \
             was not started; the server keeps running. Press Ctrl-C to stop it."
        );
    }
    proc::flush();

    let result = loop {
        if stop.load(Ordering::SeqCst) {
            println!("\nStopping the demo.");
            break Ok(());
        }
        if let Some(status) = server.try_wait()? {
            break Err(anyhow::anyhow!("the server exited unexpectedly ({status})"));
        }
        if let Some(app) = app.as_mut() {
            if let Some(status) = app.try_wait()? {
                println!("\nThe app exited ({status}); stopping the server.");
                break Ok(());
            }
        }
        sleep(Duration::from_millis(200));
    };
    if let Some(mut app) = app {
        app.stop();
    }
    server.stop();
    result
}

/// A child process that is stopped (politely, then firmly) when dropped.
struct Managed {
    name: &'static str,
    child: Child,
}

impl Managed {
    fn spawn(name: &'static str, mut cmd: Command) -> Result<Self> {
        // Its own process group: a terminal's Ctrl-C reaches only us, and we
        // stop the children in order.
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        println!("$ {}", proc::display(&cmd));
        proc::flush();
        let child = cmd
            .spawn()
            .with_context(|| format!("could not start the {name}: `{}`", proc::display(&cmd)))?;
        Ok(Self { name, child })
    }

    fn try_wait(&mut self) -> Result<Option<ExitStatus>> {
        Ok(self.child.try_wait()?)
    }

    fn stop(&mut self) {
        if matches!(self.child.try_wait(), Ok(Some(_))) {
            return;
        }
        terminate(&self.child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                println!("{} stopped", self.name);
                return;
            }
            sleep(Duration::from_millis(100));
        }
        println!("{} did not stop within 10 s; killing it", self.name);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Managed {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Asks a child to exit as if Ctrl-C had been pressed in its terminal: SIGINT
/// on Unix (the server shuts down cleanly on it).
#[cfg(unix)]
fn terminate(child: &Child) {
    if let Ok(pid) = libc::pid_t::try_from(child.id()) {
        // SAFETY: kill(2) with a pid we spawned and have not reaped yet.
        unsafe {
            libc::kill(pid, libc::SIGINT);
        }
    }
}

#[cfg(not(unix))]
fn terminate(_child: &Child) {}

fn wait_until_listening(server: &mut Managed, addr: SocketAddr, stop: &AtomicBool) -> Result<()> {
    let addr = connect_addr(addr);
    let deadline = Instant::now() + SERVER_START_TIMEOUT;
    loop {
        if let Some(status) = server.try_wait()? {
            bail!("the server exited before listening on {addr} ({status})");
        }
        if TcpStream::connect_timeout(&addr, Duration::from_millis(300)).is_ok() {
            return Ok(());
        }
        if stop.load(Ordering::SeqCst) {
            bail!("interrupted while waiting for the server");
        }
        if Instant::now() > deadline {
            bail!(
                "the server did not listen on {addr} within {} s",
                SERVER_START_TIMEOUT.as_secs()
            );
        }
        sleep(Duration::from_millis(200));
    }
}

fn resolve(listen: &str) -> Result<SocketAddr> {
    listen
        .to_socket_addrs()
        .with_context(|| format!("--listen {listen:?} is not an address"))?
        .next()
        .with_context(|| format!("--listen {listen:?} resolves to nothing"))
}

/// Where a local client reaches a server listening on `addr`.
fn connect_addr(addr: SocketAddr) -> SocketAddr {
    let mut addr = addr;
    if addr.ip().is_unspecified() {
        addr.set_ip(if addr.is_ipv4() {
            std::net::Ipv4Addr::LOCALHOST.into()
        } else {
            std::net::Ipv6Addr::LOCALHOST.into()
        });
    }
    addr
}

fn has_display() -> bool {
    if !cfg!(target_os = "linux") {
        return true;
    }
    ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|var| std::env::var_os(var).is_some_and(|v| !v.is_empty()))
}

fn exe(name: &str) -> String {
    format!("{name}{}", std::env::consts::EXE_SUFFIX)
}

/// Cargo's target directory (honours `CARGO_TARGET_DIR` and cargo config).
fn target_dir(root: &Path) -> Result<PathBuf> {
    let json = proc::output(proc::cargo().current_dir(root).args([
        "metadata",
        "--format-version",
        "1",
        "--no-deps",
    ]))
    .context("`cargo metadata` failed")?;
    let meta: serde_json::Value =
        serde_json::from_str(&json).context("reading `cargo metadata` output")?;
    meta["target_directory"]
        .as_str()
        .map(PathBuf::from)
        .context("`cargo metadata` has no target_directory")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clients_reach_a_wildcard_listener_on_loopback() {
        let any: SocketAddr = "0.0.0.0:8080".parse().unwrap();
        assert_eq!(connect_addr(any), "127.0.0.1:8080".parse().unwrap());
        let local: SocketAddr = "127.0.0.1:9000".parse().unwrap();
        assert_eq!(connect_addr(local), local);
    }
}

//! A throwaway PostgreSQL server for tests: Debian's binaries, a fresh data
//! directory, a free loopback port. One per test process (started on first
//! use); each test gets its own database. The server is told to stop when the
//! test process dies (parent-death signal), so nothing is left running.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// A running test PostgreSQL.
pub struct Postgres {
    port: u16,
    bin: PathBuf,
    dir: PathBuf,
    child: Mutex<Option<Child>>,
}

static SERVER: OnceLock<Result<Postgres, String>> = OnceLock::new();
static NEXT_DB: AtomicU32 = AtomicU32::new(0);

fn bin_dir() -> Result<PathBuf, String> {
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output() {
        let p = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if p.join("initdb").exists() {
            return Ok(p);
        }
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map_err(|e| format!("PostgreSQL is not installed (run `cargo xtask setup`): {e}"))?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("initdb").exists())
        .collect();
    found.sort();
    found
        .pop()
        .ok_or_else(|| "no initdb under /usr/lib/postgresql/*/bin".to_string())
}

/// Runs as the `postgres` system user when we are root (initdb refuses root).
fn as_db_user(cmd: &mut Command) -> Result<(), String> {
    // SAFETY: getuid has no preconditions.
    if unsafe { libc::getuid() } != 0 {
        return Ok(());
    }
    let out = Command::new("id")
        .args(["-u", "postgres"])
        .output()
        .map_err(|e| e.to_string())?;
    let uid: u32 = String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .map_err(|_| "no `postgres` user".to_string())?;
    let out = Command::new("id")
        .args(["-g", "postgres"])
        .output()
        .map_err(|e| e.to_string())?;
    let gid: u32 = String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .map_err(|_| "no `postgres` group".to_string())?;
    cmd.uid(uid).gid(gid);
    Ok(())
}

/// Removes the data directories of test PostgreSQL servers whose test
/// process is gone (`switchboard-pg-{pid}-{port}`): the server stops with
/// its process, but its directory (about 0.9 GB) stayed, and a day of test
/// runs filled the disk.
fn remove_leftovers() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(rest) = name
            .to_str()
            .and_then(|n| n.strip_prefix("switchboard-pg-"))
        else {
            continue;
        };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

fn start() -> Result<Postgres, String> {
    remove_leftovers();
    let bin = bin_dir()?;
    let dir = std::env::temp_dir().join(format!(
        "switchboard-pg-{}-{}",
        std::process::id(),
        crate::free_port()
    ));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    // SAFETY: getuid has no preconditions.
    if unsafe { libc::getuid() } == 0 {
        let _ = Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(&dir)
            .status();
    }
    let data = dir.join("data");
    let mut initdb = Command::new(bin.join("initdb"));
    initdb
        .arg("-D")
        .arg(&data)
        .args([
            "-U",
            "switchboard",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    as_db_user(&mut initdb)?;
    let out = initdb.output().map_err(|e| format!("initdb: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let port = crate::free_port();
    let child = spawn(&bin, &dir, port)?;
    Ok(Postgres {
        port,
        bin,
        dir,
        child: Mutex::new(Some(child)),
    })
}

/// Starts `postgres` on the data directory under `dir` and waits for its port.
fn spawn(bin: &Path, dir: &Path, port: u16) -> Result<Child, String> {
    let mut pg = Command::new(bin.join("postgres"));
    pg.arg("-D")
        .arg(dir.join("data"))
        .args(["-p", &port.to_string(), "-c", "listen_addresses=127.0.0.1"])
        .arg("-k")
        .arg(dir)
        .args([
            "-c",
            "fsync=off",
            "-c",
            "synchronous_commit=off",
            "-c",
            "full_page_writes=off",
        ])
        .args(["-c", "max_connections=400"])
        .stdout(Stdio::null())
        .stderr(File::create_log(dir));
    as_db_user(&mut pg)?;
    // SAFETY: prctl is async-signal-safe; it only asks the kernel to signal
    // the server when this test process dies.
    unsafe {
        pg.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGINT);
            Ok(())
        });
    }
    let child = pg.spawn().map_err(|e| format!("postgres: {e}"))?;
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            return Err(format!(
                "postgres did not start; see {}",
                dir.join("postgres.log").display()
            ));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(child)
}

struct File;
impl File {
    fn create_log(dir: &Path) -> Stdio {
        std::fs::File::create(dir.join("postgres.log"))
            .map(Stdio::from)
            .unwrap_or_else(|_| Stdio::null())
    }
}

/// The shared server (started on first use).
///
/// It is spawned from a thread that lives as long as the process: the kernel
/// sends the parent-death signal when the spawning *thread* exits.
pub fn server() -> &'static Postgres {
    let started = SERVER.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(start());
            loop {
                std::thread::park();
            }
        });
        rx.recv()
            .unwrap_or_else(|_| Err("the PostgreSQL starter thread died".into()))
    });
    match started {
        Ok(p) => p,
        Err(e) => panic!("cannot start the test PostgreSQL: {e}"),
    }
}

/// A PostgreSQL of the caller's own, to stop and start again (the shared
/// [`server`] is used by every test of the process). Stopped when dropped.
///
/// It is spawned from a thread that lives as long as the process, as
/// [`server`] is: the parent-death signal follows the spawning thread.
pub fn own() -> Postgres {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(start());
        loop {
            std::thread::park();
        }
    });
    match rx.recv() {
        Ok(Ok(p)) => p,
        Ok(Err(e)) => panic!("cannot start a test PostgreSQL: {e}"),
        Err(_) => panic!("the PostgreSQL starter thread died"),
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        self.stop();
    }
}

impl Postgres {
    /// Stops the server (a fast shutdown: sessions are cut) and waits for it.
    pub fn stop(&self) {
        let mut child = self.child.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(mut c) = child.take() {
            // SAFETY: kill only sends a signal to our own child.
            unsafe {
                libc::kill(c.id() as i32, libc::SIGINT);
            }
            let _ = c.wait();
        }
    }

    /// Starts the stopped server again, on the same port and data.
    ///
    /// The parent-death signal then follows the calling thread: call it from
    /// the test's own thread, which outlives the server.
    pub fn start_again(&self) {
        let mut child = self.child.lock().unwrap_or_else(|e| e.into_inner());
        if child.is_none() {
            match spawn(&self.bin, &self.dir, self.port) {
                Ok(c) => *child = Some(c),
                Err(e) => panic!("cannot start the test PostgreSQL again: {e}"),
            }
        }
    }

    /// A URL to the maintenance database.
    pub fn admin_url(&self) -> String {
        format!("postgres://switchboard@127.0.0.1:{}/postgres", self.port)
    }

    /// Creates a fresh, empty database and returns its URL.
    pub async fn fresh_database(&self) -> String {
        use sqlx::Connection;
        let name = format!(
            "t{}_{}",
            std::process::id(),
            NEXT_DB.fetch_add(1, Ordering::SeqCst)
        );
        // The port opens before the server accepts sessions: retry a while.
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut c = loop {
            match sqlx::postgres::PgConnection::connect(&self.admin_url()).await {
                Ok(c) => break c,
                Err(e) if Instant::now() > deadline => {
                    panic!("connect to the test PostgreSQL: {e}")
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        };
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut c)
            .await
            .expect("create a test database");
        format!("postgres://switchboard@127.0.0.1:{}/{name}", self.port)
    }
}

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
    _dir: PathBuf,
    _child: Mutex<Child>,
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

fn start() -> Result<Postgres, String> {
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
    let mut pg = Command::new(bin.join("postgres"));
    pg.arg("-D")
        .arg(&data)
        .args(["-p", &port.to_string(), "-c", "listen_addresses=127.0.0.1"])
        .arg("-k")
        .arg(&dir)
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
        .stderr(File::create_log(&dir));
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
    Ok(Postgres {
        port,
        _dir: dir,
        _child: Mutex::new(child),
    })
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

impl Postgres {
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

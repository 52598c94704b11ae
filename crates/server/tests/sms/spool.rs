//! Texts that arrive while the database is away are kept in the spool and
//! answered 200 (Twilio never retries an inbound webhook), survive a
//! `kill -9` of the server, and are stored exactly once when a new server
//! starts on the same data. The real binary, a real SQLite file locked by
//! another process, real signals.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::future::join_all;

use super::harness::{text, twilio_signature, ACCOUNT_SID, AUTH_TOKEN, OUR_NUMBER, PUBLIC_URL};

const BIN: &str = env!("CARGO_BIN_EXE_switchboard-server");

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(db: &str, port: u16) -> Running {
    let mut cmd = Command::new(BIN);
    for (name, _) in std::env::vars() {
        if name.starts_with("SWITCHBOARD_") {
            cmd.env_remove(name);
        }
    }
    let child = cmd
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--database-url",
            db,
        ])
        .env("SWITCHBOARD_TWILIO_ACCOUNT_SID", ACCOUNT_SID)
        .env("SWITCHBOARD_TWILIO_AUTH_TOKEN", AUTH_TOKEN)
        .env("SWITCHBOARD_TWILIO_FROM", OUR_NUMBER)
        .env("SWITCHBOARD_PUBLIC_URL", PUBLIC_URL)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("switchboard-server");
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    Running(child)
}

async fn post(http: &reqwest::Client, port: u16, sid: &str, n: usize) -> u16 {
    let path = "/channels/sms/twilio";
    let body = format!("spooled text {n}");
    let params = text(sid, "+15551230000", &body);
    let sig = twilio_signature(AUTH_TOKEN, &format!("{PUBLIC_URL}{path}"), &params);
    let form = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params.iter())
        .finish();
    http.post(format!("http://127.0.0.1:{port}{path}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("X-Twilio-Signature", sig)
        .body(form)
        .send()
        .await
        .map(|r| r.status().as_u16())
        .unwrap_or(0)
}

fn stored(path: &std::path::Path) -> Vec<(String, i64)> {
    let c = rusqlite::Connection::open(path).expect("database");
    let mut q = c
        .prepare("SELECT message_sid, COUNT(*) FROM sms_inbound WHERE message_sid LIKE 'SMspool%' GROUP BY message_sid")
        .expect("query");
    q.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("rows")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn texts_spooled_while_the_database_is_locked_survive_kill_9_and_are_stored_once() {
    // SQLite whatever the suite's backend: run once.
    if switchboard_testkit::backend() == "postgres" {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("switchboard.db");
    let db = format!("sqlite://{}", file.display());
    let spool = dir.path().join("spool");
    let http = reqwest::Client::new();
    let port = switchboard_testkit::free_port();
    let mut server = start(&db, port);
    // One text stored the ordinary way, before the lock.
    assert_eq!(post(&http, port, "SMspool000", 0).await, 200);
    // Another process takes the write lock and keeps it.
    let mut lock = Command::new("python3")
        .args([
            "-c",
            "import sqlite3, sys, time\n\
             c = sqlite3.connect(sys.argv[1], isolation_level=None)\n\
             c.execute('BEGIN IMMEDIATE')\n\
             print('locked', flush=True)\n\
             time.sleep(120)",
        ])
        .arg(&file)
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 (installed by `cargo xtask setup`)");
    {
        use std::io::BufRead;
        let out = lock.stdout.take().expect("stdout");
        let mut line = String::new();
        std::io::BufReader::new(out)
            .read_line(&mut line)
            .expect("the lock holder says it holds the lock");
        assert_eq!(line.trim(), "locked");
    }
    const N: usize = 20;
    let sids: Vec<String> = (1..=N).map(|i| format!("SMspool{i:03}")).collect();
    let answers = join_all(
        sids.iter()
            .enumerate()
            .map(|(i, sid)| post(&http, port, sid, i + 1)),
    )
    .await;
    assert!(
        answers.iter().all(|s| *s == 200),
        "every text answered 200: {answers:?}"
    );
    let spooled: usize = std::fs::read_dir(&spool)
        .expect("spool dir")
        .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
        .map(|s| s.lines().count())
        .sum();
    assert_eq!(
        spooled, N,
        "the spool holds every text answered while locked"
    );
    // kill -9 while the spool holds them, then the lock goes.
    let _ = server.0.kill();
    let _ = server.0.wait();
    let _ = lock.kill();
    let _ = lock.wait();
    assert_eq!(
        stored(&file).len(),
        1,
        "only the text from before the lock is stored"
    );
    // A new server on the same data applies the stopped instance's spool.
    let port = switchboard_testkit::free_port();
    server = start(&db, port);
    let deadline = Instant::now() + Duration::from_secs(20);
    while stored(&file).len() < N + 1 {
        assert!(
            Instant::now() < deadline,
            "the spool was not applied: {:?}",
            stored(&file)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Twilio replaying one of them changes nothing.
    assert_eq!(post(&http, port, "SMspool007", 7).await, 200);
    let rows = stored(&file);
    let duplicated = rows.iter().filter(|(_, n)| *n != 1).count();
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::fs::read_dir(&spool).expect("spool dir").any(|e| {
        e.ok()
            .and_then(|e| e.metadata().ok())
            .is_some_and(|m| m.len() > 0)
    }) {
        assert!(
            Instant::now() < deadline,
            "the applied spool file is not gone"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!(
        "spool: sent {}, answered 200 {}, stored {}, lost {}, duplicated {duplicated}",
        N + 1,
        answers.len() + 1,
        rows.len(),
        N + 1 - rows.len()
    );
    assert_eq!(rows.len(), N + 1, "every text stored");
    assert_eq!(duplicated, 0, "none stored twice");
    drop(server);
}

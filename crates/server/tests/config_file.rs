//! `switchboard-server serve --config FILE`: the settings of the file reach
//! the server (its address, its database and a channel), the environment
//! wins over the file, and a mistyped key stops the start with its name.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_switchboard-server");

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// The server binary with no `SWITCHBOARD_*` from the test's environment.
fn server() -> Command {
    let mut cmd = Command::new(BIN);
    for (name, _) in std::env::vars() {
        if name.starts_with("SWITCHBOARD_") {
            cmd.env_remove(name);
        }
    }
    cmd.stdout(Stdio::null()).stderr(Stdio::piped());
    cmd
}

struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn wait_healthy(base: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(r) = reqwest::get(format!("{base}/api/v1/health")).await {
            if r.status().is_success() {
                return;
            }
        }
        assert!(Instant::now() < deadline, "no server at {base}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn settings_come_from_the_file_and_the_environment_wins() {
    let dir = tempfile::tempdir().expect("temp dir");
    let port = free_port();
    let db = dir.path().join("from-file.db");
    let config = dir.path().join("switchboard.toml");
    let mut f = std::fs::File::create(&config).expect("config file");
    write!(
        f,
        r#"
listen = "127.0.0.1:{port}"
database_url = "sqlite://{db}"
public_url = "http://127.0.0.1:{port}"
email_inbound_secret = "from-the-file"

[twilio]
account_sid = "AC00000000000000000000000000000000"
auth_token = "file-token"
from = "+15005550006"
api_base = "http://127.0.0.1:9"
"#,
        db = db.display()
    )
    .expect("write config");
    drop(f);

    let _server = Running(
        server()
            .args(["serve", "--config"])
            .arg(&config)
            .env("SWITCHBOARD_EMAIL_INBOUND_SECRET", "from-the-environment")
            .spawn()
            .expect("start the server"),
    );
    let base = format!("http://127.0.0.1:{port}");
    wait_healthy(&base).await;
    assert!(db.exists(), "the database of the file was used");

    let http = reqwest::Client::new();
    // SMS is configured by the file: an unsigned webhook is refused as
    // unsigned (403), not as an unconfigured channel (503).
    let sms = http
        .post(format!("{base}/channels/sms/twilio"))
        .form(&[
            ("MessageSid", "SM1"),
            ("From", "+15551234567"),
            ("Body", "hi"),
        ])
        .send()
        .await
        .expect("sms webhook");
    assert_eq!(sms.status().as_u16(), 403);

    // The environment's inbound secret wins over the file's.
    let mail = "From: a@example.com\r\nTo: support@example.com\r\nSubject: hi\r\nMessage-ID: <cfg-1@example.com>\r\n\r\nHello\r\n";
    let inbound = |secret: &'static str| {
        http.post(format!("{base}/channels/email/inbound"))
            .header("X-Switchboard-Secret", secret)
            .body(mail)
            .send()
    };
    let with_file_secret = inbound("from-the-file").await.expect("email inbound");
    assert_eq!(with_file_secret.status().as_u16(), 403);
    let with_env_secret = inbound("from-the-environment")
        .await
        .expect("email inbound");
    assert!(
        with_env_secret.status().is_success(),
        "{}",
        with_env_secret.status()
    );
}

#[test]
fn a_mistyped_key_stops_the_start_and_names_the_key_not_the_value() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("switchboard.toml");
    std::fs::write(&config, "[twilio]\nauth_tokn = \"hunter2\"\n").expect("config file");
    let out = server()
        .args(["serve", "--config"])
        .arg(&config)
        .output()
        .expect("run the server");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("twilio_auth_tokn"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
}

/// The systemd unit in `deploy/systemd` is one `systemd-analyze verify`
/// accepts (its binary path pointed at the one just built), and a SIGTERM
/// of the real binary — what `systemctl stop` sends — ends it with 0.
#[test]
fn the_systemd_unit_verifies_and_sigterm_exits_0() {
    let unit = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../deploy/systemd/switchboard.service"
    ))
    .expect("deploy/systemd/switchboard.service");
    assert!(unit.contains("ExecStart=/usr/local/bin/switchboard-server serve"));
    for hardening in [
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "User=switchboard",
    ] {
        assert!(unit.contains(hardening), "the unit sets {hardening}");
    }
    if switchboard_testkit::process::require(
        "systemd-analyze",
        Command::new("systemd-analyze")
            .arg("--version")
            .output()
            .is_ok(),
        "apt-get install systemd (cargo xtask setup)",
    ) {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("switchboard.service");
        std::fs::write(
            &path,
            unit.replace("/usr/local/bin/switchboard-server", BIN),
        )
        .expect("unit copy");
        let out = Command::new("systemd-analyze")
            .arg("verify")
            .arg(&path)
            .output()
            .expect("systemd-analyze");
        assert!(
            out.status.success() && out.stderr.is_empty(),
            "systemd-analyze verify: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let port = free_port();
    let mut child = server()
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--database-url",
        ])
        .arg(format!("sqlite://{}", dir.path().join("s.db").display()))
        .spawn()
        .expect("server");
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    // SAFETY: a signal to our own child.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    let deadline = Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        assert!(Instant::now() < deadline, "no exit within 15 s of SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(
        status.success(),
        "SIGTERM ends the server with 0, got {status}"
    );
}

/// The operational settings from the environment: JSON log lines carrying
/// each request's id (the one sent back in `x-request-id`), metrics on their
/// own address, the spool in the directory named.
#[tokio::test]
async fn json_logs_metrics_listener_and_spool_dir_come_from_the_settings() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (port, metrics_port) = (free_port(), free_port());
    let spool = dir.path().join("my-spool");
    let mut child = server()
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--database-url",
        ])
        .arg(format!("sqlite://{}", dir.path().join("s.db").display()))
        .env("SWITCHBOARD_LOG_FORMAT", "json")
        .env("RUST_LOG", "info,tower_http=debug")
        .env(
            "SWITCHBOARD_METRICS_LISTEN",
            format!("127.0.0.1:{metrics_port}"),
        )
        .env("SWITCHBOARD_SPOOL_DIR", &spool)
        .stdout(Stdio::piped())
        .spawn()
        .expect("server");
    let stdout = child.stdout.take().expect("stdout");
    let running = Running(child);
    let base = format!("http://127.0.0.1:{port}");
    wait_healthy(&base).await;
    let r = reqwest::get(format!("{base}/api/v1/health/live"))
        .await
        .expect("live");
    let id = r.headers()["x-request-id"].to_str().expect("id").to_owned();
    assert!(!id.is_empty());
    let m = reqwest::get(format!("http://127.0.0.1:{metrics_port}/metrics"))
        .await
        .expect("metrics");
    assert_eq!(m.status(), 200);
    let text = m.text().await.expect("text");
    assert!(text.contains(r#"route="/api/v1/health/live""#), "{text}");
    assert!(
        std::fs::read_dir(&spool)
            .expect("the spool directory")
            .count()
            == 1,
        "this instance's spool file"
    );
    drop(running);
    let mut lines = String::new();
    std::io::Read::read_to_string(&mut { stdout }, &mut lines).expect("log");
    let mut with_id = 0;
    for line in lines.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        if v["span"]["request_id"] == id.as_str() {
            with_id += 1;
        }
    }
    assert!(
        with_id >= 1,
        "the request's log lines carry its id {id}:\n{lines}"
    );
}

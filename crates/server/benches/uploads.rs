//! Upload and send of a 10 MiB attachment (`cargo xtask bench --only
//! uploads`): the real server as a child process (release build, SQLite
//! file), the testkit's SMTP sink as the mail server. Each run starts a
//! fresh server, lets it settle, and measures:
//!
//! - the upload: `POST /api/v1/uploads` of 10 MiB (time to the 201), and
//!   the server's peak resident memory while it took it (`VmHWM`, reset
//!   through `/proc/PID/clear_refs` just before) against its idle memory;
//! - the send: a reply carrying the file to an email conversation, from
//!   the POST to the mail in the SMTP sink (time), and the peak while it
//!   was built and sent (lettre builds a mail whole: the file, its Base64
//!   and the message are in memory for the send; docs/attachments.md).
//!
//! Medians of `SWITCHBOARD_BENCH_UPLOAD_RUNS` runs (default 5), beside the
//! target: the upload's peak must not grow by the file's size (the body
//! streams to a temporary file and then to the database a chunk at a time).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use switchboard_api::{AgentStatus, Client, DeliveryStatus, NewAgent, Session};
use switchboard_testkit::smtp::SmtpSink;
use switchboard_testkit::{free_port, PASSWORD};

const MIB: u64 = 1024 * 1024;
const FILE_BYTES: usize = 10 * 1024 * 1024;
const SECRET: &str = "bench-inbound-secret";

type Res<T> = Result<T, Box<dyn std::error::Error>>;

/// A server child process, killed when dropped.
struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn start(dir: &Path, smtp: &str) -> Res<Self> {
        let bin = env!("CARGO_BIN_EXE_switchboard-server");
        let db = format!("sqlite://{}", dir.join("bench.db").display());
        let status = Command::new(bin)
            .args([
                "create-admin",
                "--email",
                "admin@bench.test",
                "--password",
                PASSWORD,
            ])
            .args(["--database-url", &db])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()?;
        if !status.success() {
            return Err("create-admin failed".into());
        }
        let port = free_port();
        let child = Command::new(bin)
            .args([
                "serve",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--database-url",
                &db,
            ])
            .env("SWITCHBOARD_SMTP_URL", smtp)
            .env("SWITCHBOARD_SMTP_FROM", "Acme Support <support@acme.test>")
            .env("SWITCHBOARD_EMAIL_INBOUND_SECRET", SECRET)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()?;
        Ok(Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
        })
    }

    fn status_kib(&self, field: &str) -> Res<u64> {
        let text = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))?;
        text.lines()
            .find_map(|l| l.strip_prefix(field))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .ok_or_else(|| format!("no {field} in /proc/PID/status").into())
    }

    /// Resident memory now, in MiB.
    fn rss(&self) -> Res<f64> {
        Ok(self.status_kib("VmRSS:")? as f64 / 1024.0)
    }

    /// The peak resident memory since the last [`Self::reset_peak`], in MiB.
    fn peak(&self) -> Res<f64> {
        Ok(self.status_kib("VmHWM:")? as f64 / 1024.0)
    }

    /// Starts the peak over from the current resident memory.
    fn reset_peak(&self) -> Res<()> {
        std::fs::write(format!("/proc/{}/clear_refs", self.child.id()), "5")?;
        Ok(())
    }
}

struct Run {
    idle: f64,
    upload_s: f64,
    upload_peak: f64,
    send_s: f64,
    send_peak: f64,
}

async fn wait_up(url: &str) -> Res<()> {
    let http = reqwest::Client::new();
    for _ in 0..300 {
        if let Ok(r) = http.get(format!("{url}/api/v1/health")).send().await {
            if r.status().is_success() {
                return Ok(());
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err("the server did not come up".into())
}

async fn agent(url: &str) -> Res<Session> {
    let client = Client::new(url)?;
    let admin = client.login("admin@bench.test", PASSWORD).await?;
    admin
        .create_agent(&NewAgent {
            name: "Sam Bench".into(),
            email: "sam@bench.test".into(),
            password: PASSWORD.into(),
            role: None,
            categories: vec!["general".into()],
            capacity: Some(10),
        })
        .await?;
    let sam = client.login("sam@bench.test", PASSWORD).await?;
    sam.set_status(AgentStatus::Available).await?;
    Ok(sam)
}

async fn email_conversation(url: &str, n: usize) -> Res<String> {
    let raw = format!(
        "From: Carla <carla@example.com>\r\nTo: support@acme.test\r\nSubject: The manual {n}\r\n\
Message-ID: <bench-{n}@example.com>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\n\
Could you send the manual?\r\n"
    );
    let r = reqwest::Client::new()
        .post(format!("{url}/channels/email/inbound"))
        .header("content-type", "message/rfc822")
        .header("x-switchboard-secret", SECRET)
        .body(raw)
        .send()
        .await?;
    let v: serde_json::Value = r.json().await?;
    v["conversation_id"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("inbound answered {v}").into())
}

fn file() -> Vec<u8> {
    let mut v = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut x: u32 = 0x2545_f491;
    while v.len() < FILE_BYTES {
        // xorshift: bytes that do not compress.
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        v.extend_from_slice(&x.to_le_bytes());
    }
    v.truncate(FILE_BYTES);
    v
}

async fn one_run(n: usize, bytes: &[u8]) -> Res<Run> {
    let sink = SmtpSink::start().ok_or("the SMTP sink needs python3 with aiosmtpd")?;
    let dir = tempfile::tempdir()?;
    let server = Server::start(dir.path(), &sink.url())?;
    wait_up(&server.url).await?;
    let sam = agent(&server.url).await?;
    let conv = email_conversation(&server.url, n).await?;
    sam.claim(&conv).await?;
    // Settle: a small upload and download first (pools, caches), then rest.
    let warm = sam.upload("warm.txt", b"warm".to_vec()).await?;
    sam.download(&warm.id).await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let idle = server.rss()?;

    server.reset_peak()?;
    let t = Instant::now();
    let up = sam.upload("manual.pdf", bytes.to_vec()).await?;
    let upload_s = t.elapsed().as_secs_f64();
    let upload_peak = server.peak()?;
    if up.size != bytes.len() as u64 {
        return Err("the upload's size differs".into());
    }

    tokio::time::sleep(Duration::from_millis(300)).await;
    server.reset_peak()?;
    let t = Instant::now();
    let reply = sam
        .reply_with(&conv, "The manual is attached.", &[&up.id])
        .await?;
    loop {
        let c = sam.conversation(&conv).await?;
        let sent = c
            .messages
            .iter()
            .find(|m| m.id == reply.id)
            .and_then(|m| m.delivery.as_ref())
            .is_some_and(|d| d.status == DeliveryStatus::Sent);
        if sent && !sink.received().is_empty() {
            break;
        }
        if t.elapsed() > Duration::from_secs(60) {
            return Err("the reply was not sent within a minute".into());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let send_s = t.elapsed().as_secs_f64();
    let send_peak = server.peak()?;
    Ok(Run {
        idle,
        upload_s,
        upload_peak,
        send_s,
        send_peak,
    })
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() -> std::process::ExitCode {
    let runs: usize = std::env::var("SWITCHBOARD_BENCH_UPLOAD_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n >= 1)
        .unwrap_or(5);
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("uploads bench: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let bytes = file();
    let mut all = Vec::new();
    for n in 0..runs {
        match rt.block_on(one_run(n, &bytes)) {
            Ok(r) => {
                println!(
                    "run {}: idle {:.1} MiB, upload {:.2} s (peak {:.1} MiB), send {:.2} s (peak {:.1} MiB)",
                    n + 1,
                    r.idle,
                    r.upload_s,
                    r.upload_peak,
                    r.send_s,
                    r.send_peak
                );
                all.push(r);
            }
            Err(e) => {
                eprintln!("uploads bench: run {} failed: {e}", n + 1);
                return std::process::ExitCode::FAILURE;
            }
        }
    }
    let file_mib = FILE_BYTES as f64 / MIB as f64;
    let idle = median(all.iter().map(|r| r.idle).collect());
    let up_s = median(all.iter().map(|r| r.upload_s).collect());
    let up_growth = median(all.iter().map(|r| r.upload_peak - r.idle).collect());
    let send_s = median(all.iter().map(|r| r.send_s).collect());
    let send_growth = median(all.iter().map(|r| r.send_peak - r.idle).collect());
    let verdict = |ok: bool| if ok { "met" } else { "MISSED" };
    println!();
    println!("upload and send of a {file_mib:.0} MiB attachment (SQLite, release server as a child process; median of {runs} runs)");
    println!("| figure | measured | target |");
    println!("|---|---|---|");
    println!("| server idle memory (VmRSS) | {idle:.1} MiB | — |");
    println!("| upload (POST /api/v1/uploads → 201) | {up_s:.2} s | — |");
    println!(
        "| peak memory over idle while uploading (VmHWM − idle) | {up_growth:.1} MiB | < {file_mib:.0} MiB, streamed: {} |",
        verdict(up_growth < file_mib)
    );
    println!("| send (reply POST → mail in the SMTP sink) | {send_s:.2} s | — |");
    println!(
        "| peak memory over idle while sending the mail | {send_growth:.1} MiB | reported (lettre builds the mail whole) |"
    );
    std::process::ExitCode::SUCCESS
}

//! A server with the email channel configured, and the real peers: a
//! throwaway Dovecot (IMAP) and an aiosmtpd sink (SMTP), each on a free
//! loopback port in its own temporary directory, killed when dropped.

#![allow(dead_code)]

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use switchboard_api::{Client, Conversation, NewAgent, Role, Session};
use switchboard_server::channels::email::EmailConfig;
use switchboard_server::{seed, Clock, Config, Server};
use tempfile::TempDir;

pub const PASSWORD: &str = "correct-horse-battery";
pub const ADMIN_EMAIL: &str = "admin@test.switchboard";
pub const SECRET: &str = "inbound-secret-for-tests";

pub fn backend() -> String {
    std::env::var("SWITCHBOARD_TEST_DATABASE").unwrap_or_else(|_| "sqlite".into())
}

/// A running server with email configured.
pub struct App {
    pub url: String,
    pub admin: Session,
    pub client: Client,
    pub http: reqwest::Client,
    server: Option<Server>,
    _dir: TempDir,
}

/// Starts a server (system clock, background jobs on) with `email`.
pub async fn spawn(mut email: EmailConfig) -> App {
    let dir = tempfile::tempdir().expect("temp dir");
    let database_url = match backend().as_str() {
        "postgres" => crate::postgres::server().fresh_database().await,
        _ => format!("sqlite://{}", dir.path().join("switchboard.db").display()),
    };
    if email.inbound_secret.is_none() {
        email.inbound_secret = Some(SECRET.into());
    }
    let server = Server::start(Config {
        clock: Clock::system(),
        background: true,
        email,
        ..Config::new("127.0.0.1:0".parse().unwrap(), database_url)
    })
    .await
    .expect("server start");
    seed::create_admin(server.store(), ADMIN_EMAIL, PASSWORD, "Ada Admin")
        .await
        .expect("create admin");
    let url = server.url();
    let client = Client::new(&url).expect("client");
    let admin = client.login(ADMIN_EMAIL, PASSWORD).await.expect("login");
    App {
        url,
        admin,
        client,
        http: reqwest::Client::new(),
        server: Some(server),
        _dir: dir,
    }
}

impl App {
    /// Posts a raw message to the inbound endpoint with `secret`.
    pub async fn inbound(
        &self,
        raw: impl Into<Vec<u8>>,
        secret: Option<&str>,
    ) -> reqwest::Response {
        let mut req = self
            .http
            .post(format!("{}/channels/email/inbound", self.url))
            .header("content-type", "message/rfc822")
            .body(raw.into());
        if let Some(s) = secret {
            req = req.header("x-switchboard-secret", s);
        }
        req.send().await.expect("inbound request")
    }

    /// Posts with the right secret and returns the JSON answer.
    pub async fn deliver(&self, raw: impl Into<Vec<u8>>) -> serde_json::Value {
        let resp = self.inbound(raw, Some(SECRET)).await;
        let status = resp.status();
        let body = resp.text().await.unwrap_or_default();
        assert!(status.is_success(), "inbound answered {status}: {body}");
        serde_json::from_str(&body).expect("json")
    }

    /// An agent in `general`, available, logged in.
    pub async fn agent(&self, name: &str) -> Session {
        let email = format!("{}@test.switchboard", name.to_lowercase());
        self.admin
            .create_agent(&NewAgent {
                name: name.into(),
                email: email.clone(),
                password: PASSWORD.into(),
                role: Some(Role::Agent),
                categories: vec!["general".into()],
                capacity: Some(10),
            })
            .await
            .expect("create agent");
        let s = self
            .client
            .login(&email, PASSWORD)
            .await
            .expect("agent login");
        s.set_status(switchboard_api::AgentStatus::Available)
            .await
            .expect("status");
        s
    }

    pub async fn conversation(&self, id: &str) -> Conversation {
        self.admin.conversation(id).await.expect("conversation")
    }

    /// Every conversation the admin sees.
    pub async fn all(&self) -> Vec<switchboard_api::ConversationSummary> {
        self.admin
            .conversations(switchboard_api::View::All)
            .await
            .expect("list")
    }

    pub async fn stop(mut self) {
        if let Some(s) = self.server.take() {
            s.stop().await;
        }
    }
}

/// Polls `f` every 100 ms until it returns `Some`, for up to `secs`.
pub async fn eventually<T, F, Fut>(secs: u64, what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

fn wait_for_port(port: u16, child: &mut Child, log: &Path) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!(
                "peer exited with {status}: {}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
        }
        assert!(
            Instant::now() < deadline,
            "peer did not listen on {port}: {}",
            std::fs::read_to_string(log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn die_with_parent(cmd: &mut Command) {
    // SAFETY: prctl is async-signal-safe; it only sets the death signal.
    unsafe {
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
            Ok(())
        });
    }
}

/// Whether a peer is missing: skip (with a message) outside CI, fail in CI.
pub fn require(peer: &str, present: bool, install: &str) -> bool {
    if present {
        return true;
    }
    if std::env::var_os("CI").is_some() {
        panic!("{peer} is not installed but CI is set: {install}");
    }
    eprintln!("SKIPPED: {peer} is not installed ({install}); this test needs it");
    false
}

fn dovecot_bin() -> Option<PathBuf> {
    ["/usr/sbin/dovecot", "/usr/local/sbin/dovecot"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

/// A throwaway Dovecot with one passwd-file user, IMAP on a free port, no TLS.
pub struct Dovecot {
    pub port: u16,
    pub user: String,
    pub password: String,
    dir: TempDir,
    child: Child,
}

impl Dovecot {
    /// `None` when Dovecot is not installed and CI is not set.
    pub fn start() -> Option<Self> {
        let bin = dovecot_bin();
        if !require("dovecot", bin.is_some(), "apt-get install -y dovecot-imapd") {
            return None;
        }
        let bin = bin?;
        let dir = tempfile::tempdir().expect("temp dir");
        let d = dir.path();
        let port = free_port();
        let root = unsafe { libc::geteuid() } == 0;
        // As root, Dovecot's login processes run as its own unprivileged users
        // and the mail as `nobody`; otherwise everything runs as the caller.
        let (mail_uid, mail_gid) = if root {
            (65534, 65534)
        } else {
            unsafe { (libc::geteuid(), libc::getegid()) }
        };
        let me = std::env::var("USER").unwrap_or_else(|_| "nobody".into());
        let (internal, login, group) = if root {
            (
                "dovecot".to_owned(),
                "dovenull".to_owned(),
                "dovecot".to_owned(),
            )
        } else {
            (me.clone(), me.clone(), me)
        };
        for sub in ["run", "state", "mail", "home"] {
            std::fs::create_dir_all(d.join(sub)).expect("mkdir");
        }
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        if root {
            for sub in ["mail", "home"] {
                std::os::unix::fs::chown(d.join(sub), Some(mail_uid), Some(mail_gid))
                    .expect("chown");
            }
        }
        let user = "support".to_owned();
        let password = "imap-test-password".to_owned();
        std::fs::write(d.join("passwd"), format!("{user}:{{PLAIN}}{password}\n")).expect("passwd");
        let p = |s: &str| d.join(s).display().to_string();
        let conf = format!(
            r#"base_dir = {run}
state_dir = {state}
log_path = {log}
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{mail}/%u
first_valid_uid = 1
default_internal_user = {internal}
default_internal_group = {group}
default_login_user = {login}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {passwd}
}}
userdb {{
  driver = static
  args = uid={mail_uid} gid={mail_gid} home={home}/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
  chroot =
}}
"#,
            run = p("run"),
            state = p("state"),
            log = p("dovecot.log"),
            mail = p("mail"),
            passwd = p("passwd"),
            home = p("home"),
        );
        std::fs::write(d.join("dovecot.conf"), conf).expect("conf");
        let mut cmd = Command::new(bin);
        cmd.arg("-F")
            .arg("-c")
            .arg(d.join("dovecot.conf"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        die_with_parent(&mut cmd);
        let mut child = cmd.spawn().expect("start dovecot");
        wait_for_port(port, &mut child, &d.join("dovecot.log"));
        Some(Self {
            port,
            user,
            password,
            dir,
            child,
        })
    }

    /// `imap://user:password@127.0.0.1:PORT/INBOX`.
    pub fn url(&self) -> String {
        format!(
            "imap://{}:{}@127.0.0.1:{}/INBOX",
            self.user, self.password, self.port
        )
    }

    /// Delivers a message into the INBOX (IMAP APPEND, unseen).
    pub async fn deliver(&self, raw: &[u8]) {
        let mut s = self.session().await;
        s.append("INBOX", None, None, raw).await.expect("append");
        let _ = s.logout().await;
    }

    /// Flags of every message in the INBOX, in order.
    pub async fn seen_flags(&self) -> Vec<bool> {
        use futures_util::TryStreamExt;
        let mut s = self.session().await;
        s.examine("INBOX").await.expect("examine");
        let fetches: Vec<_> = s
            .fetch("1:*", "FLAGS")
            .await
            .expect("fetch")
            .try_collect()
            .await
            .unwrap_or_default();
        let out = fetches
            .iter()
            .map(|f| {
                f.flags()
                    .any(|fl| matches!(fl, async_imap::types::Flag::Seen))
            })
            .collect();
        let _ = s.logout().await;
        out
    }

    async fn session(&self) -> async_imap::Session<tokio::net::TcpStream> {
        let tcp = tokio::net::TcpStream::connect(("127.0.0.1", self.port))
            .await
            .expect("connect dovecot");
        let mut c = async_imap::Client::new(tcp);
        c.read_response().await.expect("greeting");
        c.login(&self.user, &self.password)
            .await
            .map_err(|(e, _)| e)
            .expect("imap login")
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("dovecot.log")).unwrap_or_default()
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const SINK: &str = r#"
import asyncio, os, sys
from aiosmtpd.controller import Controller

class Sink:
    def __init__(self, out):
        self.out = out
        self.n = 0
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("reject"):
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"
    async def handle_DATA(self, server, session, envelope):
        self.n += 1
        path = os.path.join(self.out, "%04d.eml" % self.n)
        with open(path + ".tmp", "wb") as f:
            f.write(("X-Envelope-From: %s\r\nX-Envelope-To: %s\r\n" % (envelope.mail_from, ",".join(envelope.rcpt_tos))).encode())
            f.write(envelope.original_content)
        os.rename(path + ".tmp", path)
        return "250 Message accepted"

port, out = int(sys.argv[1]), sys.argv[2]
c = Controller(Sink(out), hostname="127.0.0.1", port=port)
c.start()
print("ready", flush=True)
try:
    asyncio.get_event_loop().run_forever()
except KeyboardInterrupt:
    pass
"#;

/// An SMTP server on loopback (aiosmtpd) that files every message it accepts.
pub struct SmtpSink {
    pub port: u16,
    dir: TempDir,
    child: Child,
}

fn python() -> String {
    std::env::var("PYTHON").unwrap_or_else(|_| "python3".into())
}

impl SmtpSink {
    /// `None` when aiosmtpd is not installed and CI is not set.
    pub fn start() -> Option<Self> {
        let present = Command::new(python())
            .args(["-c", "import aiosmtpd"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if !require("aiosmtpd", present, "pip install aiosmtpd") {
            return None;
        }
        let dir = tempfile::tempdir().expect("temp dir");
        let out = dir.path().join("out");
        std::fs::create_dir_all(&out).expect("mkdir");
        let script = dir.path().join("sink.py");
        std::fs::write(&script, SINK).expect("script");
        let port = free_port();
        let log = dir.path().join("sink.log");
        let logf = std::fs::File::create(&log).expect("log");
        let mut cmd = Command::new(python());
        cmd.arg(&script)
            .arg(port.to_string())
            .arg(&out)
            .stdin(Stdio::null())
            .stdout(logf.try_clone().expect("log"))
            .stderr(logf);
        die_with_parent(&mut cmd);
        let mut child = cmd.spawn().expect("start aiosmtpd");
        wait_for_port(port, &mut child, &log);
        Some(Self { port, dir, child })
    }

    /// `smtp://127.0.0.1:PORT` (STARTTLS only if offered: the sink offers none).
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// The raw messages received so far, oldest first.
    pub fn received(&self) -> Vec<String> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(self.dir.path().join("out"))
            .map(|d| {
                d.filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|x| x == "eml"))
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
            .iter()
            .filter_map(|p| std::fs::read(p).ok())
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .collect()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The value of header `name` in a raw message (unfolded), if present.
pub fn header(raw: &str, name: &str) -> Option<String> {
    let head = raw.split("\r\n\r\n").next().unwrap_or(raw);
    let mut out: Option<String> = None;
    let mut current = false;
    for line in head.split("\r\n") {
        if line.starts_with([' ', '\t']) {
            if current {
                if let Some(v) = out.as_mut() {
                    v.push(' ');
                    v.push_str(line.trim());
                }
            }
            continue;
        }
        current = false;
        if let Some((k, v)) = line.split_once(':') {
            if k.eq_ignore_ascii_case(name) && out.is_none() {
                out = Some(v.trim().to_owned());
                current = true;
            }
        }
    }
    out
}

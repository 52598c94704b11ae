//! A server with the email channel configured (`switchboard_testkit`), and
//! the real peers: a throwaway Dovecot (IMAP, here) and the testkit's
//! aiosmtpd sink (SMTP), each on a free loopback port in its own temporary
//! directory, killed when dropped.

#![allow(dead_code)]

use std::ops::Deref;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use switchboard_api::{Conversation, Session};
use switchboard_server::channels::email::EmailConfig;
use switchboard_server::{Clock, Config, Server};
use switchboard_testkit::process::{die_with_parent, require, wait_for_port};
pub use switchboard_testkit::smtp::{header, SmtpSink};
use switchboard_testkit::TestServer;
pub use switchboard_testkit::{eventually, free_port, PASSWORD};
use tempfile::TempDir;

pub const SECRET: &str = "inbound-secret-for-tests";

/// A running server with email configured (`url`, `admin`, `client`,
/// `http` of the testkit's server).
pub struct App(TestServer);

impl Deref for App {
    type Target = TestServer;
    fn deref(&self) -> &TestServer {
        &self.0
    }
}

/// Starts a server (system clock, background jobs on) with `email`.
pub async fn spawn(mut email: EmailConfig) -> App {
    if email.inbound_secret.is_none() {
        email.inbound_secret = Some(SECRET.into());
    }
    App(switchboard_testkit::spawn_with(|c| {
        c.clock = Clock::system();
        c.background = true;
        c.email = email;
    })
    .await)
}

/// Another instance on `app`'s database (system clock, background jobs on,
/// its own instance id), as a fleet runs them: it shares the outbox and its
/// lease with `app`. Stopping it abandons whatever its jobs are doing, as a
/// crash would (nothing more is written for it).
pub async fn instance(app: &App, mut email: EmailConfig) -> Server {
    if email.inbound_secret.is_none() {
        email.inbound_secret = Some(SECRET.into());
    }
    let mut config = Config::new("127.0.0.1:0".parse().unwrap(), app.database_url.clone());
    config.clock = Clock::system();
    config.background = true;
    config.email = email;
    Server::start(config).await.expect("another instance")
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
        self.available_in_general(name, &email).await
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

    pub async fn stop(self) {
        self.0.stop().await;
    }
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

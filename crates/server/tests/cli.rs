//! The account commands as an operator runs them, on the real binary:
//! `create-admin` takes its password from standard input or
//! `SWITCHBOARD_ADMIN_PASSWORD` (the `--password` flag still works, with a
//! warning), and the admin it creates can log in; `seed-demo` fills a new
//! database, refuses a second run as before, and refuses a database that
//! holds someone else's accounts.

use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use switchboard_api::{Client, ClientError};
use switchboard_testkit::free_port;

const BIN: &str = env!("CARGO_BIN_EXE_switchboard-server");

/// The server binary with no `SWITCHBOARD_*` from the test's environment.
fn server() -> Command {
    let mut cmd = Command::new(BIN);
    for (name, _) in std::env::vars() {
        if name.starts_with("SWITCHBOARD_") {
            cmd.env_remove(name);
        }
    }
    cmd.env("RUST_LOG", "warn")
        .env("RUST_BACKTRACE", "0")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

fn sqlite(dir: &Path, name: &str) -> String {
    format!("sqlite://{}", dir.join(name).display())
}

/// Runs `create-admin` for `email`; `stdin` is written to its standard input
/// (which is then closed; a pipe, not a terminal).
fn create_admin(
    db: &str,
    email: &str,
    extra: &[&str],
    env: &[(&str, &str)],
    stdin: &str,
) -> Output {
    let mut cmd = server();
    cmd.args(["create-admin", "--email", email, "--database-url", db])
        .args(extra)
        .stdin(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("start create-admin");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write the password");
    child.wait_with_output().expect("create-admin")
}

fn seed_demo(db: &str) -> Output {
    server()
        .args(["seed-demo", "--database-url", db])
        .stdin(Stdio::null())
        .output()
        .expect("seed-demo")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

struct Serving {
    child: Child,
    url: String,
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn serve(db: &str) -> Serving {
    let port = free_port();
    let child = server()
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .args(["--database-url", db])
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the server");
    let serving = Serving {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    let client = Client::new(&serving.url).expect("client");
    let deadline = Instant::now() + Duration::from_secs(30);
    while client.health().await.is_err() {
        assert!(Instant::now() < deadline, "no server at {}", serving.url);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    serving
}

async fn can_log_in(url: &str, email: &str, password: &str) -> bool {
    match Client::new(url)
        .expect("client")
        .login(email, password)
        .await
    {
        Ok(_) => true,
        Err(ClientError::Api { status, .. }) if status.as_u16() == 401 => false,
        Err(e) => panic!("login {email}: {e}"),
    }
}

#[tokio::test]
async fn create_admin_takes_the_password_from_stdin_or_the_environment_and_warns_about_the_flag() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = sqlite(dir.path(), "admins.db");

    // Standard input (a pipe): its first line, without the line ending.
    let out = create_admin(
        &db,
        "stdin@cli.test",
        &[],
        &[],
        "from standard input\nnot this\n",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("stdin@cli.test"));
    assert!(
        !text(&out.stderr).contains("warning"),
        "{}",
        text(&out.stderr)
    );

    // The environment, standard input left unread.
    let out = create_admin(
        &db,
        "env@cli.test",
        &[],
        &[("SWITCHBOARD_ADMIN_PASSWORD", "from the environment")],
        "not this one\n",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        !text(&out.stderr).contains("warning"),
        "{}",
        text(&out.stderr)
    );

    // The old flag still works and says why it should not be used.
    let out = create_admin(
        &db,
        "flag@cli.test",
        &["--password", "from the flag"],
        &[],
        "",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("warning") && err.contains("--password") && err.contains("history"),
        "{err}"
    );

    // Nothing to read, or too short: refused, nothing created.
    let out = create_admin(&db, "none@cli.test", &[], &[], "");
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("no password given"),
        "{}",
        text(&out.stderr)
    );
    let out = create_admin(&db, "short@cli.test", &[], &[], "short\n");
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("at least 8"),
        "{}",
        text(&out.stderr)
    );

    let serving = serve(&db).await;
    let url = &serving.url;
    assert!(can_log_in(url, "stdin@cli.test", "from standard input").await);
    assert!(can_log_in(url, "env@cli.test", "from the environment").await);
    assert!(can_log_in(url, "flag@cli.test", "from the flag").await);
    assert!(!can_log_in(url, "stdin@cli.test", "from standard input\n").await);
    assert!(!can_log_in(url, "none@cli.test", "anything at all").await);
    assert!(!can_log_in(url, "short@cli.test", "short").await);
}

#[tokio::test]
async fn seed_demo_fills_a_new_database_and_refuses_one_with_other_accounts() {
    let dir = tempfile::tempdir().expect("temp dir");

    // A new database: seeded.
    let demo = sqlite(dir.path(), "demo.db");
    let out = seed_demo(&demo);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("seeded the demo team"));

    // Again on it: refused as before (exit 3), nothing added.
    let out = seed_demo(&demo);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("already seeded"),
        "{}",
        text(&out.stderr)
    );

    // A team's own database: refused (exit 4), naming the accounts found
    // and what to do instead; the demo team is not added to it.
    let team = sqlite(dir.path(), "team.db");
    let out = create_admin(&team, "owner@team.test", &[], &[], "owner-password\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = seed_demo(&team);
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains("1 account that is not the demo team"), "{err}");
    assert!(err.contains("owner@team.test"), "{err}");
    assert!(err.contains("--database-url"), "{err}");

    let (on_demo, on_team) = (serve(&demo).await, serve(&team).await);
    assert!(can_log_in(&on_demo.url, "admin@demo.switchboard", "switchboard-demo").await);
    assert!(can_log_in(&on_demo.url, "ada@demo.switchboard", "switchboard-demo").await);
    assert!(!can_log_in(&on_team.url, "admin@demo.switchboard", "switchboard-demo").await);
    assert!(can_log_in(&on_team.url, "owner@team.test", "owner-password").await);

    // The demo's "Refund approved" carries the refund policy, a PDF the
    // agents' replies take with them.
    let ada = Client::new(&on_demo.url)
        .expect("client")
        .login("ada@demo.switchboard", "switchboard-demo")
        .await
        .expect("login");
    let replies = ada.saved_replies().await.expect("saved replies");
    let refund = replies
        .iter()
        .find(|r| r.title == "Refund approved")
        .expect("the refund reply");
    let [file] = refund.files.as_slice() else {
        panic!("one file: {refund:?}");
    };
    assert_eq!(
        (file.filename.as_str(), file.content_type.as_str()),
        ("refund-policy.pdf", "application/pdf")
    );
    // Held by a team reply, it is its uploader's to download until a
    // message carries a copy of it.
    let admin = Client::new(&on_demo.url)
        .expect("client")
        .login("admin@demo.switchboard", "switchboard-demo")
        .await
        .expect("login");
    let bytes = admin.download(&file.id).await.expect("download");
    assert_eq!(
        bytes,
        include_bytes!("../demo/refund-policy.pdf"),
        "the policy's bytes"
    );

    // The demo's tags: put on by their rules and by hand.
    let tags = admin.tags().await.expect("tags");
    assert_eq!(
        tags.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
        ["VIP", "Refund", "Bug", "Churn risk"]
    );
    for tag in ["vip", "refund", "bug", "churn-risk"] {
        let tagged = admin
            .conversations_tagged(switchboard_api::View::All, tag)
            .await
            .expect("tagged");
        assert!(
            !tagged.is_empty(),
            "the demo has conversations tagged {tag}"
        );
    }
}

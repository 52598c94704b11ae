//! The team on a real server: seeded, and the session the app starts with.

use super::*;

pub(crate) struct Team {
    pub(crate) server: Option<Server>,
    pub(crate) admin: Session,
    /// The admin's agent id (the message mode resolves as them).
    pub(crate) admin_id: String,
    pub(crate) agent_id: String,
    pub(crate) url: String,
    pub(crate) _dir: tempfile::TempDir,
}

impl Team {
    pub(crate) async fn start() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = format!("sqlite://{}", dir.path().join("server.db").display());
        let server = Server::start(Config::new("127.0.0.1:0".parse().expect("addr"), db))
            .await
            .expect("server");
        let admin_id =
            seed::create_admin(server.store(), "admin@bench.test", PASSWORD, "Morgan Admin")
                .await
                .expect("admin")
                .id;
        let url = server.url();
        let admin = Client::new(&url)
            .expect("client")
            .login("admin@bench.test", PASSWORD)
            .await
            .expect("admin login");
        // A long threshold for the bulk (nothing goes overdue during the
        // run) and a 3 s one for the breach samples.
        for (id, name, threshold) in [("billing", "Billing", 86_400), ("fast", "Urgent", 3)] {
            admin
                .create_category(&NewCategory {
                    name: name.into(),
                    id: Some(id.into()),
                    routing: Some(RoutingMode::Manual),
                    wait_threshold_secs: Some(threshold),
                    keywords: vec![],
                })
                .await
                .expect("category");
        }
        let agent = admin
            .create_agent(&NewAgent {
                name: "Ada Lovelace".into(),
                email: AGENT_EMAIL.into(),
                password: PASSWORD.into(),
                role: Some(Role::Agent),
                categories: vec!["billing".into(), "fast".into()],
                capacity: Some(1000),
            })
            .await
            .expect("agent");
        admin
            .patch_agent(
                &agent.id,
                &AgentPatch {
                    status: Some(AgentStatus::Available),
                    ..Default::default()
                },
            )
            .await
            .expect("available");
        Self {
            server: Some(server),
            admin,
            admin_id,
            agent_id: agent.id,
            url,
            _dir: dir,
        }
    }

    pub(crate) async fn conversation(
        &self,
        category: &str,
        subject: &str,
    ) -> switchboard_api::Conversation {
        self.admin
            .create_conversation(&new_conversation(category, "Grace Hopper", subject))
            .await
            .expect("conversation")
    }

    /// A history of `n` conversations in `billing` of which every
    /// `open_every`-th stays open (10: a realistic mix; 1: all open), the
    /// rest resolved (`switchboard_testkit::bulk`).
    pub(crate) async fn seed_history(&self, n: usize, open_every: usize) -> usize {
        switchboard_testkit::bulk::seed_history(&self.admin, "billing", "Customer", n, open_every)
            .await
            .open
            .len()
    }

    /// The agent's session token (a fresh sign-in).
    pub(crate) async fn agent_token(&self) -> String {
        Client::new(&self.url)
            .expect("client")
            .login(AGENT_EMAIL, PASSWORD)
            .await
            .expect("agent login")
            .token()
            .to_owned()
    }

    /// Stops the server.
    pub(crate) async fn stop(mut self) {
        if let Some(server) = self.server.take() {
            server.stop().await;
        }
    }

    /// `n` queued conversations in `category`, eight requests at a time.
    pub(crate) async fn seed(&self, category: &str, name: &str, n: usize) {
        let workers = 8;
        let mut tasks = Vec::new();
        for w in 0..workers {
            let admin = self.admin.clone();
            let category = category.to_owned();
            let name = name.to_owned();
            tasks.push(tokio::spawn(async move {
                for i in (w..n).step_by(workers) {
                    let subject = format!("Order #{i:05}: where is my parcel?");
                    admin
                        .create_conversation(&new_conversation(
                            &category,
                            &format!("{name} {i}"),
                            &subject,
                        ))
                        .await
                        .expect("seed conversation");
                }
            }));
        }
        for t in tasks {
            t.await.expect("seed task");
        }
    }
}

pub(crate) fn new_conversation(category: &str, name: &str, subject: &str) -> NewConversation {
    NewConversation {
        customer: Customer {
            name: Some(name.into()),
            email: Some(format!(
                "{}@customer.test",
                name.to_lowercase().replace(' ', ".")
            )),
            phone: None,
        },
        subject: subject.into(),
        body: "Hello, I ordered last week and nothing has arrived yet. Can you check?".into(),
        category_id: Some(category.into()),
    }
}

/// The app starts signed in: the session in the keychain, as the app saves it.
pub(crate) fn store_session(desktop: &DesktopSession, url: &str, token: &str) {
    let json = json!({ "server_url": url, "email": AGENT_EMAIL, "token": token }).to_string();
    let mut child = desktop
        .command(&harness::which("secret-tool"))
        .args([
            "store",
            "--label=Switchboard session",
            "service",
            "app.switchboard.desktop",
            "username",
            "session",
            "target",
            "default",
        ])
        .stdin(Stdio::piped())
        .spawn()
        .expect("secret-tool");
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(json.as_bytes()).expect("secret-tool stdin");
    }
    assert!(
        child.wait().expect("secret-tool").success(),
        "secret-tool store failed"
    );
}

// ---------------------------------------------------------------------------
// Processes.

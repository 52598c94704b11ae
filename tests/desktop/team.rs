//! The server side of the end-to-end tests: a team (an admin, two agents,
//! two categories) on real server instances, and what the tests read back
//! from the server through the admin's typed client.

use switchboard_api::{
    AgentPatch, AgentStatus, ConversationState, Customer, NewAgent, NewCategory, NewConversation,
    Role, RoutingMode, Session,
};
use switchboard_server::{Config, Server};
use switchboard_testkit::accounts::seed_admin;
pub use switchboard_testkit::PASSWORD;

/// The admin's login.
pub const ADMIN_EMAIL: &str = "admin@e2e.test";

pub struct Team {
    pub servers: Vec<Server>,
    /// Where the servers send mail (None without Python's aiosmtpd).
    pub smtp: Option<switchboard_testkit::smtp::SmtpSink>,
    pub admin: Session,
    pub ada_id: String,
    pub bob_id: String,
    pub url: String,
    _dir: tempfile::TempDir,
}

/// A team on a fresh SQLite file, served by one instance.
pub async fn team() -> Team {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = format!("sqlite://{}", dir.path().join("server.db").display());
    team_on(db, 1, dir).await
}

/// A team on `db`, served by `instances` server instances sharing it.
pub async fn team_on(db: String, instances: usize, dir: tempfile::TempDir) -> Team {
    let mut servers = Vec::new();
    let smtp = switchboard_testkit::smtp::SmtpSink::start();
    for _ in 0..instances {
        let mut config = Config::new("127.0.0.1:0".parse().expect("addr"), db.clone());
        if let Some(sink) = &smtp {
            config.email.smtp_url = Some(sink.url());
            config.email.smtp_from = Some("Acme Support <support@acme.test>".into());
        }
        // Mail in through the inbound webhook (`switchboard_testkit::email`).
        switchboard_testkit::email::enable_inbound(&mut config);
        // Texts in through Twilio's webhook (`switchboard_testkit::twilio`);
        // nothing here replies by SMS.
        config.sms = switchboard_testkit::twilio::sms_config("http://127.0.0.1:9");
        servers.push(Server::start(config).await.expect("server"));
    }
    let admin = seed_admin(&servers[0], ADMIN_EMAIL, "Morgan Admin").await;
    let url = servers[0].url();
    // Billing waits an hour before it is overdue: however slow a run, only
    // the urgent conversation breaches (and its notification is the one
    // clicked).
    for (id, threshold) in [("billing", 3600), ("urgent", 3)] {
        admin
            .create_category(&NewCategory {
                name: format!("{}{}", id[..1].to_uppercase(), &id[1..]),
                id: Some(id.into()),
                routing: Some(RoutingMode::Manual),
                wait_threshold_secs: Some(threshold),
                keywords: vec![],
            })
            .await
            .expect("category");
    }
    let mut ids = vec![];
    for (name, email) in [
        ("Ada Lovelace", "ada@e2e.test"),
        ("Bob Noyce", "bob@e2e.test"),
    ] {
        let a = admin
            .create_agent(&NewAgent {
                name: name.into(),
                email: email.into(),
                password: PASSWORD.into(),
                role: Some(Role::Agent),
                categories: vec!["billing".into()],
                capacity: Some(5),
            })
            .await
            .expect("agent");
        admin
            .patch_agent(
                &a.id,
                &AgentPatch {
                    status: Some(AgentStatus::Available),
                    ..Default::default()
                },
            )
            .await
            .expect("available");
        ids.push(a.id);
    }
    Team {
        servers,
        smtp,
        admin,
        ada_id: ids[0].clone(),
        bob_id: ids[1].clone(),
        url,
        _dir: dir,
    }
}

/// A customer's conversation in `category` (through the API channel); its id.
pub async fn conversation(
    admin: &Session,
    category: &str,
    name: &str,
    subject: &str,
    body: &str,
) -> String {
    admin
        .create_conversation(&NewConversation {
            customer: Customer {
                name: Some(name.into()),
                email: Some(format!(
                    "{}@customer.test",
                    name.to_lowercase().replace(' ', ".")
                )),
                phone: None,
            },
            subject: subject.into(),
            body: body.into(),
            category_id: Some(category.into()),
        })
        .await
        .expect("conversation")
        .summary
        .id
}

/// An agent's status on the server.
pub async fn status_of(admin: &Session, id: &str) -> AgentStatus {
    admin
        .agents()
        .await
        .expect("agents")
        .into_iter()
        .find(|a| a.id == id)
        .expect("agent")
        .status
}

/// Who holds conversation `id` on the server.
pub async fn assignee_of(s: &Session, id: &str) -> Option<String> {
    s.conversation(id).await.expect("conv").summary.assignee_id
}

/// The state of conversation `id` on the server.
pub async fn state_of(s: &Session, id: &str) -> ConversationState {
    s.conversation(id).await.expect("conv").summary.state
}

/// The category of conversation `id` on the server.
pub async fn category_of(s: &Session, id: &str) -> Option<String> {
    s.conversation(id).await.expect("conv").summary.category_id
}

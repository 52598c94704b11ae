//! Typed account helpers: seed an admin, log in, create agents (categories,
//! status) and categories, all through `switchboard_api`'s client.

use switchboard_api::{
    AgentStatus, Category, Client, Conversation, Customer, NewAgent, NewCategory, NewConversation,
    RoutingMode, Session,
};
use switchboard_server::{seed, Server};

/// The password of every account the suites create.
pub const PASSWORD: &str = "correct-horse-battery";
/// The admin's login.
pub const ADMIN_EMAIL: &str = "admin@test.switchboard";
/// The admin's name.
pub const ADMIN_NAME: &str = "Ada Admin";

/// Writes an admin (password [`PASSWORD`]) into the server's store and logs
/// them in on the server's address.
pub async fn seed_admin(server: &Server, email: &str, name: &str) -> Session {
    seed::create_admin(server.store(), email, PASSWORD, name)
        .await
        .expect("create admin");
    login(&server.url(), email).await
}

/// Logs `email` in with [`PASSWORD`] on the server at `url`.
pub async fn login(url: &str, email: &str) -> Session {
    Client::new(url)
        .expect("client")
        .login(email, PASSWORD)
        .await
        .expect("login")
}

/// A [`NewAgent`] with [`PASSWORD`], no role (an agent) and `categories`.
pub fn new_agent(name: &str, email: &str, categories: &[&str], capacity: u32) -> NewAgent {
    NewAgent {
        name: name.to_owned(),
        email: email.to_owned(),
        password: PASSWORD.to_owned(),
        role: None,
        categories: categories.iter().map(|c| c.to_string()).collect(),
        capacity: Some(capacity),
    }
}

/// Creates `agent` through `POST /agents` as `admin`, logs them in through
/// `client` and sets `status` (left alone when `Offline`, where a login
/// starts). The session's `agent` is the one the status change answered.
pub async fn create_agent(
    admin: &Session,
    client: &Client,
    agent: &NewAgent,
    status: AgentStatus,
) -> Session {
    let created = admin.create_agent(agent).await.expect("create agent");
    let mut session = client
        .login(&agent.email, &agent.password)
        .await
        .expect("login");
    assert_eq!(session.agent.id, created.id);
    if status != AgentStatus::Offline {
        session.agent = session.set_status(status).await.expect("set status");
    }
    session
}

/// A category named after its id in capitals, created as `admin`.
pub async fn create_category(
    admin: &Session,
    id: &str,
    routing: RoutingMode,
    threshold_secs: u64,
    keywords: &[&str],
) -> Category {
    let c = admin
        .create_category(&NewCategory {
            name: id.to_uppercase(),
            id: Some(id.to_owned()),
            routing: Some(routing),
            wait_threshold_secs: Some(threshold_secs),
            keywords: keywords.iter().map(|k| k.to_string()).collect(),
        })
        .await
        .expect("create category");
    assert_eq!(c.id, id);
    c
}

/// Creates a conversation through the API channel as `admin`, from customer
/// number `n` ("Customer n", customern@example.com), in `category` (or
/// auto-categorized when `None`).
pub async fn create_conversation(
    admin: &Session,
    n: usize,
    subject: &str,
    body: &str,
    category: Option<&str>,
) -> Conversation {
    admin
        .create_conversation(&NewConversation {
            customer: Customer {
                name: Some(format!("Customer {n}")),
                email: Some(format!("customer{n}@example.com")),
                phone: None,
            },
            subject: subject.to_owned(),
            body: body.to_owned(),
            category_id: category.map(str::to_owned),
        })
        .await
        .expect("create conversation")
}

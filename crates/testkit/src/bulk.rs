//! A big team's history in a few seconds, for the benches: `n` conversations
//! created through the API (many requests in flight), of which a share stays
//! open and the rest is resolved, as an inbox looks after a few months.
//!
//! Every conversation goes through the real routes, so the event log holds
//! what a real history holds: per conversation `conversation.created` and
//! its first `message.created`; per resolved one also the system line and
//! `conversation.updated`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use switchboard_api::{Customer, NewConversation, Session};

/// How many requests the seeding keeps in flight.
pub const IN_FLIGHT: usize = 32;

/// What [`seed_history`] made.
#[derive(Debug, Clone, Default)]
pub struct Seeded {
    /// Ids of the conversations left open (queued), oldest first.
    pub open: Vec<String>,
    /// How many were resolved.
    pub resolved: usize,
}

/// The conversation number `i` of a bulk history in `category`, from
/// customer `{name} {i}`.
pub fn bulk_conversation(category: &str, name: &str, i: usize) -> NewConversation {
    NewConversation {
        customer: Customer {
            name: Some(format!("{name} {i}")),
            email: Some(format!(
                "{}.{i}@customer.test",
                name.to_lowercase().replace(' ', ".")
            )),
            phone: None,
        },
        subject: format!("Order #{i:06}: where is my parcel?"),
        body: "Hello, I ordered last week and nothing has arrived yet. Can you check?".into(),
        category_id: Some(category.to_owned()),
    }
}

/// Creates `n` conversations in `category` as `admin` and resolves all but
/// every `open_every`-th (`open_every` = 10: 10% stay open; 1: all open).
/// Panics on a refused request (a bench's setup, not a test).
pub async fn seed_history(
    admin: &Session,
    category: &str,
    name: &str,
    n: usize,
    open_every: usize,
) -> Seeded {
    let open_every = open_every.max(1);
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::with_capacity(IN_FLIGHT);
    for _ in 0..IN_FLIGHT {
        let admin = admin.clone();
        let next = next.clone();
        let category = category.to_owned();
        let name = name.to_owned();
        tasks.push(tokio::spawn(async move {
            let mut open = Vec::new();
            let mut resolved = 0;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    return (open, resolved);
                }
                let c = admin
                    .create_conversation(&bulk_conversation(&category, &name, i))
                    .await
                    .expect("seed conversation");
                if i.is_multiple_of(open_every) {
                    open.push((i, c.summary.id));
                } else {
                    admin
                        .resolve(&c.summary.id)
                        .await
                        .expect("resolve seeded conversation");
                    resolved += 1;
                }
            }
        }));
    }
    let mut open = Vec::new();
    let mut resolved = 0;
    for t in tasks {
        let (o, r) = t.await.expect("seed task");
        open.extend(o);
        resolved += r;
    }
    open.sort();
    Seeded {
        open: open.into_iter().map(|(_, id)| id).collect(),
        resolved,
    }
}

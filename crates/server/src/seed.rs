//! Accounts from the command line, and the demo team.

use chrono::Duration;
use switchboard_api::{Customer, NewCategory, NewMessage, NewTag, TransferRequest};
use switchboard_core::{AgentStatus, Channel, Role, RoutingMode};

use crate::auth::hash_password;
use crate::caller::Caller;
use crate::error::{AppError, AppResult};
use crate::ops::{self, AgentInsert, Ingest};
use crate::rows;
use crate::store::{db, op, Store};

/// Creates an admin account (`create-admin`).
pub async fn create_admin(
    store: &Store,
    email: &str,
    password: &str,
    name: &str,
) -> AppResult<switchboard_api::Agent> {
    let email = email.trim().to_lowercase();
    if !email.contains('@') {
        return Err(AppError::invalid(
            "invalid_email",
            "give a valid email address",
        ));
    }
    let insert = AgentInsert {
        name: name.to_owned(),
        email,
        password_hash: hash_password(password.to_owned()).await?,
        role: Role::Admin,
        categories: vec![],
        capacity: 10,
        status: AgentStatus::Offline,
    };
    store
        .write(op(move |tx| {
            Box::pin(async move { ops::create_agent(tx, insert).await })
        }))
        .await
}

/// The one-page PDF the demo's "Refund approved" reply carries.
const REFUND_POLICY: &[u8] = include_bytes!("../demo/refund-policy.pdf");

/// Stores `bytes` as an upload of `admin_id`'s (for a saved reply to hold),
/// through the same staging and sniffing as `POST /api/v1/uploads`.
async fn demo_upload(
    store: &Store,
    admin_id: &str,
    filename: &'static str,
    bytes: &'static [u8],
) -> anyhow::Result<String> {
    let body = futures_util::stream::iter([Ok::<_, std::convert::Infallible>(
        axum::body::Bytes::from_static(bytes),
    )]);
    let mut staged = match ops::uploads::stage(&std::env::temp_dir(), body, u64::MAX).await {
        Ok(s) => s,
        Err(ops::uploads::StageError::TooLarge) => anyhow::bail!("{filename}: too large"),
        Err(ops::uploads::StageError::Failed(e)) => anyhow::bail!("{filename}: {e}"),
    };
    let owner = admin_id.to_owned();
    let upload = store
        .write(op(move |tx| {
            Box::pin(async move {
                ops::uploads::store_upload(
                    tx,
                    ops::uploads::Owner::Agent(&owner),
                    filename,
                    &mut staged,
                )
                .await
            })
        }))
        .await?;
    Ok(upload.id)
}

/// The demo team's saved replies, written by the admin. (No personal ones:
/// their events reach their owner alone, and the demo's log is meant to be
/// read whole by the admin.) "Refund approved" carries the refund policy.
async fn saved_replies(store: &Store, admin_id: &str) -> anyhow::Result<()> {
    use switchboard_api::NewSavedReply;
    use switchboard_core::ReplyScope;
    let policy = demo_upload(store, admin_id, "refund-policy.pdf", REFUND_POLICY).await?;
    let team = |title: &str, body: &str, category: Option<&str>| NewSavedReply {
        title: title.into(),
        body: body.into(),
        scope: Some(ReplyScope::Team),
        category_id: category.map(str::to_owned),
        attachments: vec![],
    };
    let replies = [
        (
            admin_id,
            NewSavedReply {
                attachments: vec![policy],
                ..team(
                    "Refund approved",
                    "Hi {{customer.first_name}},\n\nGood news: your refund has been approved. It should reach your account within 5 business days; the policy is attached.\n\nBest,\n{{agent.name}}",
                    Some("billing"),
                )
            },
        ),
        (
            admin_id,
            team(
                "Reset your password",
                "Hi {{customer.first_name}},\n\nUse \"Forgot password\" on the sign-in page; the link in the email works for an hour. If it does not arrive, reply here and quote #{{conversation.id}}.\n\n{{agent.name}}",
                Some("technical"),
            ),
        ),
        (
            admin_id,
            team(
                "Thanks for waiting",
                "Hi {{customer.name}}, thanks for your patience. I'm looking into this now.",
                None,
            ),
        ),
    ];
    for (by, reply) in replies {
        let who = caller(store, by).await?;
        store
            .write(op(move |tx| {
                Box::pin(async move { ops::saved_replies::create(tx, &who, &reply).await })
            }))
            .await?;
    }
    Ok(())
}

/// The demo admin's email.
pub const DEMO_ADMIN: &str = "admin@demo.switchboard";
/// The demo password of every demo account.
pub const DEMO_PASSWORD: &str = "switchboard-demo";

/// The demo team's tags: three put on by their rules as conversations
/// arrive, one (VIP) by hand.
async fn tags(store: &Store) -> anyhow::Result<()> {
    for (name, colour, keywords) in [
        ("VIP", "#f5c16c", vec![]),
        ("Refund", "#95d5b2", vec!["refund", "/charged twice/"]),
        (
            "Bug",
            "#f4a6a6",
            vec!["crash", "crashes", "bug", "/error \\S*\\d+/"],
        ),
        (
            "Churn risk",
            "#cdb4db",
            vec!["cancelled", "cancel", "/switch(ing)? to/"],
        ),
    ] {
        let t = NewTag {
            name: name.into(),
            id: None,
            colour: Some(colour.into()),
            keywords: keywords.into_iter().map(String::from).collect(),
        };
        store
            .write(op(move |tx| {
                Box::pin(async move { ops::tags::create(tx, &t).await })
            }))
            .await?;
    }
    Ok(())
}

async fn caller(store: &Store, id: &str) -> AppResult<Caller> {
    let mut conn = store.reader().acquire().await?;
    let a = rows::agent(&mut conn, id)
        .await?
        .ok_or(AppError::NotFound("agent"))?;
    Ok(Caller {
        categories: rows::agent_categories(&mut conn, id).await?,
        id: a.id,
        name: a.name,
        role: a.role,
        status: a.status,
        token_hash: String::new(),
    })
}

const BILLING: &[(&str, &str)] = &[
    (
        "Charged twice this month",
        "Hi, my card was charged twice for the March invoice. Can you refund one?",
    ),
    (
        "Invoice needs our VAT number",
        "Could you reissue invoice 2231 with our VAT number on it?",
    ),
    (
        "Refund for cancelled plan",
        "I cancelled last week but was still billed. Please refund.",
    ),
    (
        "Update payment card",
        "Our company card expired, how do I change the payment method?",
    ),
    (
        "Annual billing discount?",
        "Is there a discount if we switch to annual billing?",
    ),
    (
        "Receipt missing",
        "I paid yesterday but never got a receipt or invoice.",
    ),
];
const TECHNICAL: &[(&str, &str)] = &[
    (
        "App crashes on start",
        "Since the update the app crashes right after the splash screen.",
    ),
    (
        "Cannot log in",
        "Login says my password is wrong but the reset email never arrives.",
    ),
    (
        "Error 502 on export",
        "Exporting the report gives an error 502 every time.",
    ),
    (
        "Sync stuck at 80%",
        "The desktop sync has been stuck at 80% for an hour. Bug?",
    ),
    (
        "API returns 401",
        "Our integration gets 401 errors since this morning, token is fresh.",
    ),
    (
        "Install fails on Windows",
        "The installer stops with error 0x80070643.",
    ),
];
const GENERAL: &[(&str, &str)] = &[
    (
        "Do you have a Spanish version?",
        "Hola! Is the product available in Spanish?",
    ),
    (
        "Partnership question",
        "We'd like to resell your product in Canada, who do I talk to?",
    ),
    (
        "Office hours",
        "What are your support hours over the holidays?",
    ),
];
const PEOPLE: &[(&str, &str, &str)] = &[
    ("Priya Shah", "priya@example.com", "+15550100101"),
    ("Tom Becker", "tom.becker@example.org", "+15550100102"),
    ("Lena Okafor", "lena@okafor.example", "+15550100103"),
    ("Marco Rossi", "marco@rossi.example", "+15550100104"),
    ("Yuki Tanaka", "yuki@example.jp", "+15550100105"),
    ("Sam Carter", "sam@carter.example", "+15550100106"),
    ("Ines Duarte", "ines@example.pt", "+15550100107"),
    ("Noah Levi", "noah@levi.example", "+15550100108"),
];

/// The demo team's accounts: the admin, then the four agents.
pub const DEMO_ACCOUNTS: [&str; 5] = [
    DEMO_ADMIN,
    "ada@demo.switchboard",
    "grace@demo.switchboard",
    "linus@demo.switchboard",
    "margaret@demo.switchboard",
];

/// Why [`seed_demo`] left a database alone.
#[derive(Debug, thiserror::Error)]
pub enum NotSeeded {
    /// The demo team is there already (a second run): nothing to do.
    #[error("this database is already seeded (it has {DEMO_ADMIN})")]
    AlreadySeeded,
    /// The database holds someone else's accounts: seeding would mix the
    /// demo's people and conversations into a real team.
    #[error(
        "this database already holds {} that {} not the demo team ({}); seed-demo only fills a \
         new database. Give it one of its own, e.g. --database-url sqlite://demo.db",
        accounts(.found.len() + .more),
        if .found.len() + .more == 1 { "is" } else { "are" },
        listed(.found, *.more)
    )]
    OtherAccounts {
        /// The first few of those accounts' emails, oldest first.
        found: Vec<String>,
        /// How many more there are.
        more: usize,
    },
}

fn accounts(n: usize) -> String {
    if n == 1 {
        "1 account".to_owned()
    } else {
        format!("{n} accounts")
    }
}

fn listed(found: &[String], more: usize) -> String {
    let mut s = found.join(", ");
    if more > 0 {
        s.push_str(&format!(" and {more} more"));
    }
    s
}

/// How many foreign accounts [`NotSeeded::OtherAccounts`] names.
const NAMED: usize = 5;

/// Whether the demo team may be seeded into this database: only into one
/// with no accounts at all. One that has the demo admin already is
/// [`NotSeeded::AlreadySeeded`] (whatever else it holds, as before: the demo
/// reuses its database and people add agents to it); one with any other
/// account is [`NotSeeded::OtherAccounts`].
pub async fn check_seedable(store: &Store) -> anyhow::Result<Result<(), NotSeeded>> {
    let emails: Vec<String> = db::query("SELECT email FROM agents ORDER BY created_at, email")
        .fetch_all_scalar(store.reader())
        .await?;
    if emails.iter().any(|e| e == DEMO_ADMIN) {
        return Ok(Err(NotSeeded::AlreadySeeded));
    }
    if emails.is_empty() {
        return Ok(Ok(()));
    }
    let more = emails.len().saturating_sub(NAMED);
    Ok(Err(NotSeeded::OtherAccounts {
        found: emails.into_iter().take(NAMED).collect(),
        more,
    }))
}

/// Seeds the demo team: an admin, four agents with billing/technical skills and
/// a few dozen conversations over the last hour. Refuses a database that is
/// already seeded or holds other accounts ([`check_seedable`]; the error is
/// then a [`NotSeeded`]). The store's clock must be a manual one: it is moved
/// through the hour.
pub async fn seed_demo(store: &Store) -> anyhow::Result<()> {
    if let Err(refused) = check_seedable(store).await? {
        return Err(refused.into());
    }
    let end = chrono::Utc::now();
    let clock = store.clock().clone();
    let start = end - Duration::minutes(62);
    clock.set(start);
    let admin = create_admin(store, DEMO_ADMIN, DEMO_PASSWORD, "Morgan (admin)").await?;
    for (id, name, routing, keywords) in [
        (
            "billing",
            "Billing",
            RoutingMode::Manual,
            vec![
                "invoice",
                "refund",
                "billed",
                "charged",
                "payment",
                "receipt",
                "/annual billing/",
            ],
        ),
        (
            "technical",
            "Technical",
            RoutingMode::RoundRobin,
            vec![
                "error",
                "crash",
                "crashes",
                "login",
                "log in",
                "bug",
                "sync",
                "install",
                "installer",
                "401",
                "502",
            ],
        ),
    ] {
        let c = NewCategory {
            id: Some(id.into()),
            name: name.into(),
            routing: Some(routing),
            wait_threshold_secs: Some(300),
            keywords: keywords.into_iter().map(String::from).collect(),
        };
        store
            .write(op(move |tx| {
                Box::pin(async move { ops::create_category(tx, &c).await })
            }))
            .await?;
    }
    let mut agents = Vec::new();
    for (name, email, cats) in [
        (
            "Ada Lovelace",
            "ada@demo.switchboard",
            vec!["billing", "general"],
        ),
        (
            "Grace Hopper",
            "grace@demo.switchboard",
            vec!["billing", "technical"],
        ),
        (
            "Linus Torvalds",
            "linus@demo.switchboard",
            vec!["technical"],
        ),
        (
            "Margaret Hamilton",
            "margaret@demo.switchboard",
            vec!["technical", "general"],
        ),
    ] {
        let insert = AgentInsert {
            name: name.into(),
            email: email.into(),
            password_hash: hash_password(DEMO_PASSWORD.into()).await?,
            role: Role::Agent,
            categories: cats.into_iter().map(String::from).collect(),
            capacity: 6,
            status: AgentStatus::Available,
        };
        let a = store
            .write(op(move |tx| {
                Box::pin(async move { ops::create_agent(tx, insert).await })
            }))
            .await?;
        agents.push(a.id);
    }
    saved_replies(store, &admin.id).await?;
    tags(store).await?;
    let categorizer = {
        let mut conn = store.reader().acquire().await?;
        let cats = rows::categories(&mut conn).await?;
        let tags = ops::tags::list(&mut conn).await?;
        switchboard_core::categorize::Categorizer::new(
            cats.into_iter()
                .map(|c| (c.category.id, c.category.keywords)),
        )?
        .with_tags(switchboard_core::tags::AutoTagger::new(
            tags.into_iter().map(|t| (t.id, t.keywords)),
        )?)
    };
    let admin_caller = caller(store, &admin.id).await?;
    let categorizer = std::sync::Arc::new(categorizer);
    let pool: Vec<(&str, &str)> = BILLING
        .iter()
        .chain(TECHNICAL)
        .chain(GENERAL)
        .copied()
        .collect();
    let channels = [
        Channel::Email,
        Channel::Chat,
        Channel::Sms,
        Channel::Api,
        Channel::Bot,
    ];
    let mut created = Vec::new();
    for i in 0..36usize {
        // Conversation i arrives at start + i·95 s; work on older ones happens
        // inside that slot, so the whole history fits in the hour before now.
        let slot = start + Duration::seconds(95 * (i as i64 + 1));
        clock.set(slot);
        let (subject, body) = pool[(i * 7) % pool.len()];
        let (name, email, phone) = PEOPLE[i % PEOPLE.len()];
        let channel = channels[i % channels.len()];
        // Each person writes on several channels: a text carries only the
        // number, an integrator's API call the email and the number (so the
        // profile learns it), the rest the name and email.
        let customer = match channel {
            Channel::Sms => Customer {
                name: None,
                email: None,
                phone: Some(phone.into()),
            },
            Channel::Api => Customer {
                name: Some(name.into()),
                email: Some(email.into()),
                phone: Some(phone.into()),
            },
            _ => Customer {
                name: Some(name.into()),
                email: Some(email.into()),
                phone: None,
            },
        };
        let ingest = Ingest {
            channel,
            customer,
            subject: subject.into(),
            body: body.into(),
            category_id: None,
        };
        let cz = categorizer.clone();
        let conv = store
            .write(op(move |tx| {
                Box::pin(async move { ops::create_conversation(tx, ingest, &cz).await })
            }))
            .await?;
        // The first person is a key account: the team lead tags them.
        if i % PEOPLE.len() == 0 {
            let (w, id) = (admin_caller.clone(), conv.summary.id.clone());
            store
                .write(op(move |tx| {
                    Box::pin(async move { ops::tags::set(tx, &w, &id, "vip", true).await })
                }))
                .await?;
        }
        created.push(conv.summary);
        // Work the older ones: claim, reply, sometimes note, transfer, resolve.
        if i >= 4 && i % 3 != 2 {
            let target = created[i - 4].clone();
            let worker_id = match target.assignee_id.clone() {
                Some(a) => a,
                None => {
                    let idx = if target.category_id.as_deref() == Some("billing") {
                        i % 2
                    } else {
                        3 - (i % 2) * 3 % 4
                    };
                    agents[idx.min(agents.len() - 1)].clone()
                }
            };
            let who = caller(store, &worker_id).await?;
            clock.set(slot + Duration::seconds(15));
            // Claim it, or — as the overdue-first rule demands — the older
            // overdue conversation the refusal names.
            let mut target = target;
            let mut held = target.assignee_id.as_deref() == Some(worker_id.as_str());
            for _ in 0..3 {
                if held {
                    break;
                }
                let (w, id) = (who.clone(), target.id.clone());
                match store
                    .write(op(move |tx| {
                        Box::pin(async move { ops::claim(tx, &w, &id).await })
                    }))
                    .await
                {
                    Ok(_) => held = true,
                    Err(AppError::Conflict {
                        conversation_id: Some(first),
                        ..
                    }) => match created.iter().find(|c| c.id == first) {
                        Some(c) => target = c.clone(),
                        None => break,
                    },
                    Err(_) => break,
                }
            }
            if !held {
                continue;
            }
            let name = target
                .customer
                .name
                .clone()
                .unwrap_or_else(|| "there".into());
            clock.set(slot + Duration::seconds(25 + (i as i64 * 13) % 50));
            let (w, id) = (who.clone(), target.id.clone());
            let reply = format!(
                "Hi {}, thanks for writing in — I'm looking into this now.",
                name.split(' ').next().unwrap_or("there")
            );
            store
                .write(op(move |tx| {
                    Box::pin(async move {
                        let req = NewMessage {
                            body: reply,
                            internal: false,
                            client_id: None,
                            attachment_ids: Vec::new(),
                        };
                        ops::post_message(tx, &w, &id, &req, &crate::channels::Replies).await
                    })
                }))
                .await?;
            if i % 5 == 0 {
                let (w, id) = (who.clone(), target.id.clone());
                store
                    .write(op(move |tx| {
                        Box::pin(async move {
                            let req = NewMessage {
                                body: "Customer is on the enterprise plan; check the contract before promising anything.".into(),
                                internal: true,
                                client_id: None,
                                attachment_ids: Vec::new(),
                            };
                            ops::post_message(tx, &w, &id, &req, &crate::channels::Replies).await
                        })
                    }))
                    .await?;
            }
            if i % 7 == 0 {
                let (w, id) = (who.clone(), target.id.clone());
                let to = agents[(i / 7) % agents.len()].clone();
                if to != who.id {
                    let req = TransferRequest {
                        to_agent_id: Some(to),
                        to_category_id: None,
                        note: Some(
                            "Handing over: needs someone who knows the billing system.".into(),
                        ),
                    };
                    let _ = store
                        .write(op(move |tx| {
                            Box::pin(async move { ops::transfer(tx, &w, &id, &req).await })
                        }))
                        .await;
                    continue;
                }
            }
            if i % 2 == 0 {
                clock.set(slot + Duration::seconds(85));
                let (w, id) = (who.clone(), target.id.clone());
                store
                    .write(op(move |tx| {
                        Box::pin(async move { ops::resolve(tx, &w, &id).await })
                    }))
                    .await?;
            }
        }
    }
    // End of the hour: statuses as the demo opens.
    clock.set(end);
    for (idx, status) in [(1, AgentStatus::Busy), (3, AgentStatus::Offline)] {
        let id = agents[idx].clone();
        store
            .write(op(move |tx| {
                Box::pin(async move { ops::set_status(tx, &id, status).await })
            }))
            .await?;
    }
    Ok(())
}

//! Row types and the read queries shared by writes and reads.
//!
//! Every query here is plain SQL both SQLite and PostgreSQL accept, run
//! through sqlx's `Any` driver: `$n` parameters, BIGINT milliseconds, TEXT ids.

use chrono::{DateTime, Utc};
use switchboard_api::{
    Agent, Categorization, Category, CategorySource, ConversationSummary, Customer, Message,
};
use switchboard_core::eligibility::AgentLoad;
use switchboard_core::visibility::Scope;
use switchboard_core::waiting::{is_overdue, waiting_since, WaitFacts};
use switchboard_core::{AgentStatus, Channel, ConversationState, MessageKind, Role, RoutingMode};

use crate::clock::from_ms;
use crate::error::{AppError, AppResult};
use crate::store::db::{self, Db, Row};

/// Columns of [`ConvRow`], for `FROM conversations c LEFT JOIN categories k ON k.id = c.category_id`.
pub const CONV_COLS: &str = "c.id, c.channel, c.customer_name, c.customer_email, c.customer_phone, \
    c.subject, c.category_id, c.state, c.assignee_id, c.created_at, c.updated_at, c.queued_at, \
    c.unanswered_since, c.first_customer_at, c.first_response_at, c.first_response_agent_id, c.preview, \
    c.category_source, c.category_confidence, c.customer_id, c.tags, c.snoozed_until, c.merged_into, COALESCE(k.wait_threshold_secs, 300) AS threshold";

/// The condition on a conversation `c` that the caller `$1` may see it
/// (`switchboard_core::visibility`: their categories and what is assigned
/// to them; an admin sees everything).
pub fn visible_to(admin: bool) -> &'static str {
    if admin {
        "($1 = $1)"
    } else {
        "(c.assignee_id = $1 OR c.category_id IN (SELECT category_id FROM agent_categories WHERE agent_id = $1))"
    }
}

/// `FROM` clause matching [`CONV_COLS`].
pub const CONV_FROM: &str = "conversations c LEFT JOIN categories k ON k.id = c.category_id";

fn bad(what: &str, e: impl std::fmt::Display) -> AppError {
    AppError::Internal(format!("stored {what} is invalid: {e}"))
}

/// A conversation row with its category's threshold.
#[derive(Debug, Clone)]
pub struct ConvRow {
    pub id: String,
    pub channel: Channel,
    pub customer: Customer,
    pub subject: String,
    pub category_id: Option<String>,
    pub state: ConversationState,
    pub assignee_id: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub queued_at: i64,
    pub unanswered_since: Option<i64>,
    pub first_customer_at: i64,
    pub first_response_at: Option<i64>,
    pub first_response_agent_id: Option<String>,
    pub preview: String,
    /// How the category was chosen (`None` before that was recorded).
    pub category_source: Option<CategorySource>,
    /// The classifier's probability, per mille.
    pub category_confidence: Option<i64>,
    /// The customer's profile (`None` until the backfill gave it one).
    pub customer_id: Option<String>,
    /// Its tags' ids, sorted (migration 0020's copy of `conversation_tags`).
    pub tags: Vec<String>,
    /// While snoozed: when it wakes (ms; `None`: when the customer writes).
    pub snoozed_until: Option<i64>,
    /// Merged into this conversation.
    pub merged_into: Option<String>,
    pub threshold_secs: u64,
}

impl ConvRow {
    /// Maps a row selected with [`CONV_COLS`].
    pub fn from_row(r: &Row) -> AppResult<Self> {
        let channel: String = r.try_get("channel")?;
        let state: String = r.try_get("state")?;
        let threshold: i64 = r.try_get("threshold")?;
        Ok(Self {
            id: r.try_get("id")?,
            channel: Channel::parse(&channel).map_err(|e| bad("channel", e))?,
            customer: Customer {
                name: r.try_get("customer_name")?,
                email: r.try_get("customer_email")?,
                phone: r.try_get("customer_phone")?,
            },
            subject: r.try_get("subject")?,
            category_id: r.try_get("category_id")?,
            state: ConversationState::parse(&state).map_err(|e| bad("state", e))?,
            assignee_id: r.try_get("assignee_id")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
            queued_at: r.try_get("queued_at")?,
            unanswered_since: r.try_get("unanswered_since")?,
            first_customer_at: r.try_get("first_customer_at")?,
            first_response_at: r.try_get("first_response_at")?,
            first_response_agent_id: r.try_get("first_response_agent_id")?,
            preview: r.try_get("preview")?,
            category_source: r
                .try_get::<Option<String>, _>("category_source")?
                .as_deref()
                .and_then(CategorySource::parse),
            category_confidence: r.try_get("category_confidence")?,
            customer_id: r.try_get("customer_id")?,
            tags: serde_json::from_str(&r.try_get::<String, _>("tags")?)
                .map_err(|e| bad("tags", e))?,
            snoozed_until: r.try_get("snoozed_until")?,
            merged_into: r.try_get("merged_into")?,
            threshold_secs: threshold.max(1) as u64,
        })
    }

    /// Its visibility scope.
    pub fn scope(&self) -> Scope<'_> {
        Scope {
            category_id: self.category_id.as_deref(),
            assignee_id: self.assignee_id.as_deref(),
        }
    }

    /// When the customer started waiting.
    pub fn waiting_since(&self) -> Option<DateTime<Utc>> {
        waiting_since(&WaitFacts {
            state: self.state,
            queued_at: from_ms(self.queued_at),
            oldest_unanswered_customer_at: self.unanswered_since.map(from_ms),
        })
    }

    /// The API summary as of `now`.
    pub fn summary(&self, now: DateTime<Utc>) -> ConversationSummary {
        let since = self.waiting_since();
        ConversationSummary {
            id: self.id.clone(),
            channel: self.channel,
            customer: self.customer.clone(),
            subject: self.subject.clone(),
            category_id: self.category_id.clone(),
            state: self.state,
            assignee_id: self.assignee_id.clone(),
            created_at: from_ms(self.created_at),
            updated_at: from_ms(self.updated_at),
            waiting_since: since,
            overdue: is_overdue(since, self.threshold_secs, now),
            first_response_at: self.first_response_at.map(from_ms),
            preview: self.preview.clone(),
            categorized_by: self.category_source.map(|source| Categorization {
                source,
                confidence: self
                    .category_confidence
                    .filter(|_| source == CategorySource::Classifier)
                    .map(|pm| pm as f64 / 1000.0),
            }),
            customer_id: self.customer_id.clone(),
            tags: self.tags.clone(),
            snoozed_until: self
                .snoozed_until
                .filter(|_| self.state == ConversationState::Snoozed)
                .map(from_ms),
            merged_into: self.merged_into.clone(),
        }
    }
}

/// Loads one conversation.
pub async fn conversation(conn: &mut impl Db, id: &str) -> AppResult<Option<ConvRow>> {
    let sql = format!("SELECT {CONV_COLS} FROM {CONV_FROM} WHERE c.id = $1");
    let row = db::query(&sql).bind(id).fetch_optional(&mut *conn).await?;
    row.as_ref().map(ConvRow::from_row).transpose()
}

/// Maps a message row.
pub fn message_from_row(r: &Row) -> AppResult<Message> {
    let kind: String = r.try_get("kind")?;
    let at: i64 = r.try_get("created_at")?;
    Ok(Message {
        id: r.try_get("id")?,
        conversation_id: r.try_get("conversation_id")?,
        kind: MessageKind::parse(&kind).map_err(|e| bad("message kind", e))?,
        author: r.try_get("author")?,
        author_id: r.try_get("author_id")?,
        body: r.try_get("body")?,
        created_at: from_ms(at),
        client_id: r.try_get("client_id")?,
        from_other_address: r.try_get::<i64, _>("from_other_address")? != 0,
        from_address: r.try_get("from_address")?,
        delivery: None,
        attachments: Vec::new(),
    })
}

/// Columns of a message row.
pub const MSG_COLS: &str =
    "id, conversation_id, kind, author, author_id, body, created_at, client_id, \
    from_other_address, from_address";

/// Every message of a conversation, oldest first, with their files
/// (delivery states of replies sent out: `outbox::attach_delivery`).
pub async fn messages(conn: &mut impl Db, conversation_id: &str) -> AppResult<Vec<Message>> {
    let sql = format!(
        "SELECT {MSG_COLS} FROM messages WHERE conversation_id = $1 ORDER BY seq, created_at, id"
    );
    let rows = db::query(&sql)
        .bind(conversation_id)
        .fetch_all(&mut *conn)
        .await?;
    let mut out = rows
        .iter()
        .map(message_from_row)
        .collect::<AppResult<Vec<_>>>()?;
    crate::store::files::attach_infos(&mut *conn, conversation_id, &mut out).await?;
    Ok(out)
}

/// An agent row (without skills and load).
#[derive(Debug, Clone)]
pub struct AgentRow {
    pub id: String,
    pub name: String,
    pub email: String,
    pub password_hash: String,
    pub role: Role,
    pub status: AgentStatus,
    pub capacity: u32,
}

const AGENT_COLS: &str = "id, name, email, password_hash, role, status, capacity";

fn agent_from_row(r: &Row) -> AppResult<AgentRow> {
    let role: String = r.try_get("role")?;
    let status: String = r.try_get("status")?;
    let capacity: i64 = r.try_get("capacity")?;
    Ok(AgentRow {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        email: r.try_get("email")?,
        password_hash: r.try_get("password_hash")?,
        role: Role::parse(&role).map_err(|e| bad("role", e))?,
        status: AgentStatus::parse(&status).map_err(|e| bad("status", e))?,
        capacity: u32::try_from(capacity.max(0)).unwrap_or(u32::MAX),
    })
}

/// One agent by id.
pub async fn agent(conn: &mut impl Db, id: &str) -> AppResult<Option<AgentRow>> {
    let sql = format!("SELECT {AGENT_COLS} FROM agents WHERE id = $1");
    let row = db::query(&sql).bind(id).fetch_optional(&mut *conn).await?;
    row.as_ref().map(agent_from_row).transpose()
}

/// One agent by email (case-insensitive).
pub async fn agent_by_email(conn: &mut impl Db, email: &str) -> AppResult<Option<AgentRow>> {
    let sql = format!("SELECT {AGENT_COLS} FROM agents WHERE email = $1");
    let row = db::query(&sql)
        .bind(email.trim().to_lowercase())
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(agent_from_row).transpose()
}

/// An agent's category ids.
pub async fn agent_categories(conn: &mut impl Db, agent_id: &str) -> AppResult<Vec<String>> {
    let rows = db::query(
        "SELECT category_id FROM agent_categories WHERE agent_id = $1 ORDER BY category_id",
    )
    .bind(agent_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            r.try_get::<String, _>("category_id")
                .map_err(AppError::from)
        })
        .collect()
}

/// How many open conversations an agent holds.
pub async fn open_count(conn: &mut impl Db, agent_id: &str) -> AppResult<u32> {
    let n: i64 = db::query(
        "SELECT COUNT(*) FROM conversations WHERE assignee_id = $1 AND state = 'assigned'",
    )
    .bind(agent_id)
    .fetch_scalar(&mut *conn)
    .await?;
    Ok(n.max(0) as u32)
}

/// The API view of one agent.
pub async fn agent_view(conn: &mut impl Db, id: &str) -> AppResult<Option<Agent>> {
    let Some(a) = agent(conn, id).await? else {
        return Ok(None);
    };
    let categories = agent_categories(conn, id).await?;
    let open = open_count(conn, id).await?;
    Ok(Some(Agent {
        id: a.id,
        name: a.name,
        email: a.email,
        role: a.role,
        status: a.status,
        categories,
        capacity: a.capacity,
        open_conversations: open,
    }))
}

/// Every agent with skills and load, by name.
pub async fn all_agents(conn: &mut impl Db) -> AppResult<Vec<Agent>> {
    let sql = format!("SELECT {AGENT_COLS} FROM agents ORDER BY name, id");
    let rows = db::query(&sql).fetch_all(&mut *conn).await?;
    let skills =
        db::query("SELECT agent_id, category_id FROM agent_categories ORDER BY category_id")
            .fetch_all(&mut *conn)
            .await?;
    let loads = db::query(
        "SELECT assignee_id, COUNT(*) AS n FROM conversations WHERE state = 'assigned' AND assignee_id IS NOT NULL GROUP BY assignee_id",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let a = agent_from_row(r)?;
        let mut categories = Vec::new();
        for s in &skills {
            if s.try_get::<String, _>("agent_id")? == a.id {
                categories.push(s.try_get("category_id")?);
            }
        }
        let mut open = 0;
        for l in &loads {
            if l.try_get::<Option<String>, _>("assignee_id")?.as_deref() == Some(a.id.as_str()) {
                open = l.try_get::<i64, _>("n")?.max(0) as u32;
            }
        }
        out.push(Agent {
            id: a.id,
            name: a.name,
            email: a.email,
            role: a.role,
            status: a.status,
            categories,
            capacity: a.capacity,
            open_conversations: open,
        });
    }
    Ok(out)
}

/// Routing's view of the agents who are `available` now.
pub async fn available_loads(conn: &mut impl Db) -> AppResult<Vec<AgentLoad>> {
    Ok(all_agents(conn)
        .await?
        .into_iter()
        .filter(|a| a.status == AgentStatus::Available)
        .map(|a| AgentLoad {
            id: a.id,
            role: a.role,
            status: a.status,
            categories: a.categories,
            capacity: a.capacity,
            open: a.open_conversations,
        })
        .collect())
}

/// A category row with its round-robin cursor.
#[derive(Debug, Clone)]
pub struct CategoryRow {
    pub category: Category,
    pub rr_cursor: Option<String>,
}

fn category_from_row(r: &Row) -> AppResult<CategoryRow> {
    let routing: String = r.try_get("routing")?;
    let threshold: i64 = r.try_get("wait_threshold_secs")?;
    let keywords: String = r.try_get("keywords")?;
    Ok(CategoryRow {
        category: Category {
            id: r.try_get("id")?,
            name: r.try_get("name")?,
            routing: RoutingMode::parse(&routing).map_err(|e| bad("routing", e))?,
            wait_threshold_secs: threshold.max(1) as u64,
            keywords: serde_json::from_str(&keywords).map_err(|e| bad("keywords", e))?,
        },
        rr_cursor: r.try_get("rr_cursor")?,
    })
}

const CATEGORY_COLS: &str = "id, name, routing, wait_threshold_secs, keywords, rr_cursor";

/// Every category in priority order.
pub async fn categories(conn: &mut impl Db) -> AppResult<Vec<CategoryRow>> {
    let sql = format!("SELECT {CATEGORY_COLS} FROM categories ORDER BY position, id");
    let rows = db::query(&sql).fetch_all(&mut *conn).await?;
    rows.iter().map(category_from_row).collect()
}

/// One category.
pub async fn category(conn: &mut impl Db, id: &str) -> AppResult<Option<CategoryRow>> {
    let sql = format!("SELECT {CATEGORY_COLS} FROM categories WHERE id = $1");
    let row = db::query(&sql).bind(id).fetch_optional(&mut *conn).await?;
    row.as_ref().map(category_from_row).transpose()
}

/// Who may see an event about `after` (and, for a change, `before`).
pub fn conv_visibility(before: Option<&ConvRow>, after: &ConvRow) -> crate::store::Visibility {
    let before = before.unwrap_or(after);
    crate::store::Visibility::Conversation {
        category_id: after.category_id.clone(),
        assignee_id: after.assignee_id.clone(),
        prev_category_id: before.category_id.clone(),
        prev_assignee_id: before.assignee_id.clone(),
    }
}

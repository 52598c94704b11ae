//! What a visitor may see of their conversation: customer, agent and bot
//! messages only, agents by first name.

use super::*;
use crate::store::db::{self, Db};

/// A visitor message as the visitor sees it.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct VisitorMessage {
    /// Id (the same before and after a hand-off).
    pub id: String,
    /// `customer` (the visitor), `agent` or `bot`.
    pub kind: MessageKind,
    /// Agent's first name or the bot's name; none for the visitor's own.
    pub author: Option<String>,
    /// Text (render as text; may be empty when files are attached).
    pub body: String,
    /// When.
    pub created_at: DateTime<Utc>,
    /// Files attached (an agent's reply's, or the visitor's own), in order:
    /// each downloads from `GET /widget/v1/attachments/{id}` with the
    /// visitor token.
    #[serde(default)]
    pub attachments: Vec<AttachmentInfo>,
}

/// The agent on the conversation, as visitors see them.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct VisitorAgent {
    /// First name only.
    pub name: String,
}

/// The visitor's conversation.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct VisitorConversation {
    /// Id.
    pub id: String,
    /// `bot` (the bot is answering), `queued`, `assigned` or `resolved`.
    pub status: String,
    /// The agent who joined, while assigned.
    pub agent: Option<VisitorAgent>,
    /// Messages, oldest first.
    pub messages: Vec<VisitorMessage>,
    /// The event log position this view includes: follow
    /// `/widget/v1/events?since=` this to miss nothing after it.
    pub last_seq: i64,
}

/// A message as a visitor may see it (`None` for notes and system lines).
pub fn visitor_message(m: &Message) -> Option<VisitorMessage> {
    let author = match m.kind {
        MessageKind::Customer => None,
        MessageKind::Agent => Some(first_name(&m.author)),
        MessageKind::Bot => Some(m.author.clone()),
        MessageKind::Note | MessageKind::System => return None,
    };
    Some(VisitorMessage {
        id: m.id.clone(),
        kind: m.kind,
        author,
        body: m.body.clone(),
        created_at: m.created_at,
        attachments: m.attachments.clone(),
    })
}

/// The first name of an agent by id.
pub async fn agent_first_name(conn: &mut impl Db, id: &str) -> AppResult<Option<String>> {
    Ok(rows::agent(conn, id).await?.map(|a| first_name(&a.name)))
}

/// The visitor's view of their session.
pub async fn view(
    conn: &mut impl Db,
    s: &Session,
    last_seq: i64,
) -> AppResult<VisitorConversation> {
    if s.mode == Mode::Bot {
        let lines = db::query(
            "SELECT id, kind, author, body, created_at FROM widget_transcript WHERE session_id = $1 ORDER BY pos",
        )
        .bind(&s.id)
        .fetch_all(&mut *conn)
        .await?;
        let mut messages = Vec::with_capacity(lines.len());
        for l in &lines {
            let kind: String = l.try_get("kind")?;
            let kind = MessageKind::parse(&kind)
                .map_err(|e| AppError::Internal(format!("stored transcript: {e}")))?;
            messages.push(VisitorMessage {
                id: l.try_get("id")?,
                kind,
                author: (kind == MessageKind::Bot)
                    .then(|| l.try_get("author"))
                    .transpose()?,
                body: l.try_get("body")?,
                created_at: from_ms(l.try_get("created_at")?),
                attachments: Vec::new(),
            });
        }
        return Ok(VisitorConversation {
            id: s.id.clone(),
            status: "bot".into(),
            agent: None,
            messages,
            last_seq,
        });
    }
    let conv = rows::conversation(conn, &s.id)
        .await?
        .ok_or(AppError::NotFound("conversation"))?;
    let agent = match (&conv.assignee_id, conv.state) {
        (Some(a), ConversationState::Assigned | ConversationState::Snoozed) => {
            agent_first_name(conn, a)
                .await?
                .map(|name| VisitorAgent { name })
        }
        _ => None,
    };
    let messages = rows::messages(conn, &s.id)
        .await?
        .iter()
        .filter_map(visitor_message)
        .collect();
    Ok(VisitorConversation {
        id: s.id.clone(),
        status: conv.state.as_str().into(),
        agent,
        messages,
        last_seq,
    })
}

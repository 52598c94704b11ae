//! Write operations: each runs inside one [`Tx`], applies the rules of
//! `switchboard-core`, writes rows and appends the events that describe the
//! change. They are the only code that changes the inbox.

use std::collections::HashMap;

use sqlx::Row;
use switchboard_api::events::{
    AgentUpdated, CategoryUpdated, Change, ConversationCreated, ConversationUpdated, EventPayload,
    MessageCreated,
};
use switchboard_api::{
    Agent, AgentPatch, Category, CategoryPatch, CategorySource, Conversation, ConversationSummary,
    Customer, Event, Message, NewCategory, TransferRequest,
};
use switchboard_core::categorize::{Categorizer, DecidedBy};
use switchboard_core::claim::{decide_claim, ClaimDecision, ClaimTarget, QueuedItem};
use switchboard_core::routing::{next_round_robin, plan_drain, Queued};
use switchboard_core::{
    AgentStatus, Channel, ConversationState, MessageKind, Role, RoutingMode,
    DEFAULT_WAIT_THRESHOLD_SECS,
};

use crate::caller::Caller;
use crate::clock::from_ms;
use crate::error::{AppError, AppResult};
use crate::rows::{self, ConvRow};
use crate::store::{LoggedEvent, Tx, Visibility};

/// New ids: time-ordered UUIDs.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}

const PREVIEW_CHARS: usize = 140;

fn preview_of(body: &str) -> String {
    let flat: String = body.split_whitespace().collect::<Vec<_>>().join(" ");
    flat.chars().take(PREVIEW_CHARS).collect()
}

/// Appends one event to the log inside the transaction.
pub async fn append_event(
    tx: &mut Tx,
    payload: EventPayload,
    conversation_id: Option<&str>,
    visibility: Visibility,
) -> AppResult<i64> {
    // Sequence numbers are handed out in memory by the batch that holds the
    // write lock; the writer stores the batch's events and the counter in a
    // few statements just before it commits (see `store::writer`).
    tx.next_seq += 1;
    let seq = tx.next_seq;
    tx.events.push(LoggedEvent::new(
        Event {
            seq,
            kind: payload.kind().to_owned(),
            conversation_id: conversation_id.map(str::to_owned),
            at: tx.now,
            data: payload.to_data(),
        },
        visibility,
    ));
    Ok(seq)
}

/// How a customer signs their messages: name, else email, else phone.
fn customer_display_name(c: &Customer) -> String {
    c.name
        .clone()
        .or_else(|| c.email.clone())
        .or_else(|| c.phone.clone())
        .unwrap_or_else(|| "Customer".to_owned())
}

/// Who may see an event about `after` (and, for a change, `before`).
pub(crate) fn conv_visibility(before: Option<&ConvRow>, after: &ConvRow) -> Visibility {
    let before = before.unwrap_or(after);
    Visibility::Conversation {
        category_id: after.category_id.clone(),
        assignee_id: after.assignee_id.clone(),
        prev_category_id: before.category_id.clone(),
        prev_assignee_id: before.assignee_id.clone(),
    }
}

async fn load(tx: &mut Tx, id: &str) -> AppResult<ConvRow> {
    rows::conversation(&mut tx.conn, id)
        .await?
        .ok_or(AppError::NotFound("conversation"))
}

/// Loads a conversation the caller may see (404 otherwise: no existence leak).
async fn load_visible(tx: &mut Tx, caller: &Caller, id: &str) -> AppResult<ConvRow> {
    let c = load(tx, id).await?;
    if !caller.viewer().can_view(c.scope()) {
        return Err(AppError::NotFound("conversation"));
    }
    Ok(c)
}

async fn conv_updated(
    tx: &mut Tx,
    before: &ConvRow,
    change: Change,
    by: Option<&str>,
) -> AppResult<ConvRow> {
    let after = load(tx, &before.id).await?;
    let payload = EventPayload::ConversationUpdated(ConversationUpdated {
        conversation: after.summary(tx.now),
        change,
        by: by.map(str::to_owned),
        previous_assignee_id: before.assignee_id.clone(),
    });
    let vis = conv_visibility(Some(before), &after);
    append_event(tx, payload, Some(&after.id), vis).await?;
    Ok(after)
}

struct NewMsg<'a> {
    kind: MessageKind,
    author: &'a str,
    author_id: Option<&'a str>,
    body: &'a str,
    client_id: Option<&'a str>,
}

async fn insert_message(
    tx: &mut Tx,
    conv: &ConvRow,
    m: NewMsg<'_>,
    emit: bool,
) -> AppResult<Message> {
    insert_message_seen_from(tx, None, conv, m, emit).await
}

/// Inserts a message whose event reaches those who saw the conversation as
/// `before` too (a transfer note reaches both the sender and the receiver).
async fn insert_message_seen_from(
    tx: &mut Tx,
    before: Option<&ConvRow>,
    conv: &ConvRow,
    m: NewMsg<'_>,
    emit: bool,
) -> AppResult<Message> {
    let id = new_id();
    // Messages are ordered by the log position of their own event (or of the
    // event that follows them).
    let seq = tx.next_seq;
    sqlx::query(
        "INSERT INTO messages (id, conversation_id, seq, kind, author, author_id, body, created_at, client_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&id)
    .bind(&conv.id)
    .bind(seq + 1)
    .bind(m.kind.as_str())
    .bind(m.author)
    .bind(m.author_id)
    .bind(m.body)
    .bind(tx.now.timestamp_millis())
    .bind(m.client_id)
    .execute(&mut tx.conn)
    .await?;
    let message = Message {
        id,
        conversation_id: conv.id.clone(),
        kind: m.kind,
        author: m.author.to_owned(),
        author_id: m.author_id.map(str::to_owned),
        body: m.body.to_owned(),
        created_at: tx.now,
        client_id: m.client_id.map(str::to_owned),
        delivery: None,
    };
    if emit {
        append_event(
            tx,
            EventPayload::MessageCreated(MessageCreated {
                message: message.clone(),
            }),
            Some(&conv.id),
            conv_visibility(before, conv),
        )
        .await?;
    }
    Ok(message)
}

async fn system_line(tx: &mut Tx, conv: &ConvRow, text: &str) -> AppResult<Message> {
    insert_message(
        tx,
        conv,
        NewMsg {
            kind: MessageKind::System,
            author: "Switchboard",
            author_id: None,
            body: text,
            client_id: None,
        },
        true,
    )
    .await
}

async fn agent_name(tx: &mut Tx, id: &str) -> AppResult<String> {
    Ok(rows::agent(&mut tx.conn, id)
        .await?
        .map(|a| a.name)
        .unwrap_or_else(|| id.to_owned()))
}

/// Sets `state = assigned` for `agent_id`, only if it is still `expected`.
/// Returns false when someone else changed it first (the conditional update is
/// the serialization point for every assignment).
async fn set_assignee(
    tx: &mut Tx,
    conv: &ConvRow,
    expected: ConversationState,
    agent_id: &str,
    via: &str,
) -> AppResult<bool> {
    let now = tx.now.timestamp_millis();
    let done = sqlx::query(
        "UPDATE conversations SET state = 'assigned', assignee_id = $1, updated_at = $2 \
         WHERE id = $3 AND state = $4 AND COALESCE(assignee_id, '') = $5",
    )
    .bind(agent_id)
    .bind(now)
    .bind(&conv.id)
    .bind(expected.as_str())
    .bind(conv.assignee_id.clone().unwrap_or_default())
    .execute(&mut tx.conn)
    .await?
    .rows_affected();
    if done != 1 {
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO assignments (conversation_id, agent_id, at, via) VALUES ($1, $2, $3, $4)",
    )
    .bind(&conv.id)
    .bind(agent_id)
    .bind(now)
    .bind(via)
    .execute(&mut tx.conn)
    .await?;
    Ok(true)
}

/// Puts a conversation (back) in its category's queue, now.
async fn set_queued(tx: &mut Tx, conv: &ConvRow, category_id: Option<&str>) -> AppResult<()> {
    let now = tx.now.timestamp_millis();
    sqlx::query(
        "UPDATE conversations SET state = 'queued', assignee_id = NULL, category_id = $1, queued_at = $2, updated_at = $2 WHERE id = $3",
    )
    .bind(category_id)
    .bind(now)
    .bind(&conv.id)
    .execute(&mut tx.conn)
    .await?;
    Ok(())
}

/// Hands one queued conversation to the next eligible agent of its
/// round-robin category, if there is one. Returns the agent id.
async fn route_one(tx: &mut Tx, conv: &ConvRow) -> AppResult<Option<String>> {
    let Some(category_id) = conv.category_id.as_deref() else {
        return Ok(None);
    };
    let cat = rows::category(&mut tx.conn, category_id).await?;
    route_one_in(tx, conv, cat).await
}

/// [`route_one`] with the conversation's category already read.
async fn route_one_in(
    tx: &mut Tx,
    conv: &ConvRow,
    cat: Option<rows::CategoryRow>,
) -> AppResult<Option<String>> {
    let (Some(category_id), Some(cat)) = (conv.category_id.as_deref(), cat) else {
        return Ok(None);
    };
    if cat.category.routing != RoutingMode::RoundRobin {
        return Ok(None);
    }
    let loads = rows::available_loads(&mut tx.conn).await?;
    let Some(agent) =
        next_round_robin(&loads, category_id, cat.rr_cursor.as_deref()).map(|a| a.id.clone())
    else {
        return Ok(None);
    };
    if !set_assignee(tx, conv, ConversationState::Queued, &agent, "round_robin").await? {
        return Ok(None);
    }
    sqlx::query("UPDATE categories SET rr_cursor = $1 WHERE id = $2")
        .bind(&agent)
        .bind(category_id)
        .execute(&mut tx.conn)
        .await?;
    let name = agent_name(tx, &agent).await?;
    let now_row = load(tx, &conv.id).await?;
    system_line(tx, &now_row, &format!("Assigned to {name} (round-robin)")).await?;
    conv_updated(tx, conv, Change::Assigned, None).await?;
    Ok(Some(agent))
}

/// Drains the round-robin queues: oldest conversations first, to eligible
/// agents in rotation, until nobody eligible is left. Called after anything
/// that can make an agent eligible or queue a round-robin conversation.
pub async fn drain(tx: &mut Tx) -> AppResult<usize> {
    let rows_ = sqlx::query(
        "SELECT c.id, c.category_id, c.queued_at FROM conversations c JOIN categories k ON k.id = c.category_id \
         WHERE c.state = 'queued' AND k.routing = 'round_robin' ORDER BY c.queued_at, c.id LIMIT 2000",
    )
    .fetch_all(&mut tx.conn)
    .await?;
    if rows_.is_empty() {
        return Ok(0);
    }
    let mut queue = Vec::with_capacity(rows_.len());
    for r in &rows_ {
        queue.push(Queued {
            id: r.try_get("id")?,
            category_id: r.try_get("category_id")?,
            waiting_since: from_ms(r.try_get("queued_at")?),
        });
    }
    let mut loads = rows::available_loads(&mut tx.conn).await?;
    if loads.is_empty() {
        return Ok(0);
    }
    let mut cursors: HashMap<String, String> = rows::categories(&mut tx.conn)
        .await?
        .into_iter()
        .filter_map(|c| c.rr_cursor.map(|cur| (c.category.id, cur)))
        .collect();
    let plan = plan_drain(&queue, &mut loads, &mut cursors);
    let mut assigned = 0;
    for a in &plan {
        let conv = load(tx, &a.conversation_id).await?;
        if !set_assignee(
            tx,
            &conv,
            ConversationState::Queued,
            &a.agent_id,
            "round_robin",
        )
        .await?
        {
            continue;
        }
        assigned += 1;
        let name = agent_name(tx, &a.agent_id).await?;
        let now_row = load(tx, &conv.id).await?;
        system_line(tx, &now_row, &format!("Assigned to {name} (round-robin)")).await?;
        conv_updated(tx, &conv, Change::Assigned, None).await?;
    }
    for (category_id, cursor) in cursors {
        sqlx::query("UPDATE categories SET rr_cursor = $1 WHERE id = $2")
            .bind(cursor)
            .bind(category_id)
            .execute(&mut tx.conn)
            .await?;
    }
    Ok(assigned)
}

/// A customer's first message, from any channel.
#[derive(Debug, Clone)]
pub struct Ingest {
    /// The channel it came over.
    pub channel: Channel,
    /// Who wrote.
    pub customer: Customer,
    /// Subject line.
    pub subject: String,
    /// The message.
    pub body: String,
    /// A category chosen by the sender (validated); else auto-categorized.
    pub category_id: Option<String>,
}

/// Creates a conversation with its first customer message, categorizes it and
/// routes it (round-robin) or queues it.
pub async fn create_conversation(
    tx: &mut Tx,
    input: Ingest,
    categorizer: &Categorizer,
) -> AppResult<Conversation> {
    let (category_id, source, confidence) = match input.category_id {
        Some(id) => (id, CategorySource::Explicit, None),
        None => {
            // The text the classifier is trained on: subject and first message.
            let text = format!("{}\n{}", input.subject, input.body);
            let d = categorizer.decide(&text);
            let source = match d.by {
                DecidedBy::Rule => CategorySource::Rule,
                DecidedBy::Learned => CategorySource::Classifier,
                DecidedBy::Default => CategorySource::Default,
            };
            let per_mille = d.confidence.map(|p| (p * 1000.0).round() as i64);
            (d.category_id, source, per_mille)
        }
    };
    // Read once: checks an explicit choice, gives the threshold and routing.
    let category = rows::category(&mut tx.conn, &category_id).await?;
    if category.is_none() && source == CategorySource::Explicit {
        return Err(AppError::invalid(
            "unknown_category",
            format!("no category `{category_id}`"),
        ));
    }
    let id = new_id();
    let now = tx.now.timestamp_millis();
    let preview = preview_of(&input.body);
    sqlx::query(
        "INSERT INTO conversations (id, channel, customer_name, customer_email, customer_phone, subject, category_id, state, \
         assignee_id, created_at, updated_at, queued_at, unanswered_since, first_customer_at, first_response_at, \
         first_response_agent_id, preview, category_source, category_confidence) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'queued', NULL, $8, $8, $8, $8, $8, NULL, NULL, $9, $10, $11)",
    )
    .bind(&id)
    .bind(input.channel.as_str())
    .bind(&input.customer.name)
    .bind(&input.customer.email)
    .bind(&input.customer.phone)
    .bind(&input.subject)
    .bind(&category_id)
    .bind(now)
    .bind(&preview)
    .bind(source.as_str())
    .bind(confidence)
    .execute(&mut tx.conn)
    .await?;
    // Exactly the row just inserted, as `rows::conversation` would read it
    // (the API suite compares what a create returns with a read).
    let threshold = category.as_ref().map_or(DEFAULT_WAIT_THRESHOLD_SECS, |c| {
        c.category.wait_threshold_secs
    });
    let conv = ConvRow {
        id: id.clone(),
        channel: input.channel,
        customer: input.customer.clone(),
        subject: input.subject.clone(),
        category_id: Some(category_id),
        state: ConversationState::Queued,
        assignee_id: None,
        created_at: now,
        updated_at: now,
        queued_at: now,
        unanswered_since: Some(now),
        first_customer_at: now,
        first_response_at: None,
        first_response_agent_id: None,
        preview,
        category_source: Some(source),
        category_confidence: confidence,
        threshold_secs: threshold.max(1),
    };
    // Debug builds (every test) check the claim above on each create.
    #[cfg(debug_assertions)]
    {
        let stored = load(tx, &id).await?;
        debug_assert_eq!(format!("{conv:?}"), format!("{stored:?}"));
    }
    let author = customer_display_name(&input.customer);
    let first = insert_message(
        tx,
        &conv,
        NewMsg {
            kind: MessageKind::Customer,
            author: &author,
            author_id: None,
            body: &input.body,
            client_id: None,
        },
        false,
    )
    .await?;
    append_event(
        tx,
        EventPayload::ConversationCreated(ConversationCreated {
            conversation: conv.summary(tx.now),
        }),
        Some(&id),
        conv_visibility(None, &conv),
    )
    .await?;
    append_event(
        tx,
        EventPayload::MessageCreated(MessageCreated {
            message: first.clone(),
        }),
        Some(&id),
        conv_visibility(None, &conv),
    )
    .await?;
    if route_one_in(tx, &conv, category).await?.is_none() {
        // Still queued, exactly as inserted: no need to read it back.
        return Ok(Conversation {
            summary: conv.summary(tx.now),
            messages: vec![first],
        });
    }
    let conv = load(tx, &id).await?;
    let messages = rows::messages(&mut tx.conn, &id).await?;
    Ok(Conversation {
        summary: conv.summary(tx.now),
        messages,
    })
}

/// One line of a transcript that comes with a conversation: what the
/// customer and a bot said before a human was needed.
#[derive(Debug, Clone)]
pub struct TranscriptLine {
    /// Keep this message id (the widget's own lines keep theirs), else a new one.
    pub id: Option<String>,
    /// `Customer` or `Bot`.
    pub kind: MessageKind,
    /// The bot's name for bot lines (customer lines are signed with the customer's name).
    pub author: String,
    /// The text.
    pub body: String,
    /// When it was said (not after the write's time).
    pub at: chrono::DateTime<chrono::Utc>,
}

/// A conversation that starts with a transcript: the widget (channel `chat`,
/// or `bot` at the hand-off of the built-in bot) and external bots' hand-offs.
#[derive(Debug, Clone)]
pub struct Transcribed {
    /// Use this conversation id (the widget session's), else a new one.
    pub id: Option<String>,
    /// `Chat` or `Bot`.
    pub channel: Channel,
    /// Who wrote.
    pub customer: Customer,
    /// Subject line.
    pub subject: String,
    /// At least one customer line, in the order said.
    pub transcript: Vec<TranscriptLine>,
    /// A category chosen by the sender (validated); else auto-categorized.
    pub category_id: Option<String>,
    /// A bot handed it over now, for this reason (a system line says it;
    /// first response time counts from now).
    pub handed_off: Option<String>,
}

/// Creates a conversation from a transcript, categorizes it and routes it
/// (round-robin) or queues it, like [`create_conversation`]. A bot hand-off
/// enters the queue now and records `handed_off_at`, so its first response
/// time is counted from the hand-off.
pub async fn create_with_transcript(
    tx: &mut Tx,
    input: Transcribed,
    categorizer: &Categorizer,
) -> AppResult<Conversation> {
    let customer_lines: Vec<&TranscriptLine> = input
        .transcript
        .iter()
        .filter(|l| l.kind == MessageKind::Customer)
        .collect();
    let Some(first) = customer_lines.first() else {
        return Err(AppError::invalid(
            "empty_transcript",
            "the transcript needs at least one customer message",
        ));
    };
    let now = tx.now.timestamp_millis();
    let first_customer_at = first.at.timestamp_millis().min(now);
    let preview = preview_of(
        &customer_lines
            .last()
            .map(|l| l.body.clone())
            .unwrap_or_default(),
    );
    let category_id = match input.category_id {
        Some(id) => {
            if rows::category(&mut tx.conn, &id).await?.is_none() {
                return Err(AppError::invalid(
                    "unknown_category",
                    format!("no category `{id}`"),
                ));
            }
            id
        }
        None => {
            let mut text = input.subject.clone();
            for l in &customer_lines {
                text.push('\n');
                text.push_str(&l.body);
            }
            categorizer
                .categorize(&text)
                .unwrap_or("general")
                .to_owned()
        }
    };
    let id = input.id.clone().unwrap_or_else(new_id);
    sqlx::query(
        "INSERT INTO conversations (id, channel, customer_name, customer_email, customer_phone, subject, category_id, state, \
         assignee_id, created_at, updated_at, queued_at, unanswered_since, first_customer_at, first_response_at, \
         first_response_agent_id, preview, handed_off_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'queued', NULL, $8, $8, $8, $8, $9, NULL, NULL, $10, $11)",
    )
    .bind(&id)
    .bind(input.channel.as_str())
    .bind(&input.customer.name)
    .bind(&input.customer.email)
    .bind(&input.customer.phone)
    .bind(&input.subject)
    .bind(&category_id)
    .bind(now)
    .bind(first_customer_at)
    .bind(&preview)
    .bind(input.handed_off.as_ref().map(|_| now))
    .execute(&mut tx.conn)
    .await?;
    let conv = load(tx, &id).await?;
    append_event(
        tx,
        EventPayload::ConversationCreated(ConversationCreated {
            conversation: conv.summary(tx.now),
        }),
        Some(&id),
        conv_visibility(None, &conv),
    )
    .await?;
    let customer_name = customer_display_name(&input.customer);
    for line in &input.transcript {
        let author = match line.kind {
            MessageKind::Customer => customer_name.as_str(),
            _ => line.author.as_str(),
        };
        let msg_id = line.id.clone().unwrap_or_else(new_id);
        let at = line.at.min(tx.now);
        sqlx::query(
            "INSERT INTO messages (id, conversation_id, seq, kind, author, author_id, body, created_at, client_id) \
             VALUES ($1, $2, $3, $4, $5, NULL, $6, $7, NULL)",
        )
        .bind(&msg_id)
        .bind(&id)
        .bind(tx.next_seq + 1)
        .bind(line.kind.as_str())
        .bind(author)
        .bind(&line.body)
        .bind(at.timestamp_millis())
        .execute(&mut tx.conn)
        .await?;
        let message = Message {
            id: msg_id,
            conversation_id: id.clone(),
            kind: line.kind,
            author: author.to_owned(),
            author_id: None,
            body: line.body.clone(),
            created_at: at,
            client_id: None,
            delivery: None,
        };
        append_event(
            tx,
            EventPayload::MessageCreated(MessageCreated { message }),
            Some(&id),
            conv_visibility(None, &conv),
        )
        .await?;
    }
    if let Some(reason) = &input.handed_off {
        system_line(tx, &conv, &format!("Handed off by the bot: {reason}")).await?;
    }
    route_one(tx, &conv).await?;
    let conv = load(tx, &id).await?;
    let messages = rows::messages(&mut tx.conn, &id).await?;
    Ok(Conversation {
        summary: conv.summary(tx.now),
        messages,
    })
}

/// A further customer message on an existing conversation (any channel).
/// On a resolved conversation it reopens it: back to its last agent if that
/// agent is available with room, else to the queue (and round-robin).
pub async fn customer_message(
    tx: &mut Tx,
    conversation_id: &str,
    body: &str,
) -> AppResult<Message> {
    let conv = load(tx, conversation_id).await?;
    let author = customer_display_name(&conv.customer);
    let now = tx.now.timestamp_millis();
    sqlx::query(
        "UPDATE conversations SET unanswered_since = COALESCE(unanswered_since, $1), updated_at = $1, preview = $2 WHERE id = $3",
    )
    .bind(now)
    .bind(preview_of(body))
    .bind(conversation_id)
    .execute(&mut tx.conn)
    .await?;
    let conv_now = load(tx, conversation_id).await?;
    let msg = insert_message(
        tx,
        &conv_now,
        NewMsg {
            kind: MessageKind::Customer,
            author: &author,
            author_id: None,
            body,
            client_id: None,
        },
        true,
    )
    .await?;
    if conv.state == ConversationState::Resolved {
        reopen_by_rule(tx, &conv_now, None).await?;
    } else {
        conv_updated(tx, &conv_now, Change::Touched, None).await?;
    }
    Ok(msg)
}

/// Reopens a resolved conversation: to its last agent if available with room,
/// else to the queue (where round-robin may pick it up).
async fn reopen_by_rule(tx: &mut Tx, conv: &ConvRow, by: Option<&str>) -> AppResult<ConvRow> {
    let last = match conv.assignee_id.as_deref() {
        Some(id) => rows::agent(&mut tx.conn, id).await?,
        None => None,
    };
    let mut back_to_last = false;
    if let Some(agent) = &last {
        let open = rows::open_count(&mut tx.conn, &agent.id).await?;
        if agent.status == AgentStatus::Available && open < agent.capacity {
            back_to_last =
                set_assignee(tx, conv, ConversationState::Resolved, &agent.id, "reopen").await?;
        }
    }
    if back_to_last {
        let name = last.map(|a| a.name).unwrap_or_default();
        let now_row = load(tx, &conv.id).await?;
        system_line(tx, &now_row, &format!("Reopened and returned to {name}")).await?;
    } else {
        set_queued(tx, conv, conv.category_id.as_deref()).await?;
        let now_row = load(tx, &conv.id).await?;
        system_line(tx, &now_row, "Reopened into the queue").await?;
    }
    let after = conv_updated(tx, conv, Change::Reopened, by).await?;
    if !back_to_last {
        route_one(tx, &after).await?;
    }
    load(tx, &conv.id).await
}

/// An agent claims a queued conversation.
pub async fn claim(tx: &mut Tx, caller: &Caller, id: &str) -> AppResult<ConversationSummary> {
    let conv = load_visible(tx, caller, id).await?;
    // The caller was read with their token for this request; the claim rule
    // needs their status, role and skills (capacity steers routing only).
    let load_me = switchboard_core::eligibility::AgentLoad {
        id: caller.id.clone(),
        role: caller.role,
        status: caller.status,
        categories: caller.categories.clone(),
        capacity: 0,
        open: 0,
    };
    let category_id = conv.category_id.clone().unwrap_or_default();
    let target = ClaimTarget {
        id: &conv.id,
        category_id: &category_id,
        state: conv.state,
        assignee_id: conv.assignee_id.as_deref(),
        waiting_since: conv.waiting_since(),
    };
    // The queue this agent could claim from, with each category's threshold.
    let queue = if conv.state == ConversationState::Queued {
        // Only older conversations of the caller's categories can matter.
        let mine = if caller.is_admin() {
            "$2 = $2"
        } else {
            "c.category_id IN (SELECT category_id FROM agent_categories WHERE agent_id = $2)"
        };
        let sql = format!(
            "SELECT {} FROM {} WHERE c.state = 'queued' AND c.queued_at <= $1 AND {mine} ORDER BY c.queued_at, c.id LIMIT 5000",
            rows::CONV_COLS,
            rows::CONV_FROM
        );
        let found = sqlx::query(&sql)
            .bind(conv.queued_at)
            .bind(&caller.id)
            .fetch_all(&mut tx.conn)
            .await?;
        let mut q = Vec::with_capacity(found.len());
        for r in &found {
            let c = ConvRow::from_row(r)?;
            if let (Some(cat), Some(since)) = (c.category_id.clone(), c.waiting_since()) {
                q.push(QueuedItem {
                    id: c.id,
                    category_id: cat,
                    waiting_since: since,
                    threshold_secs: c.threshold_secs,
                });
            }
        }
        q
    } else {
        Vec::new()
    };
    match decide_claim(&load_me, &target, &queue, tx.now)? {
        ClaimDecision::AlreadyYours => Ok(conv.summary(tx.now)),
        ClaimDecision::Take {
            waited_secs,
            skipped_older,
        } => {
            if !set_assignee(tx, &conv, ConversationState::Queued, &caller.id, "claim").await? {
                let holder = load(tx, id).await?.assignee_id.unwrap_or_default();
                return Err(AppError::Conflict {
                    code: "already_assigned",
                    message: "conversation is already assigned to another agent".into(),
                    conversation_id: None,
                    assignee_id: Some(holder),
                });
            }
            sqlx::query(
                "INSERT INTO claims (conversation_id, agent_id, at, waited_secs, skipped_older) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&conv.id)
            .bind(&caller.id)
            .bind(tx.now.timestamp_millis())
            .bind(i64::try_from(waited_secs).unwrap_or(i64::MAX))
            .bind(i64::from(skipped_older))
            .execute(&mut tx.conn)
            .await?;
            let now_row = load(tx, id).await?;
            system_line(tx, &now_row, &format!("Claimed by {}", caller.name)).await?;
            let after = conv_updated(tx, &conv, Change::Claimed, Some(&caller.id)).await?;
            Ok(after.summary(tx.now))
        }
    }
}

/// Maximum length of a message body, in bytes.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// A reply or an internal note by an agent. Same `client_id` again → the same message.
pub async fn post_message(
    tx: &mut Tx,
    caller: &Caller,
    id: &str,
    body: &str,
    internal: bool,
    client_id: Option<&str>,
) -> AppResult<(Message, bool)> {
    if let Some(cid) = client_id {
        if cid.is_empty() || cid.len() > 128 {
            return Err(AppError::invalid(
                "invalid_client_id",
                "client_id must be 1 to 128 characters",
            ));
        }
        let existing = sqlx::query(&format!(
            "SELECT {} FROM messages WHERE author_id = $1 AND client_id = $2",
            rows::MSG_COLS
        ))
        .bind(&caller.id)
        .bind(cid)
        .fetch_optional(&mut tx.conn)
        .await?;
        if let Some(r) = existing {
            let m = rows::message_from_row(&r)?;
            if m.conversation_id != id {
                return Err(AppError::conflict(
                    "client_id_reused",
                    "this client_id was already used for a message in another conversation",
                ));
            }
            return Ok((m, false));
        }
    }
    let body = body.trim_end();
    if body.trim().is_empty() {
        return Err(AppError::invalid("empty_body", "the message is empty"));
    }
    if body.len() > MAX_BODY_BYTES {
        return Err(AppError::invalid(
            "body_too_long",
            format!("messages are limited to {MAX_BODY_BYTES} bytes"),
        ));
    }
    let conv = load_visible(tx, caller, id).await?;
    let viewer = caller.viewer();
    let kind = if internal {
        MessageKind::Note
    } else {
        if !viewer.can_reply(conv.scope()) {
            return Err(AppError::forbidden(
                "not_assignee",
                "only the agent this conversation is assigned to may reply; claim it first or write an internal note",
            ));
        }
        MessageKind::Agent
    };
    let now = tx.now.timestamp_millis();
    let mut msg = insert_message(
        tx,
        &conv,
        NewMsg {
            kind,
            author: &caller.name,
            author_id: Some(&caller.id),
            body,
            client_id,
        },
        true,
    )
    .await?;
    if kind == MessageKind::Agent {
        // Channel hook (channels/): a public reply goes out over the
        // conversation's channel, queued in this same transaction.
        msg.delivery = crate::channels::reply_posted(tx, &conv, &msg).await?;
        sqlx::query(
            "UPDATE conversations SET unanswered_since = NULL, updated_at = $1, preview = $2, \
             first_response_agent_id = CASE WHEN first_response_at IS NULL THEN $3 ELSE first_response_agent_id END, \
             first_response_at = COALESCE(first_response_at, $1) WHERE id = $4",
        )
        .bind(now)
        .bind(preview_of(body))
        .bind(&caller.id)
        .bind(id)
        .execute(&mut tx.conn)
        .await?;
        conv_updated(tx, &conv, Change::Touched, Some(&caller.id)).await?;
    }
    Ok((msg, true))
}

/// Transfers to an agent or to a category's queue, with an optional note.
pub async fn transfer(
    tx: &mut Tx,
    caller: &Caller,
    id: &str,
    req: &TransferRequest,
) -> AppResult<ConversationSummary> {
    let conv = load_visible(tx, caller, id).await?;
    if !caller.viewer().can_manage(conv.scope()) {
        return Err(AppError::forbidden(
            "not_assignee",
            "only the assignee or an admin may transfer this conversation",
        ));
    }
    if conv.state == ConversationState::Resolved {
        return Err(AppError::conflict(
            "conversation_resolved",
            "reopen the conversation before transferring it",
        ));
    }
    let note = req.note.as_deref().filter(|n| !n.trim().is_empty());
    if note.is_some_and(|n| n.len() > MAX_BODY_BYTES) {
        return Err(AppError::invalid("body_too_long", "the note is too long"));
    }
    let from = match conv.assignee_id.as_deref() {
        Some(a) => agent_name(tx, a).await?,
        None => "the queue".to_owned(),
    };
    match (req.to_agent_id.as_deref(), req.to_category_id.as_deref()) {
        (Some(agent_id), None) => {
            let target = rows::agent(&mut tx.conn, agent_id).await?.ok_or_else(|| {
                AppError::invalid("unknown_agent", format!("no agent `{agent_id}`"))
            })?;
            if target.status == AgentStatus::Offline {
                return Err(AppError::conflict(
                    "agent_offline",
                    format!(
                        "{} is offline; pick someone available or busy, or transfer to a category",
                        target.name
                    ),
                ));
            }
            if conv.assignee_id.as_deref() == Some(agent_id) {
                return Err(AppError::conflict(
                    "already_assigned",
                    "the conversation is already theirs",
                ));
            }
            if !set_assignee(tx, &conv, conv.state, agent_id, "transfer").await? {
                return Err(AppError::conflict(
                    "changed",
                    "the conversation changed meanwhile; reload and retry",
                ));
            }
            let now_row = load(tx, id).await?;
            system_line(
                tx,
                &now_row,
                &format!(
                    "Transferred from {from} to {} by {}",
                    target.name, caller.name
                ),
            )
            .await?;
        }
        (None, Some(category_id)) => {
            let cat = rows::category(&mut tx.conn, category_id)
                .await?
                .ok_or_else(|| {
                    AppError::invalid("unknown_category", format!("no category `{category_id}`"))
                })?;
            set_queued(tx, &conv, Some(category_id)).await?;
            set_agent_categorized(tx, id).await?;
            let now_row = load(tx, id).await?;
            system_line(
                tx,
                &now_row,
                &format!(
                    "Transferred from {from} to the {} queue by {}",
                    cat.category.name, caller.name
                ),
            )
            .await?;
        }
        _ => {
            return Err(AppError::invalid(
                "invalid_transfer",
                "give exactly one of to_agent_id or to_category_id",
            ))
        }
    }
    // The note goes in after the handover, so its event reaches the receiver
    // (who may not have seen the conversation before) as well as the sender.
    if let Some(note) = note {
        let now_row = load(tx, id).await?;
        insert_message_seen_from(
            tx,
            Some(&conv),
            &now_row,
            NewMsg {
                kind: MessageKind::Note,
                author: &caller.name,
                author_id: Some(&caller.id),
                body: note,
                client_id: None,
            },
            true,
        )
        .await?;
    }
    let after = conv_updated(tx, &conv, Change::Transferred, Some(&caller.id)).await?;
    drain(tx).await?;
    Ok(load(tx, &after.id).await?.summary(tx.now))
}

/// Resolves a conversation (assignee or admin).
pub async fn resolve(tx: &mut Tx, caller: &Caller, id: &str) -> AppResult<ConversationSummary> {
    let conv = load_visible(tx, caller, id).await?;
    if conv.state == ConversationState::Resolved {
        return Ok(conv.summary(tx.now));
    }
    if !caller.viewer().can_manage(conv.scope()) {
        return Err(AppError::forbidden(
            "not_assignee",
            "only the assignee or an admin may resolve this conversation",
        ));
    }
    let now = tx.now.timestamp_millis();
    // The resolver is credited: the assignee, or the admin closing a queued one.
    let credited = conv
        .assignee_id
        .clone()
        .unwrap_or_else(|| caller.id.clone());
    sqlx::query("UPDATE conversations SET state = 'resolved', assignee_id = $1, updated_at = $2 WHERE id = $3")
        .bind(&credited)
        .bind(now)
        .bind(id)
        .execute(&mut tx.conn)
        .await?;
    sqlx::query("INSERT INTO resolutions (conversation_id, agent_id, at) VALUES ($1, $2, $3)")
        .bind(id)
        .bind(&credited)
        .bind(now)
        .execute(&mut tx.conn)
        .await?;
    let now_row = load(tx, id).await?;
    system_line(tx, &now_row, &format!("Resolved by {}", caller.name)).await?;
    let after = conv_updated(tx, &conv, Change::Resolved, Some(&caller.id)).await?;
    drain(tx).await?;
    Ok(after.summary(tx.now))
}

/// Reopens a resolved conversation. An agent who reopens it takes it (unless
/// offline); an admin's reopen follows the rule (last agent if available, else queue).
pub async fn reopen(tx: &mut Tx, caller: &Caller, id: &str) -> AppResult<ConversationSummary> {
    let conv = load_visible(tx, caller, id).await?;
    if conv.state != ConversationState::Resolved {
        return Err(AppError::conflict(
            "not_resolved",
            "only resolved conversations can be reopened",
        ));
    }
    if caller.role == Role::Agent && caller.status != AgentStatus::Offline {
        if !set_assignee(tx, &conv, ConversationState::Resolved, &caller.id, "reopen").await? {
            return Err(AppError::conflict(
                "changed",
                "the conversation changed meanwhile; reload and retry",
            ));
        }
        let now_row = load(tx, id).await?;
        system_line(tx, &now_row, &format!("Reopened by {}", caller.name)).await?;
        let after = conv_updated(tx, &conv, Change::Reopened, Some(&caller.id)).await?;
        return Ok(after.summary(tx.now));
    }
    let after = reopen_by_rule(tx, &conv, Some(&caller.id)).await?;
    Ok(after.summary(tx.now))
}

/// Records that an agent chose (or confirmed) the conversation's category.
async fn set_agent_categorized(tx: &mut Tx, id: &str) -> AppResult<()> {
    sqlx::query(
        "UPDATE conversations SET category_source = 'agent', category_confidence = NULL WHERE id = $1",
    )
    .bind(id)
    .execute(&mut tx.conn)
    .await?;
    Ok(())
}

/// Changes a conversation's category (anyone who sees it, while it is open).
pub async fn recategorize(
    tx: &mut Tx,
    caller: &Caller,
    id: &str,
    category_id: &str,
) -> AppResult<ConversationSummary> {
    let conv = load_visible(tx, caller, id).await?;
    let cat = rows::category(&mut tx.conn, category_id)
        .await?
        .ok_or_else(|| {
            AppError::invalid("unknown_category", format!("no category `{category_id}`"))
        })?;
    if conv.category_id.as_deref() == Some(category_id) {
        // Setting the category it has confirms it (a label for the classifier).
        set_agent_categorized(tx, id).await?;
        return Ok(load(tx, id).await?.summary(tx.now));
    }
    set_agent_categorized(tx, id).await?;
    sqlx::query("UPDATE conversations SET category_id = $1, updated_at = $2 WHERE id = $3")
        .bind(category_id)
        .bind(tx.now.timestamp_millis())
        .bind(id)
        .execute(&mut tx.conn)
        .await?;
    let now_row = load(tx, id).await?;
    system_line(
        tx,
        &now_row,
        &format!("Category set to {} by {}", cat.category.name, caller.name),
    )
    .await?;
    let after = conv_updated(tx, &conv, Change::Recategorized, Some(&caller.id)).await?;
    if after.state == ConversationState::Queued {
        route_one(tx, &after).await?;
    }
    Ok(load(tx, id).await?.summary(tx.now))
}

async fn agent_event(tx: &mut Tx, id: &str) -> AppResult<Agent> {
    let agent = rows::agent_view(&mut tx.conn, id)
        .await?
        .ok_or(AppError::NotFound("agent"))?;
    append_event(
        tx,
        EventPayload::AgentUpdated(AgentUpdated {
            agent: agent.clone(),
        }),
        None,
        Visibility::Everyone,
    )
    .await?;
    Ok(agent)
}

/// Sets an agent's presence; becoming available drains the queue to them.
pub async fn set_status(tx: &mut Tx, agent_id: &str, status: AgentStatus) -> AppResult<Agent> {
    let done = sqlx::query("UPDATE agents SET status = $1 WHERE id = $2")
        .bind(status.as_str())
        .bind(agent_id)
        .execute(&mut tx.conn)
        .await?
        .rows_affected();
    if done == 0 {
        return Err(AppError::NotFound("agent"));
    }
    agent_event(tx, agent_id).await?;
    if status == AgentStatus::Available {
        drain(tx).await?;
    }
    rows::agent_view(&mut tx.conn, agent_id)
        .await?
        .ok_or(AppError::NotFound("agent"))
}

async fn check_categories(tx: &mut Tx, ids: &[String]) -> AppResult<()> {
    for id in ids {
        if rows::category(&mut tx.conn, id).await?.is_none() {
            return Err(AppError::invalid(
                "unknown_category",
                format!("no category `{id}`"),
            ));
        }
    }
    Ok(())
}

async fn set_skills(tx: &mut Tx, agent_id: &str, categories: &[String]) -> AppResult<()> {
    check_categories(tx, categories).await?;
    sqlx::query("DELETE FROM agent_categories WHERE agent_id = $1")
        .bind(agent_id)
        .execute(&mut tx.conn)
        .await?;
    let mut seen = std::collections::BTreeSet::new();
    for c in categories {
        if seen.insert(c) {
            sqlx::query("INSERT INTO agent_categories (agent_id, category_id) VALUES ($1, $2)")
                .bind(agent_id)
                .bind(c)
                .execute(&mut tx.conn)
                .await?;
        }
    }
    Ok(())
}

/// A new account, already validated, with its password hash.
#[derive(Debug, Clone)]
pub struct AgentInsert {
    /// Name.
    pub name: String,
    /// Lower-cased email.
    pub email: String,
    /// argon2 PHC string.
    pub password_hash: String,
    /// Role.
    pub role: Role,
    /// Skills.
    pub categories: Vec<String>,
    /// Capacity.
    pub capacity: u32,
    /// Initial status.
    pub status: AgentStatus,
}

/// Creates an account.
pub async fn create_agent(tx: &mut Tx, a: AgentInsert) -> AppResult<Agent> {
    if rows::agent_by_email(&mut tx.conn, &a.email)
        .await?
        .is_some()
    {
        return Err(AppError::conflict(
            "email_taken",
            format!("an account with {} exists", a.email),
        ));
    }
    let id = new_id();
    sqlx::query(
        "INSERT INTO agents (id, name, email, password_hash, role, status, capacity, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&id)
    .bind(&a.name)
    .bind(&a.email)
    .bind(&a.password_hash)
    .bind(a.role.as_str())
    .bind(a.status.as_str())
    .bind(i64::from(a.capacity))
    .bind(tx.now.timestamp_millis())
    .execute(&mut tx.conn)
    .await?;
    set_skills(tx, &id, &a.categories).await?;
    let agent = agent_event(tx, &id).await?;
    if a.status == AgentStatus::Available {
        drain(tx).await?;
    }
    Ok(agent)
}

/// Applies an admin's changes to an account (`password_hash` already hashed).
pub async fn patch_agent(
    tx: &mut Tx,
    id: &str,
    patch: &AgentPatch,
    password_hash: Option<String>,
) -> AppResult<Agent> {
    let current = rows::agent(&mut tx.conn, id)
        .await?
        .ok_or(AppError::NotFound("agent"))?;
    let name = patch.name.clone().unwrap_or(current.name);
    let role = patch.role.unwrap_or(current.role);
    let status = patch.status.unwrap_or(current.status);
    let capacity = patch.capacity.unwrap_or(current.capacity);
    let hash = password_hash.clone().unwrap_or(current.password_hash);
    sqlx::query("UPDATE agents SET name = $1, role = $2, status = $3, capacity = $4, password_hash = $5 WHERE id = $6")
        .bind(&name)
        .bind(role.as_str())
        .bind(status.as_str())
        .bind(i64::from(capacity))
        .bind(&hash)
        .bind(id)
        .execute(&mut tx.conn)
        .await?;
    if let Some(cats) = &patch.categories {
        set_skills(tx, id, cats).await?;
    }
    if password_hash.is_some() {
        sqlx::query("UPDATE tokens SET revoked_at = $1 WHERE agent_id = $2 AND revoked_at IS NULL")
            .bind(tx.now.timestamp_millis())
            .bind(id)
            .execute(&mut tx.conn)
            .await?;
    }
    agent_event(tx, id).await?;
    drain(tx).await?;
    rows::agent_view(&mut tx.conn, id)
        .await?
        .ok_or(AppError::NotFound("agent"))
}

fn slug(name: &str) -> String {
    let mut s = String::new();
    for ch in name.trim().to_lowercase().chars() {
        if ch.is_ascii_alphanumeric() {
            s.push(ch);
        } else if !s.ends_with('-') && !s.is_empty() {
            s.push('-');
        }
    }
    let s = s.trim_end_matches('-').to_owned();
    if s.is_empty() {
        new_id()
    } else {
        s
    }
}

fn check_rules(id: &str, keywords: &[String]) -> AppResult<()> {
    Categorizer::new(vec![(id.to_owned(), keywords.to_vec())])
        .map(|_| ())
        .map_err(|e| AppError::invalid("invalid_rule", e.to_string()))
}

async fn category_event(tx: &mut Tx, id: &str) -> AppResult<Category> {
    let cat = rows::category(&mut tx.conn, id)
        .await?
        .ok_or(AppError::NotFound("category"))?
        .category;
    append_event(
        tx,
        EventPayload::CategoryUpdated(CategoryUpdated {
            category: cat.clone(),
        }),
        None,
        Visibility::Everyone,
    )
    .await?;
    Ok(cat)
}

/// Creates a category.
pub async fn create_category(tx: &mut Tx, c: &NewCategory) -> AppResult<Category> {
    let name = c.name.trim();
    if name.is_empty() || name.len() > 100 {
        return Err(AppError::invalid(
            "invalid_name",
            "a category needs a name of 1 to 100 characters",
        ));
    }
    let id = match &c.id {
        Some(id)
            if !id.is_empty()
                && id.len() <= 64
                && id
                    .chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_') =>
        {
            id.clone()
        }
        Some(_) => {
            return Err(AppError::invalid(
                "invalid_id",
                "a category id is 1 to 64 letters, digits, '-' or '_'",
            ))
        }
        None => slug(name),
    };
    let threshold = c.wait_threshold_secs.unwrap_or(DEFAULT_WAIT_THRESHOLD_SECS);
    check_threshold(threshold)?;
    check_rules(&id, &c.keywords)?;
    if rows::category(&mut tx.conn, &id).await?.is_some() {
        return Err(AppError::conflict(
            "category_exists",
            format!("a category `{id}` exists"),
        ));
    }
    let position: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(position), 0) + 1 FROM categories")
        .fetch_one(&mut tx.conn)
        .await?;
    sqlx::query(
        "INSERT INTO categories (id, name, routing, wait_threshold_secs, keywords, position, rr_cursor, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, NULL, $7)",
    )
    .bind(&id)
    .bind(name)
    .bind(c.routing.unwrap_or(RoutingMode::Manual).as_str())
    .bind(threshold as i64)
    .bind(serde_json::to_string(&c.keywords)?)
    .bind(position)
    .bind(tx.now.timestamp_millis())
    .execute(&mut tx.conn)
    .await?;
    category_event(tx, &id).await
}

fn check_threshold(t: u64) -> AppResult<()> {
    if t == 0 || t > 30 * 24 * 3600 {
        return Err(AppError::invalid(
            "invalid_threshold",
            "wait_threshold_secs must be between 1 and 2592000 (30 days)",
        ));
    }
    Ok(())
}

/// Changes a category.
pub async fn patch_category(tx: &mut Tx, id: &str, p: &CategoryPatch) -> AppResult<Category> {
    let cur = rows::category(&mut tx.conn, id)
        .await?
        .ok_or(AppError::NotFound("category"))?
        .category;
    let name = p.name.clone().unwrap_or(cur.name);
    if name.trim().is_empty() || name.len() > 100 {
        return Err(AppError::invalid(
            "invalid_name",
            "a category needs a name of 1 to 100 characters",
        ));
    }
    let threshold = p.wait_threshold_secs.unwrap_or(cur.wait_threshold_secs);
    check_threshold(threshold)?;
    let keywords = p.keywords.clone().unwrap_or(cur.keywords);
    check_rules(id, &keywords)?;
    let routing = p.routing.unwrap_or(cur.routing);
    sqlx::query("UPDATE categories SET name = $1, routing = $2, wait_threshold_secs = $3, keywords = $4 WHERE id = $5")
        .bind(name.trim())
        .bind(routing.as_str())
        .bind(threshold as i64)
        .bind(serde_json::to_string(&keywords)?)
        .bind(id)
        .execute(&mut tx.conn)
        .await?;
    let cat = category_event(tx, id).await?;
    drain(tx).await?;
    Ok(cat)
}

/// Stores a new token hash for an agent.
pub async fn create_token(
    tx: &mut Tx,
    agent_id: &str,
    hash: &str,
    ttl: chrono::Duration,
) -> AppResult<()> {
    let now = tx.now;
    sqlx::query("INSERT INTO tokens (hash, agent_id, created_at, expires_at, revoked_at) VALUES ($1, $2, $3, $4, NULL)")
        .bind(hash)
        .bind(agent_id)
        .bind(now.timestamp_millis())
        .bind((now + ttl).timestamp_millis())
        .execute(&mut tx.conn)
        .await?;
    Ok(())
}

/// Revokes one token. On PostgreSQL the other instances hear of it when
/// this commits (`NOTIFY switchboard_tokens`), to forget the session.
pub async fn revoke_token(tx: &mut Tx, hash: &str) -> AppResult<()> {
    sqlx::query("UPDATE tokens SET revoked_at = $1 WHERE hash = $2 AND revoked_at IS NULL")
        .bind(tx.now.timestamp_millis())
        .bind(hash)
        .execute(&mut tx.conn)
        .await?;
    if tx.backend == crate::store::Backend::Postgres {
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(crate::store::TOKENS_CHANNEL)
            .bind(hash)
            .execute(&mut tx.conn)
            .await?;
    }
    Ok(())
}

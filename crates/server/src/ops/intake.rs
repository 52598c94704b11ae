//! Intake: conversations created from any channel, and further customer
//! messages. [`create_with_transcript`] is the one constructor (a bot
//! hand-off brings a transcript); [`create_conversation`] is its simple case.

use super::*;
use crate::store::customers::{self, Arriving};
use crate::store::db::{self};
use switchboard_core::customers::UNNAMED_VISITOR;

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
/// routes it (round-robin) or queues it: [`create_with_transcript`] with a
/// transcript of one customer line, said now.
pub async fn create_conversation(
    tx: &mut Tx,
    input: Ingest,
    categorizer: &Categorizer,
) -> AppResult<Conversation> {
    let line = TranscriptLine {
        id: None,
        kind: MessageKind::Customer,
        author: String::new(),
        body: input.body,
        at: tx.now,
    };
    let input = Transcribed {
        id: None,
        channel: input.channel,
        customer: input.customer,
        subject: input.subject,
        transcript: vec![line],
        category_id: input.category_id,
        handed_off: None,
    };
    create_with_transcript(tx, input, categorizer).await
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
/// (round-robin) or queues it. Every channel's conversations start here:
/// [`create_conversation`] is the case of one customer line. The category
/// is the sender's choice (checked), else decided from the subject and the
/// customer's lines (keyword rules, then the learned classifier), and its
/// source and confidence are kept. A bot hand-off enters the queue now and
/// records `handed_off_at`, so its first response time is counted from the
/// hand-off.
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
    let Some(first_customer) = customer_lines.first() else {
        return Err(AppError::invalid(
            "empty_transcript",
            "the transcript needs at least one customer message",
        ));
    };
    let now = tx.now.timestamp_millis();
    let first_customer_at = first_customer.at.timestamp_millis().min(now);
    let preview = preview_of(customer_lines.last().map_or("", |l| l.body.as_str()));
    // The text rules read and the classifier is trained on: subject and
    // the customer's words.
    let mut text = input.subject.clone();
    for l in &customer_lines {
        text.push('\n');
        text.push_str(&l.body);
    }
    let auto_tags = super::tags::existing(tx, categorizer.auto_tags(&text)).await?;
    let (category_id, source, confidence) = match input.category_id {
        Some(id) => (id, CategorySource::Explicit, None),
        None => {
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
    let category = rows::category(&mut *tx, &category_id).await?;
    if category.is_none() && source == CategorySource::Explicit {
        return Err(AppError::invalid(
            "unknown_category",
            format!("no category `{category_id}`"),
        ));
    }
    let id = input.id.clone().unwrap_or_else(new_id);
    let handed_off_at = input.handed_off.as_ref().map(|_| now);
    // The customer's profile (core's rules).
    let landed = customers::land(
        &mut *tx,
        Arriving {
            name: input
                .customer
                .name
                .as_deref()
                .filter(|n| *n != UNNAMED_VISITOR),
            email: input.customer.email.as_deref(),
            phone: input.customer.phone.as_deref(),
            // A widget chat keeps its session's id, which is its visitor's.
            visitor: input.id.as_deref(),
        },
        now,
    )
    .await?;
    let mut customer = input.customer;
    if customer.name.is_none() {
        // An SMS from a number on a named profile shows that name.
        customer.name = landed.name.clone();
    }
    db::query(
        "INSERT INTO conversations (id, channel, customer_name, customer_email, customer_phone, subject, category_id, state, \
         assignee_id, created_at, updated_at, queued_at, unanswered_since, first_customer_at, first_response_at, \
         first_response_agent_id, preview, category_source, category_confidence, handed_off_at, customer_id, tags) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'queued', NULL, $8, $8, $8, $8, $9, NULL, NULL, $10, $11, $12, $13, $14, $15)",
    )
    .bind(&id)
    .bind(input.channel.as_str())
    .bind(&customer.name)
    .bind(&customer.email)
    .bind(&customer.phone)
    .bind(&input.subject)
    .bind(&category_id)
    .bind(now)
    .bind(first_customer_at)
    .bind(&preview)
    .bind(source.as_str())
    .bind(confidence)
    .bind(handed_off_at)
    .bind(&landed.customer_id)
    .bind(serde_json::to_string(auto_tags.ids())?)
    .execute(&mut *tx)
    .await?;
    super::tags::record_auto(tx, &id, &auto_tags).await?;
    if landed.changed {
        super::customers::announce(tx, &landed.customer_id, None).await?;
    }
    let backend = tx.backend;
    crate::store::search::index_conversation(tx, backend, &id, &input.subject, &customer, now)
        .await?;
    // Exactly the row just inserted, as `rows::conversation` would read it
    // (the API suite compares what a create returns with a read).
    let threshold = category.as_ref().map_or(DEFAULT_WAIT_THRESHOLD_SECS, |c| {
        c.category.wait_threshold_secs
    });
    let conv = ConvRow {
        id: id.clone(),
        channel: input.channel,
        customer: customer.clone(),
        subject: input.subject.clone(),
        category_id: Some(category_id),
        state: ConversationState::Queued,
        assignee_id: None,
        created_at: now,
        updated_at: now,
        queued_at: now,
        unanswered_since: Some(now),
        first_customer_at,
        first_response_at: None,
        first_response_agent_id: None,
        preview,
        category_source: Some(source),
        category_confidence: confidence,
        customer_id: Some(landed.customer_id.clone()),
        tags: auto_tags.into_ids(),
        snoozed_until: None,
        merged_into: None,
        threshold_secs: threshold.max(1),
    };
    // Debug builds (every test) check the claim above on each create.
    #[cfg(debug_assertions)]
    {
        let stored = load(tx, &id).await?;
        debug_assert_eq!(format!("{conv:?}"), format!("{stored:?}"));
    }
    let customer_name = customer.display_name();
    let mut messages = Vec::with_capacity(input.transcript.len() + 1);
    for (n, line) in input.transcript.iter().enumerate() {
        let author = match line.kind {
            MessageKind::Customer => customer_name.as_str(),
            _ => line.author.as_str(),
        };
        // Times are kept in ms, as a read gives them back.
        let at = line.at.timestamp_millis().min(now);
        let new = NewMsg {
            kind: line.kind,
            author,
            author_id: None,
            body: &line.body,
            client_id: None,
            id: line.id.as_deref(),
            at: (line.at != tx.now).then_some(at),
        };
        if n == 0 {
            // The first line is stored before the conversation's event and
            // announced after it: followers learn of the conversation first.
            let first = insert_message(tx, &conv, new, false).await?;
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
            messages.push(first);
        } else {
            messages.push(insert_message(tx, &conv, new, true).await?);
        }
    }
    if let Some(reason) = &input.handed_off {
        messages.push(system_line(tx, &conv, &format!("Handed off by the bot: {reason}")).await?);
    }
    if route_one_in(tx, &conv, category).await?.is_none() {
        // Still queued, exactly as inserted: no need to read it back.
        return Ok(Conversation {
            summary: conv.summary(tx.now),
            messages,
        });
    }
    let conv = load(tx, &id).await?;
    let messages = rows::messages(&mut *tx, &id).await?;
    Ok(Conversation {
        summary: conv.summary(tx.now),
        messages,
    })
}

/// Who really sent a message that joined a conversation from outside but
/// not from its customer (mail from another address that threaded in).
#[derive(Debug, Clone)]
pub struct OtherSender {
    /// Shown as the message's author: name and address, e.g.
    /// `Olga Other <olga@example.com>`.
    pub author: String,
    /// The address it came from, when it named one.
    pub address: Option<String>,
}

/// A further customer message on an existing conversation (any channel).
/// On a resolved conversation it reopens it: back to its last agent if that
/// agent is available with room, else to the queue (and round-robin).
pub async fn customer_message(
    tx: &mut Tx,
    conversation_id: &str,
    body: &str,
) -> AppResult<Message> {
    customer_message_from(tx, conversation_id, body, None).await
}

/// [`customer_message`], sent by `other` rather than the conversation's
/// customer when given: the message is theirs (author, `from_other_address`)
/// and counts as the customer side's all the same (it waits for an answer,
/// reopens a resolved conversation); the customer stays who replies go to.
pub async fn customer_message_from(
    tx: &mut Tx,
    conversation_id: &str,
    body: &str,
    other: Option<&OtherSender>,
) -> AppResult<Message> {
    customer_message_previewed(tx, conversation_id, body, other, &preview_of(body)).await
}

/// [`customer_message`] with files to come: the conversation's preview
/// names them when the message has no text.
pub async fn customer_message_with_files(
    tx: &mut Tx,
    conversation_id: &str,
    body: &str,
    files: &[switchboard_api::AttachmentInfo],
) -> AppResult<Message> {
    let preview = preview_with_files(body, files);
    customer_message_previewed(tx, conversation_id, body, None, &preview).await
}

async fn customer_message_previewed(
    tx: &mut Tx,
    conversation_id: &str,
    body: &str,
    other: Option<&OtherSender>,
    preview: &str,
) -> AppResult<Message> {
    // Merged away: the customer's words go where its messages went.
    let conv = super::merge::follow(tx, conversation_id).await?;
    let conversation_id = conv.id.as_str();
    let author = match other {
        Some(o) => o.author.clone(),
        None => conv.customer.display_name(),
    };
    let now = tx.now.timestamp_millis();
    db::query(
        "UPDATE conversations SET unanswered_since = COALESCE(unanswered_since, $1), updated_at = $1, preview = $2 WHERE id = $3",
    )
    .bind(now)
    .bind(preview)
    .bind(conversation_id)
    .execute(&mut *tx)
    .await?;
    let conv_now = load(tx, conversation_id).await?;
    let msg = insert_message_full(
        tx,
        None,
        &conv_now,
        NewMsg {
            kind: MessageKind::Customer,
            author: &author,
            author_id: None,
            body,
            client_id: None,
            id: None,
            at: None,
        },
        other,
        true,
    )
    .await?;
    if conv.state == ConversationState::Resolved {
        reopen_by_rule(tx, &conv_now, None).await?;
    } else if conv.state == ConversationState::Snoozed {
        super::snooze::wake_on_customer(tx, &conv_now).await?;
    } else {
        conv_updated(tx, &conv_now, Change::Touched, None).await?;
    }
    Ok(msg)
}

/// Reopens a resolved conversation: to its last agent if available with room,
/// else to the queue (where round-robin may pick it up).
pub(super) async fn reopen_by_rule(
    tx: &mut Tx,
    conv: &ConvRow,
    by: Option<&str>,
) -> AppResult<ConvRow> {
    let last = match conv.assignee_id.as_deref() {
        Some(id) => rows::agent(&mut *tx, id).await?,
        None => None,
    };
    let mut back_to_last = false;
    if let Some(agent) = &last {
        let open = rows::open_count(&mut *tx, &agent.id).await?;
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

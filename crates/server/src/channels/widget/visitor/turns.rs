//! One turn of the conversation: checking what the visitor sent, storing a
//! line, the built-in bot's answer, and the hand-off to the team.

use super::*;
use crate::store::db::{self};

pub(super) fn check_body(body: &str) -> AppResult<String> {
    check_body_with_files(body, false)
}

/// The message's text, trimmed; empty is taken only when files come with it.
pub(super) fn check_body_with_files(body: &str, files: bool) -> AppResult<String> {
    let body = body.trim();
    if body.is_empty() && !files {
        return Err(AppError::invalid("empty_body", "the message is empty"));
    }
    if body.len() > MAX_VISITOR_MESSAGE {
        return Err(AppError::invalid(
            "body_too_long",
            format!("messages are limited to {MAX_VISITOR_MESSAGE} bytes"),
        ));
    }
    Ok(body.to_owned())
}

pub(super) fn check_client_id(id: &Option<String>) -> AppResult<()> {
    match id {
        Some(c) if c.is_empty() || c.len() > 128 => Err(AppError::invalid(
            "invalid_client_id",
            "client_id must be 1 to 128 characters",
        )),
        _ => Ok(()),
    }
}

pub(super) async fn add_line(
    tx: &mut Tx,
    session_id: &str,
    kind: MessageKind,
    author: &str,
    body: &str,
) -> AppResult<String> {
    let id = new_id();
    let pos: i64 = db::query(
        "SELECT CAST(COALESCE(MAX(pos), 0) + 1 AS BIGINT) FROM widget_transcript WHERE session_id = $1",
    )
    .bind(session_id)
    .fetch_scalar(&mut *tx)
    .await?;
    db::query(
        "INSERT INTO widget_transcript (id, session_id, pos, kind, author, body, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&id)
    .bind(session_id)
    .bind(pos)
    .bind(kind.as_str())
    .bind(author)
    .bind(body)
    .bind(tx.now.timestamp_millis())
    .execute(&mut *tx)
    .await?;
    db::query("UPDATE widget_sessions SET updated_at = $1 WHERE id = $2")
        .bind(tx.now.timestamp_millis())
        .bind(session_id)
        .execute(&mut *tx)
        .await?;
    Ok(id)
}

/// Gives the bot's session to the humans: the conversation (channel `bot`,
/// the session's id) is created with the transcript, and queued or routed.
pub(super) async fn hand_off(
    tx: &mut Tx,
    s: &Session,
    reason: &str,
    categorizer: &Categorizer,
) -> AppResult<()> {
    let rows_ = db::query(
        "SELECT id, kind, author, body, created_at FROM widget_transcript WHERE session_id = $1 ORDER BY pos",
    )
    .bind(&s.id)
    .fetch_all(&mut *tx)
    .await?;
    let mut transcript = Vec::with_capacity(rows_.len());
    for r in &rows_ {
        let kind: String = r.try_get("kind")?;
        transcript.push(TranscriptLine {
            id: Some(r.try_get("id")?),
            kind: MessageKind::parse(&kind)
                .map_err(|e| AppError::Internal(format!("stored transcript: {e}")))?,
            author: r.try_get("author")?,
            body: r.try_get("body")?,
            at: from_ms(r.try_get("created_at")?),
        });
    }
    let subject = transcript
        .iter()
        .find(|l| l.kind == MessageKind::Customer)
        .map(|l| subject_from(&l.body))
        .unwrap_or_else(|| "Chat".into());
    ops::create_with_transcript(
        tx,
        Transcribed {
            id: Some(s.id.clone()),
            channel: Channel::Bot,
            customer: s.customer(),
            subject,
            transcript,
            category_id: None,
            handed_off: Some(reason.to_owned()),
        },
        categorizer,
    )
    .await?;
    db::query("DELETE FROM widget_transcript WHERE session_id = $1")
        .bind(&s.id)
        .execute(&mut *tx)
        .await?;
    db::query("UPDATE widget_sessions SET mode = 'human', updated_at = $1 WHERE id = $2")
        .bind(tx.now.timestamp_millis())
        .bind(&s.id)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

pub(super) fn reason_text(r: HandOffReason, max_unanswered: u32) -> String {
    match r {
        HandOffReason::Requested => "the visitor asked for a person".into(),
        HandOffReason::NoAnswer => {
            format!("no answer found ({max_unanswered} unanswered message(s) in a row)")
        }
    }
}

/// The bot's turn after a visitor line.
pub(super) async fn bot_turn(
    tx: &mut Tx,
    w: &WidgetState,
    s: &Session,
    body: &str,
    answers: &[BotAnswer],
    categorizer: &Categorizer,
) -> AppResult<()> {
    let name = w.bot.name.as_str();
    match decide(&w.bot.settings, answers, body, s.unanswered) {
        BotTurn::Answer { answer_id, .. } => {
            let text = answers
                .iter()
                .find(|a| a.id == answer_id)
                .map(|a| a.answer.clone())
                .unwrap_or_default();
            add_line(tx, &s.id, MessageKind::Bot, name, &text).await?;
            set_unanswered(tx, &s.id, 0).await
        }
        BotTurn::Rephrase { unanswered } => {
            add_line(tx, &s.id, MessageKind::Bot, name, REPHRASE).await?;
            set_unanswered(tx, &s.id, unanswered).await
        }
        BotTurn::HandOff(reason) => {
            add_line(tx, &s.id, MessageKind::Bot, name, HANDING_OFF).await?;
            hand_off(
                tx,
                s,
                &reason_text(reason, w.bot.settings.max_unanswered),
                categorizer,
            )
            .await
        }
    }
}

pub(super) async fn set_unanswered(tx: &mut Tx, id: &str, n: u32) -> AppResult<()> {
    db::query("UPDATE widget_sessions SET unanswered = $1 WHERE id = $2")
        .bind(i64::from(n))
        .bind(id)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

pub(super) async fn remember_client_id(
    tx: &mut Tx,
    session_id: &str,
    client_id: Option<&str>,
    message_id: &str,
) -> AppResult<()> {
    if let Some(c) = client_id {
        db::query(
            "INSERT INTO widget_client_ids (session_id, client_id, message_id) VALUES ($1, $2, $3)",
        )
        .bind(session_id)
        .bind(c)
        .bind(message_id)
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

pub(super) async fn bot_answers(st: &AppState, w: &WidgetState) -> AppResult<Vec<BotAnswer>> {
    if !w.bot.enabled {
        return Ok(Vec::new());
    }
    let mut conn = st.store.reader().acquire().await?;
    crate::channels::bot::answers::for_matching(&mut conn).await
}

pub(super) fn clean_opt(
    v: Option<String>,
    max: usize,
    what: &'static str,
) -> AppResult<Option<String>> {
    match v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()) {
        Some(s) if s.len() > max => Err(AppError::invalid(
            "too_long",
            format!("`{what}` is longer than {max} bytes"),
        )),
        other => Ok(other),
    }
}

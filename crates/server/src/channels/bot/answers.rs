//! The built-in bot's questions and answers: `GET/POST /api/v1/bot/answers`,
//! `PATCH/DELETE /api/v1/bot/answers/{id}` (admins only; agents get 403).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use switchboard_core::bot::BotAnswer;

use crate::app::{ApiJson, ApiPath, AppState, Auth};
use crate::clock::from_ms;
use crate::error::{AppError, AppResult};
use crate::store::db::{self, Db, Row};
use crate::store::new_id;
use crate::store::op;

/// Most phrasings per answer.
pub const MAX_QUESTIONS: usize = 50;

/// A configured answer as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BotAnswerView {
    /// Id.
    pub id: String,
    /// The ways visitors ask it (at least one).
    pub questions: Vec<String>,
    /// What the bot replies.
    pub answer: String,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// `POST /api/v1/bot/answers`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewBotAnswer {
    /// Phrasings (1 to 50, each up to 500 bytes).
    pub questions: Vec<String>,
    /// The answer (up to 10000 bytes).
    pub answer: String,
}

/// `PATCH /api/v1/bot/answers/{id}`: the fields given replace the stored ones.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BotAnswerPatch {
    /// New phrasings.
    #[serde(default)]
    pub questions: Option<Vec<String>>,
    /// New answer.
    #[serde(default)]
    pub answer: Option<String>,
}

fn clean_questions(qs: &[String]) -> AppResult<Vec<String>> {
    let qs: Vec<String> = qs
        .iter()
        .map(|q| q.trim().to_owned())
        .filter(|q| !q.is_empty())
        .collect();
    if qs.is_empty() || qs.len() > MAX_QUESTIONS {
        return Err(AppError::invalid(
            "invalid_questions",
            format!("give 1 to {MAX_QUESTIONS} non-empty question phrasings"),
        ));
    }
    if qs.iter().any(|q| q.len() > 500) {
        return Err(AppError::invalid(
            "too_long",
            "a question phrasing is at most 500 bytes",
        ));
    }
    if qs
        .iter()
        .all(|q| switchboard_core::bot::words(q).is_empty())
    {
        return Err(AppError::invalid(
            "invalid_questions",
            "the phrasings have no words to match (only filler words like `the`, `how`)",
        ));
    }
    Ok(qs)
}

fn clean_answer(a: &str) -> AppResult<String> {
    let a = a.trim();
    if a.is_empty() || a.len() > 10_000 {
        return Err(AppError::invalid(
            "invalid_answer",
            "the answer needs 1 to 10000 bytes of text",
        ));
    }
    Ok(a.to_owned())
}

fn view_of(r: &Row) -> AppResult<BotAnswerView> {
    let questions: String = r.try_get("questions")?;
    Ok(BotAnswerView {
        id: r.try_get("id")?,
        questions: serde_json::from_str(&questions)?,
        answer: r.try_get("answer")?,
        created_at: from_ms(r.try_get("created_at")?),
        updated_at: from_ms(r.try_get("updated_at")?),
    })
}

/// Every configured answer, oldest first.
pub async fn all(conn: &mut impl Db) -> AppResult<Vec<BotAnswerView>> {
    let rows = db::query(
        "SELECT id, questions, answer, created_at, updated_at FROM bot_answers ORDER BY created_at, id",
    )
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(view_of).collect()
}

/// The answers in the form the matching rules take.
pub async fn for_matching(conn: &mut impl Db) -> AppResult<Vec<BotAnswer>> {
    Ok(all(conn)
        .await?
        .into_iter()
        .map(|v| BotAnswer {
            id: v.id,
            questions: v.questions,
            answer: v.answer,
        })
        .collect())
}

async fn one(conn: &mut impl Db, id: &str) -> AppResult<BotAnswerView> {
    let r = db::query(
        "SELECT id, questions, answer, created_at, updated_at FROM bot_answers WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(AppError::NotFound("bot answer"))?;
    view_of(&r)
}

/// Lists the bot's answers (admins).
#[utoipa::path(get, path = "/api/v1/bot/answers", tag = "bot", security(("bearer" = [])),
    responses((status = 200, body = [BotAnswerView]), (status = 403, body = switchboard_api::ErrorBody)))]
pub async fn list(
    State(st): State<AppState>,
    Auth(caller): Auth,
) -> AppResult<Json<Vec<BotAnswerView>>> {
    caller.require_admin()?;
    let mut conn = st.store.reader().acquire().await?;
    Ok(Json(all(&mut conn).await?))
}

/// Adds an answer (admins).
#[utoipa::path(post, path = "/api/v1/bot/answers", tag = "bot", security(("bearer" = [])), request_body = NewBotAnswer,
    responses((status = 201, body = BotAnswerView), (status = 403, body = switchboard_api::ErrorBody),
              (status = 422, body = switchboard_api::ErrorBody)))]
pub async fn create(
    State(st): State<AppState>,
    Auth(caller): Auth,
    ApiJson(req): ApiJson<NewBotAnswer>,
) -> AppResult<(StatusCode, Json<BotAnswerView>)> {
    caller.require_admin()?;
    let questions = serde_json::to_string(&clean_questions(&req.questions)?)?;
    let answer = clean_answer(&req.answer)?;
    let view = st
        .store
        .write(op(move |tx| {
            Box::pin(async move {
                let id = new_id();
                let now = tx.now.timestamp_millis();
                db::query(
                    "INSERT INTO bot_answers (id, questions, answer, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)",
                )
                .bind(&id)
                .bind(&questions)
                .bind(&answer)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                one(&mut *tx, &id).await
            })
        }))
        .await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// Changes an answer (admins).
#[utoipa::path(patch, path = "/api/v1/bot/answers/{id}", tag = "bot", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = BotAnswerPatch,
    responses((status = 200, body = BotAnswerView), (status = 403, body = switchboard_api::ErrorBody),
              (status = 404, body = switchboard_api::ErrorBody)))]
pub async fn update(
    State(st): State<AppState>,
    Auth(caller): Auth,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<BotAnswerPatch>,
) -> AppResult<Json<BotAnswerView>> {
    caller.require_admin()?;
    let questions = req
        .questions
        .as_deref()
        .map(clean_questions)
        .transpose()?
        .map(|q| serde_json::to_string(&q))
        .transpose()?;
    let answer = req.answer.as_deref().map(clean_answer).transpose()?;
    let view = st
        .store
        .write(op(move |tx| {
            Box::pin(async move {
                let cur = one(&mut *tx, &id).await?;
                let questions = match questions {
                    Some(q) => q,
                    None => serde_json::to_string(&cur.questions)?,
                };
                db::query(
                    "UPDATE bot_answers SET questions = $1, answer = $2, updated_at = $3 WHERE id = $4",
                )
                .bind(&questions)
                .bind(answer.unwrap_or(cur.answer))
                .bind(tx.now.timestamp_millis())
                .bind(&id)
                .execute(&mut *tx)
                .await?;
                one(&mut *tx, &id).await
            })
        }))
        .await?;
    Ok(Json(view))
}

/// Removes an answer (admins).
#[utoipa::path(delete, path = "/api/v1/bot/answers/{id}", tag = "bot", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 204), (status = 403, body = switchboard_api::ErrorBody), (status = 404, body = switchboard_api::ErrorBody)))]
pub async fn delete(
    State(st): State<AppState>,
    Auth(caller): Auth,
    ApiPath(id): ApiPath<String>,
) -> AppResult<StatusCode> {
    caller.require_admin()?;
    st.store
        .write(op(move |tx| {
            Box::pin(async move {
                let n = db::query("DELETE FROM bot_answers WHERE id = $1")
                    .bind(&id)
                    .execute(&mut *tx)
                    .await?;
                if n == 0 {
                    return Err(AppError::NotFound("bot answer"));
                }
                Ok(())
            })
        }))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

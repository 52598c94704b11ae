//! `GET /api/v1/search`: conversations found by a word in their subject,
//! their customer's name, email or phone, or any message (notes included:
//! every caller here is an agent or an admin). The index and the query run
//! in `store::search`; the rules (normalisation, query, snippets) are
//! `switchboard_core::search`'s; visibility is the conversation list's.

use std::collections::HashMap;

use axum::extract::State;
use axum::Json;
use switchboard_api::{
    Customer, Highlight, SearchField, SearchOrder, SearchPage, SearchQuery, SearchResult,
};
use switchboard_core::search::query::Query;
use switchboard_core::search::snippet::{self, snippet, Snippet, SNIPPET_CHARS};
use switchboard_core::search::{may_find_notes, Audience, Cursor};

use super::{ApiQuery, AppState, Auth};
use crate::clock::from_ms;
use crate::error::{AppError, AppResult};
use crate::rows::{ConvRow, CONV_COLS, CONV_FROM};
use crate::store::db;
use crate::store::search::{self, Find, Hit, Order};

/// Finds conversations by the words in them, one result per conversation,
/// each with the snippet that matched and its hits as offsets (render the
/// snippet as text; it is never markup). Agents find only what they may see
/// (their categories and what is assigned to them); admins find everything.
#[utoipa::path(get, path = "/api/v1/search", tag = "search", security(("bearer" = [])),
    params(SearchQuery),
    responses((status = 200, body = SearchPage),
              (status = 400, description = "`invalid_query` (blank, over 500 characters or 16 words, or a malformed filter) or `invalid_cursor`", body = switchboard_api::ErrorBody)))]
pub async fn search(
    State(st): State<AppState>,
    Auth(caller): Auth,
    ApiQuery(q): ApiQuery<SearchQuery>,
) -> AppResult<Json<SearchPage>> {
    let query =
        Query::parse(&q.q).map_err(|e| AppError::bad_request("invalid_query", e.to_string()))?;
    let order = match q.order.unwrap_or_default() {
        SearchOrder::Newest => Order::Newest,
        SearchOrder::Relevance => Order::Relevance,
    };
    let cursor = q
        .cursor
        .as_deref()
        .map(Cursor::parse)
        .transpose()
        .map_err(|e| AppError::bad_request("invalid_cursor", e.to_string()))?;
    let fits = matches!(
        (&cursor, order),
        (None, _)
            | (Some(Cursor::After { .. }), Order::Newest)
            | (Some(Cursor::Offset(_)), Order::Relevance)
    );
    if !fits {
        return Err(AppError::bad_request(
            "invalid_cursor",
            "the cursor belongs to a search in the other order",
        ));
    }
    let limit = q.limit.unwrap_or(20).clamp(1, 100) as usize;
    let find = Find {
        query: &query,
        order,
        notes: may_find_notes(Audience::Team),
        viewer: (!caller.is_admin()).then_some(caller.id.as_str()),
        channel: q.channel.map(|c| c.as_str()),
        state: q.state.map(|s| s.as_str()),
        category_id: q.category_id.as_deref(),
        assignee_id: q.assignee_id.as_deref(),
        tag: q.tag.as_deref(),
        from: q.from.map(|t| t.timestamp_millis()),
        to: q.to.map(|t| t.timestamp_millis()),
        cursor: cursor.as_ref(),
        limit: limit as i64 + 1,
    };
    let mut hits = search::find(st.store.reader(), st.store.backend(), &find).await?;
    let more = hits.len() > limit;
    hits.truncate(limit);
    let next_cursor = match (more, hits.last(), &cursor) {
        (false, _, _) | (true, None, _) => None,
        (true, Some(last), _) if order == Order::Newest => Some(Cursor::After {
            pos: last.pos,
            n: last.n,
        }),
        (true, Some(_), c) => {
            let shown = match c {
                Some(Cursor::Offset(n)) => *n,
                _ => 0,
            };
            Some(Cursor::Offset(shown + limit as u64))
        }
    };
    let results = results(&st, &caller, &query, &hits).await?;
    Ok(Json(SearchPage {
        results,
        next_cursor: next_cursor.map(|c| c.encode()),
    }))
}

/// `$1, $2, …` for `n` arguments.
fn placeholders(n: usize) -> String {
    (1..=n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The hits as results: their conversations and messages read back, each
/// checked once more against the caller's visibility, with snippets.
async fn results(
    st: &AppState,
    caller: &crate::caller::Caller,
    query: &Query,
    hits: &[Hit],
) -> AppResult<Vec<SearchResult>> {
    if hits.is_empty() {
        return Ok(Vec::new());
    }
    let mut conn = st.store.reader().acquire().await?;
    let sql = format!(
        "SELECT {CONV_COLS} FROM {CONV_FROM} WHERE c.id IN ({})",
        placeholders(hits.len())
    );
    let mut read = db::query(&sql);
    for h in hits {
        read = read.bind(&h.conversation_id);
    }
    let mut convs = HashMap::new();
    for r in read.fetch_all(&mut *conn).await? {
        let c = ConvRow::from_row(&r)?;
        convs.insert(c.id.clone(), c);
    }
    let message_ids: Vec<&str> = hits
        .iter()
        .filter(|h| h.kind != "conversation")
        .map(|h| h.doc_id.as_str())
        .collect();
    let mut bodies: HashMap<String, String> = HashMap::new();
    if !message_ids.is_empty() {
        let sql = format!(
            "SELECT id, body FROM messages WHERE id IN ({})",
            placeholders(message_ids.len())
        );
        let mut read = db::query(&sql);
        for id in &message_ids {
            read = read.bind(*id);
        }
        for r in read.fetch_all(&mut *conn).await? {
            bodies.insert(r.try_get("id")?, r.try_get("body")?);
        }
    }
    let viewer = caller.viewer();
    let mut out = Vec::with_capacity(hits.len());
    for h in hits {
        // The store applied the same rule; core has the last word.
        let Some(conv) = convs.get(&h.conversation_id) else {
            continue;
        };
        if !viewer.can_view(conv.scope()) {
            continue;
        }
        let (matched, message_id, snip) = if h.kind == "conversation" {
            let (field, s) = best_field(&conv.subject, &conv.customer, query);
            (field, None, s)
        } else {
            let Some(body) = bodies.get(&h.doc_id) else {
                continue;
            };
            let field = if h.kind == "note" {
                SearchField::Note
            } else {
                SearchField::Message
            };
            (
                field,
                Some(h.doc_id.clone()),
                snippet(body, query, SNIPPET_CHARS),
            )
        };
        out.push(SearchResult {
            conversation_id: conv.id.clone(),
            subject: conv.subject.clone(),
            channel: conv.channel,
            state: conv.state,
            category_id: conv.category_id.clone(),
            assignee_id: conv.assignee_id.clone(),
            customer: conv.customer.clone(),
            matched,
            message_id,
            highlights: Highlight::all_of(&snip),
            snippet: snip.text,
            at: from_ms(h.at),
        });
    }
    Ok(out)
}

/// Of a conversation's own fields, the one that best matched (core's rule).
fn best_field(subject: &str, customer: &Customer, query: &Query) -> (SearchField, Snippet) {
    let (field, snip) = snippet::best_field(
        subject,
        customer.name.as_deref(),
        customer.email.as_deref(),
        customer.phone.as_deref(),
        query,
    );
    (field.into(), snip)
}

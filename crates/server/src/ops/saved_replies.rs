//! Saved replies: create, change, delete (each logged as an event so the
//! desktops' caches follow), the caller's list, filling one in for a
//! conversation (recorded as a use) and the usage figures of the metrics.
//!
//! The rules are `switchboard_core::saved_replies`: which variables a body
//! may hold, how a missing value shows, who sees and manages what. Here they
//! are applied inside one transaction.
//!
//! Visibility of the events: a team reply's reach every agent; a personal
//! reply's only its owner ([`Visibility::Agent`]), admins included, like the
//! reply itself.

use switchboard_api::events::{SavedReplyDeleted, SavedReplyUpdated};
use switchboard_api::{
    AttachmentInfo, FilledReply, NewSavedReply, SavedReply, SavedReplyPatch, SavedReplyUsage,
};
use switchboard_core::saved_replies::{
    self as rules, clean_attachments, clean_body, clean_title, cmp_usage, ReplyError, Usage, Values,
};
use switchboard_core::ReplyScope;

use super::*;
use crate::store::db::{Db, Row};

/// Columns of a saved reply row.
const COLS: &str =
    "id, scope, owner_id, title, body, category_id, attachments, created_at, updated_at";

fn refused(e: ReplyError) -> AppError {
    AppError::invalid(e.code(), e.to_string())
}

fn reply_of(r: &Row) -> AppResult<SavedReply> {
    let scope: String = r.try_get("scope")?;
    let attachments: String = r.try_get("attachments")?;
    Ok(SavedReply {
        id: r.try_get("id")?,
        title: r.try_get("title")?,
        body: r.try_get("body")?,
        scope: ReplyScope::parse(&scope)
            .map_err(|e| AppError::Internal(format!("stored saved reply scope: {e}")))?,
        owner_id: r.try_get("owner_id")?,
        category_id: r.try_get("category_id")?,
        attachments: serde_json::from_str(&attachments)?,
        files: Vec::new(),
        created_at: from_ms(r.try_get("created_at")?),
        updated_at: from_ms(r.try_get("updated_at")?),
    })
}

/// Sets `files` on each reply: the uploads it holds, in the order of its
/// `attachments`.
async fn with_files(conn: &mut impl Db, replies: &mut [SavedReply]) -> AppResult<()> {
    let ids: Vec<&str> = replies
        .iter()
        .filter(|r| !r.attachments.is_empty())
        .map(|r| r.id.as_str())
        .collect();
    let mut held: HashMap<(String, String), AttachmentInfo> =
        crate::store::files::held_infos(&mut *conn, &ids)
            .await?
            .into_iter()
            .map(|(reply, info)| ((reply, info.id.clone()), info))
            .collect();
    for r in replies.iter_mut() {
        r.files = r
            .attachments
            .iter()
            .filter_map(|a| held.remove(&(r.id.clone(), a.clone())))
            .collect();
    }
    Ok(())
}

/// One saved reply, whoever owns it.
async fn find(conn: &mut impl Db, id: &str) -> AppResult<Option<SavedReply>> {
    let sql = format!("SELECT {COLS} FROM saved_replies WHERE id = $1");
    let found = db::query(&sql)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .as_ref()
        .map(reply_of)
        .transpose()?;
    let mut found: Vec<SavedReply> = found.into_iter().collect();
    with_files(&mut *conn, &mut found).await?;
    Ok(found.pop())
}

/// One saved reply the caller may see (404 otherwise: another agent's
/// personal reply does not exist for them).
pub async fn visible(conn: &mut impl Db, caller: &Caller, id: &str) -> AppResult<SavedReply> {
    match find(conn, id).await? {
        Some(r) if rules::can_see(&caller.viewer(), r.scope, r.owner_id.as_deref()) => Ok(r),
        _ => Err(AppError::NotFound("saved reply")),
    }
}

/// One the caller may change: 404 when they cannot see it, 403 when they
/// see it but may not change it (a team reply, for an agent).
async fn manageable(tx: &mut Tx, caller: &Caller, id: &str) -> AppResult<SavedReply> {
    let r = visible(&mut *tx, caller, id).await?;
    if !rules::can_manage(&caller.viewer(), r.scope, r.owner_id.as_deref()) {
        return Err(AppError::forbidden(
            "admin_only",
            "only admins may change or delete team replies",
        ));
    }
    Ok(r)
}

/// The caller's list: every team reply and their own personal ones, by
/// title; with `category_id`, only those offered in that category (no
/// category scope, or that one).
pub async fn list(
    conn: &mut impl Db,
    caller: &Caller,
    category_id: Option<&str>,
) -> AppResult<Vec<SavedReply>> {
    let offered = if category_id.is_some() {
        " AND (category_id IS NULL OR category_id = $2)"
    } else {
        ""
    };
    let sql = format!(
        "SELECT {COLS} FROM saved_replies WHERE (scope = 'team' OR owner_id = $1){offered}"
    );
    let mut q = db::query(&sql).bind(&caller.id);
    if let Some(c) = category_id {
        q = q.bind(c);
    }
    let rows = q.fetch_all(&mut *conn).await?;
    let mut out = rows.iter().map(reply_of).collect::<AppResult<Vec<_>>>()?;
    // Sorted here: the two databases collate text differently.
    out.retain(|r| rules::can_see(&caller.viewer(), r.scope, r.owner_id.as_deref()));
    with_files(&mut *conn, &mut out).await?;
    out.sort_by(|a, b| {
        a.title
            .to_lowercase()
            .cmp(&b.title.to_lowercase())
            .then_with(|| a.id.cmp(&b.id))
    });
    Ok(out)
}

/// Who may see the events about `r`.
fn audience(r: &SavedReply) -> Visibility {
    match (r.scope, &r.owner_id) {
        (ReplyScope::Personal, Some(owner)) => Visibility::Agent(owner.clone()),
        // A personal reply always has an owner; without one nobody may see it.
        (ReplyScope::Personal, None) => Visibility::Agent(String::new()),
        (ReplyScope::Team, _) => Visibility::Everyone,
    }
}

/// Logs `saved_reply.updated` with the reply as stored now.
async fn announce(tx: &mut Tx, id: &str, by: &str) -> AppResult<SavedReply> {
    let r = find(&mut *tx, id)
        .await?
        .ok_or(AppError::NotFound("saved reply"))?;
    let vis = audience(&r);
    append_event(
        tx,
        EventPayload::SavedReplyUpdated(SavedReplyUpdated {
            saved_reply: r.clone(),
            by: Some(by.to_owned()),
        }),
        None,
        vis,
    )
    .await?;
    Ok(r)
}

async fn check_category(tx: &mut Tx, category_id: Option<&str>) -> AppResult<()> {
    if let Some(c) = category_id {
        if rows::category(&mut *tx, c).await?.is_none() {
            return Err(AppError::invalid(
                "unknown_category",
                format!("no category `{c}`"),
            ));
        }
    }
    Ok(())
}

/// Creates a saved reply: personal (the caller's own) unless `scope` says
/// `team`, which only admins may create.
pub async fn create(tx: &mut Tx, caller: &Caller, req: &NewSavedReply) -> AppResult<SavedReply> {
    let scope = req.scope.unwrap_or(ReplyScope::Personal);
    if !rules::can_create(&caller.viewer(), scope) {
        return Err(AppError::forbidden(
            "admin_only",
            "only admins may create team replies; create a personal one instead",
        ));
    }
    let title = clean_title(&req.title).map_err(refused)?;
    let body = clean_body(&req.body).map_err(refused)?;
    let attachments = clean_attachments(&req.attachments).map_err(refused)?;
    check_category(tx, req.category_id.as_deref()).await?;
    let owner = (scope == ReplyScope::Personal).then(|| caller.id.clone());
    let id = new_id();
    db::query(
        "INSERT INTO saved_replies (id, scope, owner_id, title, body, category_id, attachments, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
    )
    .bind(&id)
    .bind(scope.as_str())
    .bind(owner)
    .bind(title)
    .bind(body)
    .bind(req.category_id.as_deref())
    .bind(serde_json::to_string(&attachments)?)
    .bind(&caller.id)
    .bind(tx.now.timestamp_millis())
    .execute(&mut *tx)
    .await?;
    super::uploads::hold(tx, caller, &id, &attachments).await?;
    announce(tx, &id, &caller.id).await
}

/// Changes the fields given. Agents change their own personal replies;
/// admins team replies and their own personal ones.
pub async fn update(
    tx: &mut Tx,
    caller: &Caller,
    id: &str,
    patch: &SavedReplyPatch,
) -> AppResult<SavedReply> {
    let cur = manageable(tx, caller, id).await?;
    let title = match &patch.title {
        Some(t) => clean_title(t).map_err(refused)?,
        None => cur.title,
    };
    let body = match &patch.body {
        Some(b) => clean_body(b).map_err(refused)?,
        None => cur.body,
    };
    let attachments = match &patch.attachments {
        Some(a) => {
            let a = clean_attachments(a).map_err(refused)?;
            super::uploads::hold(tx, caller, id, &a).await?;
            a
        }
        None => cur.attachments,
    };
    let category_id = match &patch.category_id {
        Some(c) => c.clone(),
        None => cur.category_id,
    };
    check_category(tx, category_id.as_deref()).await?;
    db::query(
        "UPDATE saved_replies SET title = $1, body = $2, category_id = $3, attachments = $4, updated_at = $5 WHERE id = $6",
    )
    .bind(title)
    .bind(body)
    .bind(category_id)
    .bind(serde_json::to_string(&attachments)?)
    .bind(tx.now.timestamp_millis())
    .bind(id)
    .execute(&mut *tx)
    .await?;
    announce(tx, id, &caller.id).await
}

/// Deletes a saved reply and its usage history, and logs `saved_reply.deleted`.
pub async fn delete(tx: &mut Tx, caller: &Caller, id: &str) -> AppResult<()> {
    let cur = manageable(tx, caller, id).await?;
    db::query("DELETE FROM saved_reply_uses WHERE reply_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    db::query("DELETE FROM saved_replies WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    // Its files are let go: the sweep removes them.
    super::uploads::hold(tx, caller, id, &[]).await?;
    let vis = audience(&cur);
    append_event(
        tx,
        EventPayload::SavedReplyDeleted(SavedReplyDeleted {
            id: cur.id,
            scope: cur.scope,
            owner_id: cur.owner_id,
            by: Some(caller.id.clone()),
        }),
        None,
        vis,
    )
    .await?;
    Ok(())
}

/// Fills a saved reply in for a conversation the caller may see, with the
/// caller as the agent, and records the use. A missing value stays as its
/// placeholder and is listed in `missing`. The category scope is the
/// picker's filter, not a permission: any reply the caller sees may be
/// filled in anywhere.
pub async fn fill(
    tx: &mut Tx,
    caller: &Caller,
    conversation_id: &str,
    reply_id: &str,
) -> AppResult<FilledReply> {
    let conv = load_visible(tx, caller, conversation_id).await?;
    let reply = visible(&mut *tx, caller, reply_id).await?;
    let filled = rules::fill(
        &reply.body,
        &Values {
            customer_name: conv.customer.name.as_deref(),
            agent_name: Some(&caller.name),
            conversation_id: Some(&conv.id),
        },
    );
    db::query(
        "INSERT INTO saved_reply_uses (reply_id, agent_id, conversation_id, at) VALUES ($1, $2, $3, $4)",
    )
    .bind(&reply.id)
    .bind(&caller.id)
    .bind(&conv.id)
    .bind(tx.now.timestamp_millis())
    .execute(&mut *tx)
    .await?;
    Ok(FilledReply {
        reply_id: reply.id,
        conversation_id: conv.id,
        text: filled.text,
        missing: filled.missing.iter().map(|v| v.name().to_owned()).collect(),
        attachments: reply.attachments,
    })
}

/// How often each saved reply the caller may see was used in
/// `[from_ms, to_ms)`: the team's (by anyone) and the caller's own personal
/// ones; replies not used in the period are left out. Most used first.
pub async fn usage(
    conn: &mut impl Db,
    caller: &Caller,
    from_ms: i64,
    to_ms: i64,
) -> AppResult<Vec<SavedReplyUsage>> {
    let rows = db::query(
        "SELECT u.reply_id AS reply_id, r.title AS title, r.scope AS scope, r.owner_id AS owner_id, \
         COUNT(*) AS uses, COUNT(DISTINCT u.conversation_id) AS conversations, COUNT(DISTINCT u.agent_id) AS agents \
         FROM saved_reply_uses u JOIN saved_replies r ON r.id = u.reply_id \
         WHERE u.at >= $1 AND u.at < $2 AND (r.scope = 'team' OR r.owner_id = $3) \
         GROUP BY u.reply_id, r.title, r.scope, r.owner_id",
    )
    .bind(from_ms)
    .bind(to_ms)
    .bind(&caller.id)
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let scope: String = r.try_get("scope")?;
        let scope = ReplyScope::parse(&scope)
            .map_err(|e| AppError::Internal(format!("stored saved reply scope: {e}")))?;
        let owner: Option<String> = r.try_get("owner_id")?;
        if !rules::can_see(&caller.viewer(), scope, owner.as_deref()) {
            continue;
        }
        let count = |name: &str| -> AppResult<u64> { Ok(r.try_get::<i64, _>(name)?.max(0) as u64) };
        out.push(SavedReplyUsage {
            reply_id: r.try_get("reply_id")?,
            title: r.try_get("title")?,
            scope,
            uses: count("uses")?,
            conversations: count("conversations")?,
            agents: count("agents")?,
        });
    }
    out.sort_by(|a, b| {
        cmp_usage(
            &Usage {
                reply_id: &a.reply_id,
                title: &a.title,
                uses: a.uses,
            },
            &Usage {
                reply_id: &b.reply_id,
                title: &b.title,
                uses: b.uses,
            },
        )
    });
    Ok(out)
}

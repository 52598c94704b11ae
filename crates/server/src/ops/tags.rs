//! Tags: an admin's labels (name, colour, auto-tag rules), put on
//! conversations by agents who may see them and by the rules on arrival
//! (`switchboard_core::tags`).
//!
//! A conversation's tags live in `conversation_tags`, and as a sorted JSON
//! array in `conversations.tags` written in the same transaction (migration
//! 0020), so every read of a conversation carries them.

use switchboard_api::events::{TagDeleted, TagUpdated};
use switchboard_api::{NewTag, Tag, TagPatch};
use switchboard_core::tags::{self as rules, TagError, TagSet, MAX_TAGS};

use super::*;
use crate::store::db::{Db, Row};

const TAG_COLS: &str = "id, name, colour, keywords";

fn invalid(e: TagError) -> AppError {
    let code = match e {
        TagError::InvalidName => "invalid_name",
        TagError::InvalidColour(_) => "invalid_colour",
        TagError::InvalidRule { .. } => "invalid_rule",
    };
    AppError::invalid(code, e.to_string())
}

fn tag_from_row(r: &Row) -> AppResult<Tag> {
    let keywords: String = r.try_get("keywords")?;
    Ok(Tag {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        colour: r.try_get("colour")?,
        keywords: serde_json::from_str(&keywords)
            .map_err(|e| AppError::Internal(format!("stored tag rules are invalid: {e}")))?,
    })
}

/// Every tag, in the order they were made.
pub async fn list(conn: &mut impl Db) -> AppResult<Vec<Tag>> {
    let sql = format!("SELECT {TAG_COLS} FROM tags ORDER BY position, id");
    db::query(&sql)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(tag_from_row)
        .collect()
}

async fn one(conn: &mut impl Db, id: &str) -> AppResult<Option<Tag>> {
    let sql = format!("SELECT {TAG_COLS} FROM tags WHERE id = $1");
    db::query(&sql)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .as_ref()
        .map(tag_from_row)
        .transpose()
}

async fn announce(tx: &mut Tx, tag: &Tag) -> AppResult<()> {
    append_event(
        tx,
        EventPayload::TagUpdated(TagUpdated { tag: tag.clone() }),
        None,
        Visibility::Everyone,
    )
    .await?;
    Ok(())
}

/// Creates a tag (admin).
pub async fn create(tx: &mut Tx, t: &NewTag) -> AppResult<Tag> {
    let name = rules::name(&t.name).map_err(invalid)?;
    rules::check_rules(&t.keywords).map_err(invalid)?;
    let count: i64 = db::query("SELECT COUNT(*) FROM tags")
        .fetch_scalar(&mut *tx)
        .await?;
    if count as usize >= MAX_TAGS {
        return Err(AppError::invalid(
            "too_many_tags",
            format!("a team has at most {MAX_TAGS} tags: delete one first"),
        ));
    }
    let colour = match &t.colour {
        Some(c) => rules::colour(c).map_err(invalid)?,
        None => rules::default_colour(count.max(0) as usize).to_owned(),
    };
    let id = categories::chosen_id(t.id.as_deref(), &name, "tag")?;
    if one(&mut *tx, &id).await?.is_some() {
        return Err(AppError::conflict(
            "tag_exists",
            format!("a tag `{id}` exists"),
        ));
    }
    let position: i64 = db::query("SELECT COALESCE(MAX(position), 0) + 1 FROM tags")
        .fetch_scalar(&mut *tx)
        .await?;
    db::query(
        "INSERT INTO tags (id, name, colour, keywords, position, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&id)
    .bind(&name)
    .bind(&colour)
    .bind(serde_json::to_string(&t.keywords)?)
    .bind(position)
    .bind(tx.now.timestamp_millis())
    .execute(&mut *tx)
    .await?;
    let tag = Tag {
        id,
        name,
        colour,
        keywords: t.keywords.clone(),
    };
    announce(tx, &tag).await?;
    Ok(tag)
}

/// Changes a tag's name, colour or rules (admin).
pub async fn patch(tx: &mut Tx, id: &str, p: &TagPatch) -> AppResult<Tag> {
    let cur = one(&mut *tx, id).await?.ok_or(AppError::NotFound("tag"))?;
    let tag = Tag {
        id: cur.id,
        name: rules::name(p.name.as_deref().unwrap_or(&cur.name)).map_err(invalid)?,
        colour: rules::colour(p.colour.as_deref().unwrap_or(&cur.colour)).map_err(invalid)?,
        keywords: p.keywords.clone().unwrap_or(cur.keywords),
    };
    rules::check_rules(&tag.keywords).map_err(invalid)?;
    db::query("UPDATE tags SET name = $1, colour = $2, keywords = $3 WHERE id = $4")
        .bind(&tag.name)
        .bind(&tag.colour)
        .bind(serde_json::to_string(&tag.keywords)?)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    announce(tx, &tag).await?;
    Ok(tag)
}

/// Deletes a tag and takes it off every conversation (admin). One
/// `tag.deleted` event says so; the conversations get no event each.
pub async fn delete(tx: &mut Tx, id: &str) -> AppResult<()> {
    if one(&mut *tx, id).await?.is_none() {
        return Err(AppError::NotFound("tag"));
    }
    let carrying = db::query(
        "SELECT c.id, c.tags FROM conversations c \
         WHERE c.id IN (SELECT conversation_id FROM conversation_tags WHERE tag_id = $1)",
    )
    .bind(id)
    .fetch_all(&mut *tx)
    .await?;
    for r in &carrying {
        let conv: String = r.try_get("id")?;
        let mut set = stored_set(r)?;
        set.remove(id);
        write_set(tx, &conv, &set).await?;
    }
    for sql in [
        "DELETE FROM conversation_tags WHERE tag_id = $1",
        "DELETE FROM tags WHERE id = $1",
    ] {
        db::query(sql).bind(id).execute(&mut *tx).await?;
    }
    append_event(
        tx,
        EventPayload::TagDeleted(TagDeleted { id: id.to_owned() }),
        None,
        Visibility::Everyone,
    )
    .await?;
    Ok(())
}

fn stored_set(r: &Row) -> AppResult<TagSet> {
    let ids: Vec<String> = serde_json::from_str(&r.try_get::<String, _>("tags")?)
        .map_err(|e| AppError::Internal(format!("stored tags are invalid: {e}")))?;
    Ok(TagSet::new(ids))
}

async fn write_set(tx: &mut Tx, conversation_id: &str, set: &TagSet) -> AppResult<()> {
    db::query("UPDATE conversations SET tags = $1 WHERE id = $2")
        .bind(serde_json::to_string(set.ids())?)
        .bind(conversation_id)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Puts a tag on a conversation the caller may see (`on`), or takes it off.
/// Doing what is already so changes nothing and says nothing.
pub async fn set(
    tx: &mut Tx,
    caller: &Caller,
    conversation_id: &str,
    tag_id: &str,
    on: bool,
) -> AppResult<ConversationSummary> {
    let conv = load_visible(tx, caller, conversation_id).await?;
    if one(&mut *tx, tag_id).await?.is_none() {
        return Err(AppError::NotFound("tag"));
    }
    let mut set = TagSet::new(conv.tags.clone());
    let changed = if on {
        set.insert(tag_id)
    } else {
        set.remove(tag_id)
    };
    if !changed {
        return Ok(conv.summary(tx.now));
    }
    let now = tx.now.timestamp_millis();
    if on {
        db::query(
            "INSERT INTO conversation_tags (conversation_id, tag_id, added_by, added_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(conversation_id)
        .bind(tag_id)
        .bind(&caller.id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    } else {
        db::query("DELETE FROM conversation_tags WHERE conversation_id = $1 AND tag_id = $2")
            .bind(conversation_id)
            .bind(tag_id)
            .execute(&mut *tx)
            .await?;
    }
    write_set(tx, conversation_id, &set).await?;
    db::query("UPDATE conversations SET updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(conversation_id)
        .execute(&mut *tx)
        .await?;
    let after = conv_updated(tx, &conv, Change::Tagged, Some(&caller.id)).await?;
    Ok(after.summary(tx.now))
}

/// Of `wanted` (an auto-tag rule's choice), the tags that exist: another
/// instance's rules may be older than a deletion.
pub(super) async fn existing(tx: &mut Tx, wanted: TagSet) -> AppResult<TagSet> {
    let mut out = TagSet::default();
    for id in wanted.ids() {
        if one(&mut *tx, id).await?.is_some() {
            out.insert(id);
        }
    }
    Ok(out)
}

/// Records the tags a new conversation was given by rules (its
/// `conversations.tags` was written with the row).
pub(super) async fn record_auto(tx: &mut Tx, conversation_id: &str, set: &TagSet) -> AppResult<()> {
    for id in set.ids() {
        db::query(
            "INSERT INTO conversation_tags (conversation_id, tag_id, added_by, added_at) VALUES ($1, $2, NULL, $3)",
        )
        .bind(conversation_id)
        .bind(id)
        .bind(tx.now.timestamp_millis())
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

//! Categories: routing mode, wait threshold and keyword rules.

use super::*;
use crate::store::db::{self};

pub(super) fn slug(name: &str) -> String {
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

/// The id an admin gave (`what`: "category", "tag"), checked: 1 to 64
/// letters, digits, `-` or `_`; without one, a slug of `name`.
pub(super) fn chosen_id(given: Option<&str>, name: &str, what: &str) -> AppResult<String> {
    match given {
        Some(id)
            if !id.is_empty()
                && id.len() <= 64
                && id
                    .chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_') =>
        {
            Ok(id.to_owned())
        }
        Some(_) => Err(AppError::invalid(
            "invalid_id",
            format!("a {what} id is 1 to 64 letters, digits, '-' or '_'"),
        )),
        None => Ok(slug(name)),
    }
}

pub(super) fn check_rules(id: &str, keywords: &[String]) -> AppResult<()> {
    Categorizer::new(vec![(id.to_owned(), keywords.to_vec())])
        .map(|_| ())
        .map_err(|e| AppError::invalid("invalid_rule", e.to_string()))
}

pub(super) async fn category_event(tx: &mut Tx, id: &str) -> AppResult<Category> {
    let cat = rows::category(&mut *tx, id)
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
    let id = chosen_id(c.id.as_deref(), name, "category")?;
    let threshold = c.wait_threshold_secs.unwrap_or(DEFAULT_WAIT_THRESHOLD_SECS);
    check_threshold(threshold)?;
    check_rules(&id, &c.keywords)?;
    if rows::category(&mut *tx, &id).await?.is_some() {
        return Err(AppError::conflict(
            "category_exists",
            format!("a category `{id}` exists"),
        ));
    }
    let position: i64 = db::query("SELECT COALESCE(MAX(position), 0) + 1 FROM categories")
        .fetch_scalar(&mut *tx)
        .await?;
    db::query(
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
    .execute(&mut *tx)
    .await?;
    category_event(tx, &id).await
}

pub(super) fn check_threshold(t: u64) -> AppResult<()> {
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
    let cur = rows::category(&mut *tx, id)
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
    db::query("UPDATE categories SET name = $1, routing = $2, wait_threshold_secs = $3, keywords = $4 WHERE id = $5")
        .bind(name.trim())
        .bind(routing.as_str())
        .bind(threshold as i64)
        .bind(serde_json::to_string(&keywords)?)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let cat = category_event(tx, id).await?;
    drain(tx).await?;
    Ok(cat)
}

//! Customer profiles: reading one with the customer's conversations,
//! agents editing name, company and notes, admins adding and removing
//! identities. Every change is a `customer.updated` event for every agent
//! (profiles are the team's; which conversations an agent sees of a
//! customer follows the usual visibility). Where a new conversation lands
//! is `store::customers::land`, run by `intake`.

use switchboard_api::events::CustomerUpdated;
use switchboard_api::{CustomerDetails, CustomerPatch, CustomerProfile, NewIdentity};
use switchboard_core::customers::Identity;

use super::*;
use crate::store::customers as store;
use crate::store::db::Db;

/// The longest name or company.
const MAX_NAME_CHARS: usize = 200;
/// The longest notes.
const MAX_NOTES_BYTES: usize = 20_000;
/// The most conversations a profile's details list.
const MAX_CONVERSATIONS: i64 = 500;

/// Logs `customer.updated` with the profile as stored now.
pub async fn announce(tx: &mut Tx, id: &str, by: Option<&str>) -> AppResult<CustomerProfile> {
    let customer = store::profile(&mut *tx, id)
        .await?
        .ok_or(AppError::NotFound("customer"))?;
    append_event(
        tx,
        EventPayload::CustomerUpdated(CustomerUpdated {
            customer: customer.clone(),
            by: by.map(str::to_owned),
        }),
        None,
        Visibility::Everyone,
    )
    .await?;
    Ok(customer)
}

/// A profile with the customer's conversations `caller` may see (newest
/// first) and a count of the rest.
pub async fn details(
    db: &mut impl Db,
    caller: &Caller,
    id: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<CustomerDetails> {
    // A profile merged into another answers that one (old links work).
    let id = &super::customer_merge::follow(&mut *db, id).await?;
    let customer = store::profile(&mut *db, id)
        .await?
        .ok_or(AppError::NotFound("customer"))?;
    let sql = format!(
        "SELECT {} FROM {} WHERE c.customer_id = $1 ORDER BY c.created_at DESC, c.id DESC LIMIT $2",
        rows::CONV_COLS,
        rows::CONV_FROM
    );
    let viewer = caller.viewer();
    let mut conversations = Vec::new();
    let mut hidden = 0u32;
    for r in db::query(&sql)
        .bind(id)
        .bind(MAX_CONVERSATIONS)
        .fetch_all(&mut *db)
        .await?
    {
        let row = ConvRow::from_row(&r)?;
        if viewer.can_view(row.scope()) {
            conversations.push(row.summary(now));
        } else {
            hidden += 1;
        }
    }
    Ok(CustomerDetails {
        customer,
        conversations,
        hidden_conversations: hidden,
    })
}

/// Profiles whose name or company contains `q`, or with an identity
/// starting with it (normalised as an email or phone would be); without
/// `q`, the most recently changed.
pub async fn list(
    db: &mut impl Db,
    q: Option<&str>,
    limit: u32,
) -> AppResult<Vec<CustomerProfile>> {
    let limit = i64::from(limit.clamp(1, 200));
    let q = q.map(str::trim).filter(|q| !q.is_empty());
    let ids: Vec<String> = match q {
        None => db::query("SELECT id FROM customers ORDER BY updated_at DESC, id DESC LIMIT $1")
            .bind(limit)
            .fetch_all(&mut *db)
            .await?
            .iter()
            .map(|r| r.try_get("id"))
            .collect::<Result<_, _>>()?,
        Some(q) => {
            let lower = q.to_lowercase();
            let like = format!(
                "%{}%",
                lower
                    .replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_")
            );
            // An identity starts with the query as an email or phone would
            // be stored (digits after a `+`).
            let phone_prefix: String = q.chars().filter(char::is_ascii_digit).collect();
            let phone_prefix = if phone_prefix.is_empty() {
                // No digits: a range no phone number (`+…`) is in.
                "~".to_owned()
            } else {
                format!("+{phone_prefix}")
            };
            db::query(
                "SELECT id FROM customers WHERE LOWER(COALESCE(name, '')) LIKE $1 ESCAPE '\\' \
                 OR LOWER(COALESCE(company, '')) LIKE $1 ESCAPE '\\' \
                 OR id IN (SELECT customer_id FROM customer_identities \
                   WHERE (kind = 'email' AND value >= $2 AND value < $3) \
                      OR (kind = 'phone' AND value >= $4 AND value < $5)) \
                 ORDER BY updated_at DESC, id DESC LIMIT $6",
            )
            .bind(like)
            .bind(lower.clone())
            .bind(format!("{lower}\u{10ffff}"))
            .bind(phone_prefix.clone())
            .bind(format!("{phone_prefix}\u{10ffff}"))
            .bind(limit)
            .fetch_all(&mut *db)
            .await?
            .iter()
            .map(|r| r.try_get("id"))
            .collect::<Result<_, _>>()?
        }
    };
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(p) = store::profile(&mut *db, &id).await? {
            out.push(p);
        }
    }
    Ok(out)
}

fn clean_name(what: &'static str, v: &str) -> AppResult<Option<String>> {
    let v = v.trim();
    if v.chars().count() > MAX_NAME_CHARS {
        return Err(AppError::invalid(
            if what == "name" {
                "invalid_name"
            } else {
                "invalid_company"
            },
            format!("the {what} is longer than {MAX_NAME_CHARS} characters"),
        ));
    }
    Ok((!v.is_empty()).then(|| v.to_owned()))
}

/// Changes name, company or notes (any agent).
pub async fn update(
    tx: &mut Tx,
    caller: &Caller,
    id: &str,
    patch: &CustomerPatch,
) -> AppResult<CustomerProfile> {
    // A merged profile's old id changes the kept one.
    let id = &super::customer_merge::follow(&mut *tx, id).await?;
    store::profile(&mut *tx, id)
        .await?
        .ok_or(AppError::NotFound("customer"))?;
    let now = tx.now.timestamp_millis();
    if let Some(name) = &patch.name {
        db::query("UPDATE customers SET name = $1 WHERE id = $2")
            .bind(clean_name("name", name)?)
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    if let Some(company) = &patch.company {
        db::query("UPDATE customers SET company = $1 WHERE id = $2")
            .bind(clean_name("company", company)?)
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    if let Some(notes) = &patch.notes {
        if notes.len() > MAX_NOTES_BYTES {
            return Err(AppError::invalid(
                "invalid_notes",
                format!("the notes are longer than {MAX_NOTES_BYTES} bytes"),
            ));
        }
        db::query("UPDATE customers SET notes = $1 WHERE id = $2")
            .bind(notes.as_str())
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    store::touch(&mut *tx, id, now).await?;
    announce(tx, id, Some(&caller.id)).await
}

/// Adds an identity (admins). Refused when it is on another profile.
pub async fn add_identity(
    tx: &mut Tx,
    caller: &Caller,
    id: &str,
    req: &NewIdentity,
) -> AppResult<CustomerProfile> {
    caller.require_admin()?;
    let id = &super::customer_merge::follow(&mut *tx, id).await?;
    store::profile(&mut *tx, id)
        .await?
        .ok_or(AppError::NotFound("customer"))?;
    let identity = Identity::new(req.kind, &req.value)
        .map_err(|e| AppError::invalid("invalid_identity", e.to_string()))?;
    match store::owner_of(&mut *tx, &identity).await? {
        Some(owner) if owner == *id => return announce(tx, id, Some(&caller.id)).await,
        Some(owner) => {
            return Err(AppError::conflict(
                "identity_taken",
                format!(
                    "{} {} is on customer {owner}: merge the two customers instead",
                    identity.kind, identity.value
                ),
            ))
        }
        None => {}
    }
    let now = tx.now.timestamp_millis();
    store::add_identity(&mut *tx, id, &identity, now).await?;
    store::touch(&mut *tx, id, now).await?;
    announce(tx, id, Some(&caller.id)).await
}

/// Removes an identity (admins): later messages from it make a new profile.
pub async fn remove_identity(
    tx: &mut Tx,
    caller: &Caller,
    id: &str,
    kind: &str,
    value: &str,
) -> AppResult<CustomerProfile> {
    caller.require_admin()?;
    let id = &super::customer_merge::follow(&mut *tx, id).await?;
    let kind = switchboard_core::IdentityKind::parse(kind)
        .map_err(|e| AppError::invalid("invalid_identity", e.to_string()))?;
    let identity = Identity::new(kind, value)
        .map_err(|e| AppError::invalid("invalid_identity", e.to_string()))?;
    let removed = db::query(
        "DELETE FROM customer_identities WHERE customer_id = $1 AND kind = $2 AND value = $3",
    )
    .bind(id)
    .bind(identity.kind.as_str())
    .bind(&identity.value)
    .execute(&mut *tx)
    .await?;
    if removed == 0 {
        return Err(AppError::NotFound("identity"));
    }
    let now = tx.now.timestamp_millis();
    store::touch(&mut *tx, id, now).await?;
    announce(tx, id, Some(&caller.id)).await
}

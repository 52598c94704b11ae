//! Customer profiles in the database: the profile a new conversation lands
//! on (core's rules in `switchboard_core::customers`, applied in the
//! conversation's own write), profiles read back, and the profiles of
//! conversations stored before profiles existed ([`backfill`]).

use std::str::FromStr;

use sqlx::any::AnyConnectOptions;
use sqlx::{AnyConnection, Connection};
use switchboard_api::{CustomerIdentity, CustomerProfile};
use switchboard_core::customers::{identities_of, identities_to_add, landing_profile, Identity};
use switchboard_core::IdentityKind;

use super::db::{self, Db};
use super::{new_id, Backend};
use crate::clock::from_ms;
use crate::error::AppResult;

/// What a conversation arriving knows of its customer.
#[derive(Debug, Clone, Copy, Default)]
pub struct Arriving<'a> {
    /// Their name, if given.
    pub name: Option<&'a str>,
    /// Their email, if given.
    pub email: Option<&'a str>,
    /// Their phone, if given.
    pub phone: Option<&'a str>,
    /// The widget visitor's id, for chats.
    pub visitor: Option<&'a str>,
}

/// Where a conversation landed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Landed {
    /// The profile.
    pub customer_id: String,
    /// Whether the profile is new or gained identities (then it is
    /// announced).
    pub changed: bool,
    /// The profile's name, when it has one (a conversation arriving without
    /// a name shows it).
    pub name: Option<String>,
}

/// Finds the profile of a conversation arriving (by the first of its
/// identities on a profile: email, phone, visitor), adds the identities no
/// profile has yet, or makes a new profile. At `now_ms`, in the caller's
/// transaction.
pub async fn land(db: &mut impl Db, who: Arriving<'_>, now_ms: i64) -> AppResult<Landed> {
    let ids = identities_of(who.email, who.phone, who.visitor);
    let mut owners: Vec<Option<String>> = Vec::with_capacity(ids.len());
    for id in &ids {
        owners.push(owner_of(&mut *db, id).await?);
    }
    let name = who.name.map(str::trim).filter(|n| !n.is_empty());
    let (customer_id, mut changed) = match landing_profile(&owners) {
        Some(c) => (c.to_owned(), false),
        None => {
            let id = new_id();
            db::query(
                "INSERT INTO customers (id, name, company, notes, created_at, updated_at) \
                 VALUES ($1, $2, NULL, '', $3, $3)",
            )
            .bind(&id)
            .bind(name)
            .bind(now_ms)
            .execute(&mut *db)
            .await?;
            (id, true)
        }
    };
    for id in identities_to_add(&ids, &owners) {
        add_identity(&mut *db, &customer_id, id, now_ms).await?;
        changed = true;
    }
    let row = db::query("SELECT name FROM customers WHERE id = $1")
        .bind(&customer_id)
        .fetch_optional(&mut *db)
        .await?;
    let mut known: Option<String> = match row {
        Some(r) => r.try_get("name")?,
        None => None,
    };
    if known.is_none() {
        if let Some(n) = name {
            // A profile made from a phone alone learns the name a later
            // channel gives.
            db::query("UPDATE customers SET name = $1, updated_at = $2 WHERE id = $3")
                .bind(n)
                .bind(now_ms)
                .bind(&customer_id)
                .execute(&mut *db)
                .await?;
            known = Some(n.to_owned());
            changed = true;
        }
    }
    if changed {
        touch(&mut *db, &customer_id, now_ms).await?;
    }
    Ok(Landed {
        customer_id,
        changed,
        name: known,
    })
}

/// Puts `id` on the profile (the caller checked it is on none).
pub async fn add_identity(
    db: &mut impl Db,
    customer_id: &str,
    id: &Identity,
    now_ms: i64,
) -> AppResult<()> {
    db::query(
        "INSERT INTO customer_identities (kind, value, customer_id, added_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(id.kind.as_str())
    .bind(&id.value)
    .bind(customer_id)
    .bind(now_ms)
    .execute(&mut *db)
    .await?;
    Ok(())
}

/// Marks the profile changed at `now_ms`.
pub async fn touch(db: &mut impl Db, customer_id: &str, now_ms: i64) -> AppResult<()> {
    db::query("UPDATE customers SET updated_at = $1 WHERE id = $2")
        .bind(now_ms)
        .bind(customer_id)
        .execute(&mut *db)
        .await?;
    Ok(())
}

/// Which profile an identity is on.
pub async fn owner_of(db: &mut impl Db, id: &Identity) -> AppResult<Option<String>> {
    Ok(
        db::query("SELECT customer_id FROM customer_identities WHERE kind = $1 AND value = $2")
            .bind(id.kind.as_str())
            .bind(&id.value)
            .fetch_optional_scalar(&mut *db)
            .await?,
    )
}

/// A profile with its identities.
pub async fn profile(db: &mut impl Db, id: &str) -> AppResult<Option<CustomerProfile>> {
    let Some(r) = db::query(
        "SELECT id, name, company, notes, created_at, updated_at, merged_into FROM customers WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *db)
    .await?
    else {
        return Ok(None);
    };
    let mut identities = Vec::new();
    for i in db::query(
        "SELECT kind, value FROM customer_identities WHERE customer_id = $1 ORDER BY kind, value",
    )
    .bind(id)
    .fetch_all(&mut *db)
    .await?
    {
        let kind: String = i.try_get("kind")?;
        // A kind this build does not know (written by a newer one) is skipped.
        if let Ok(kind) = IdentityKind::from_str(&kind) {
            identities.push(CustomerIdentity {
                kind,
                value: i.try_get("value")?,
            });
        }
    }
    Ok(Some(CustomerProfile {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        company: r.try_get("company")?,
        notes: r.try_get("notes")?,
        identities,
        created_at: from_ms(r.try_get("created_at")?),
        updated_at: from_ms(r.try_get("updated_at")?),
        merged_into: r.try_get("merged_into")?,
    }))
}

/// Gives every conversation stored before profiles existed its profile, by
/// the same rules as a new one, oldest first (the migration asks for it
/// with the counter `customers_backfill`). One instance does it at a time.
/// Returns the conversations given a profile.
pub async fn backfill(url: &str, backend: Backend) -> anyhow::Result<u64> {
    let mut c = AnyConnection::connect_with(&AnyConnectOptions::from_str(url)?).await?;
    if backend == Backend::Postgres {
        db::query("SELECT pg_advisory_lock(7262003)")
            .execute(&mut c)
            .await?;
    }
    let result = backfill_on(&mut c).await;
    if backend == Backend::Postgres {
        db::query("SELECT pg_advisory_unlock(7262003)")
            .execute(&mut c)
            .await?;
    }
    c.close().await?;
    Ok(result?)
}

async fn backfill_on(c: &mut AnyConnection) -> AppResult<u64> {
    let needed: Option<i64> =
        db::query("SELECT value FROM counters WHERE name = 'customers_backfill'")
            .fetch_optional_scalar(&mut *c)
            .await?;
    if needed != Some(1) {
        return Ok(0);
    }
    let mut done = 0u64;
    loop {
        let mut tx = c.begin().await?;
        let rows = db::query(
            "SELECT c.id, c.customer_name, c.customer_email, c.customer_phone, c.created_at, \
             (SELECT COUNT(*) FROM widget_sessions w WHERE w.id = c.id) AS widget \
             FROM conversations c WHERE c.customer_id IS NULL ORDER BY c.created_at, c.id LIMIT 500",
        )
        .fetch_all(&mut *tx)
        .await?;
        if rows.is_empty() {
            break;
        }
        for r in &rows {
            let id: String = r.try_get("id")?;
            let name: Option<String> = r.try_get("customer_name")?;
            let email: Option<String> = r.try_get("customer_email")?;
            let phone: Option<String> = r.try_get("customer_phone")?;
            let at: i64 = r.try_get("created_at")?;
            // A widget chat's conversation id is its visitor's id.
            let widget: i64 = r.try_get("widget")?;
            let visitor = (widget > 0).then_some(id.as_str());
            let landed = land(
                &mut *tx,
                Arriving {
                    name: name.as_deref(),
                    email: email.as_deref(),
                    phone: phone.as_deref(),
                    visitor,
                },
                at,
            )
            .await?;
            db::query("UPDATE conversations SET customer_id = $1 WHERE id = $2")
                .bind(&landed.customer_id)
                .bind(&id)
                .execute(&mut *tx)
                .await?;
            done += 1;
        }
        tx.commit().await?;
    }
    db::query("UPDATE counters SET value = 0 WHERE name = 'customers_backfill'")
        .execute(&mut *c)
        .await?;
    Ok(done)
}

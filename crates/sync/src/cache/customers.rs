//! Customer profiles in the cache: kept from `customer.updated` events
//! (see `apply`) and from each profile the side panel fetched
//! ([`Cache::store_customer`]), so the conversation view shows who the
//! customer is, and their other conversations this cache holds, offline.

use sqlx::sqlite::SqliteConnection;
use sqlx::Row;
use switchboard_api::{ConversationSummary, CustomerProfile};

use super::rows::{corrupt, ms, summary_of};
use super::types::Changes;
use super::Cache;
use crate::error::Result;

/// The most conversations of one customer read from the cache.
const MAX_CONVERSATIONS: i64 = 500;

impl Cache {
    /// Stores a profile (the server's answer to the side panel), unless the
    /// cache has a newer one.
    pub async fn store_customer(&self, p: &CustomerProfile) -> Result<Changes> {
        let mut conn = self.writer.acquire().await?;
        upsert_customer(&mut conn, p).await?;
        Ok(Changes {
            customers: true,
            ..Changes::default()
        })
    }

    /// A cached profile.
    pub async fn customer(&self, id: &str) -> Result<Option<CustomerProfile>> {
        let row = sqlx::query("SELECT profile FROM customers WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(r) => {
                let json: String = r.try_get("profile")?;
                Ok(Some(serde_json::from_str(&json).map_err(corrupt)?))
            }
            None => Ok(None),
        }
    }

    /// The customer's conversations this cache holds, newest first.
    pub async fn customer_conversations(
        &self,
        customer_id: &str,
    ) -> Result<Vec<ConversationSummary>> {
        let rows = sqlx::query(
            "SELECT * FROM conversations WHERE customer_id = ? \
             ORDER BY created_at DESC, id DESC LIMIT ?",
        )
        .bind(customer_id)
        .bind(MAX_CONVERSATIONS)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(summary_of).collect()
    }
}

/// Keeps `p` unless the cached profile is newer.
pub(super) async fn upsert_customer(
    conn: &mut SqliteConnection,
    p: &CustomerProfile,
) -> Result<()> {
    let json = serde_json::to_string(p).map_err(corrupt)?;
    sqlx::query(
        "INSERT INTO customers (id, profile, updated_at) VALUES (?, ?, ?) \
         ON CONFLICT(id) DO UPDATE SET profile = excluded.profile, updated_at = excluded.updated_at \
         WHERE excluded.updated_at >= customers.updated_at",
    )
    .bind(&p.id)
    .bind(json)
    .bind(ms(p.updated_at))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

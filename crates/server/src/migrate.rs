//! `migrate-sqlite-to-postgres`: moves a team's whole history from a SQLite
//! file into an empty PostgreSQL database, then proves the copy by reading
//! both sides back: row counts and a SHA-256 checksum per table.

use std::str::FromStr;

use sha2::{Digest, Sha256};
use sqlx::any::{AnyConnectOptions, AnyRow};
use sqlx::{AnyConnection, Connection, Row};

/// A column's type, for copying and checksumming.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Text,
    Int,
}

use Kind::{Int, Text};

/// A table: name, columns with their types, and an ORDER BY giving a total order.
type Table = (&'static str, &'static [(&'static str, Kind)], &'static str);

/// Every table, in foreign-key order.
const TABLES: &[Table] = &[
    (
        "categories",
        &[
            ("id", Text),
            ("name", Text),
            ("routing", Text),
            ("wait_threshold_secs", Int),
            ("keywords", Text),
            ("position", Int),
            ("rr_cursor", Text),
            ("created_at", Int),
        ],
        "id",
    ),
    (
        "agents",
        &[
            ("id", Text),
            ("name", Text),
            ("email", Text),
            ("password_hash", Text),
            ("role", Text),
            ("status", Text),
            ("capacity", Int),
            ("created_at", Int),
        ],
        "id",
    ),
    (
        "agent_categories",
        &[("agent_id", Text), ("category_id", Text)],
        "agent_id, category_id",
    ),
    (
        "tokens",
        &[
            ("hash", Text),
            ("agent_id", Text),
            ("created_at", Int),
            ("expires_at", Int),
            ("revoked_at", Int),
        ],
        "hash",
    ),
    (
        "conversations",
        &[
            ("id", Text),
            ("channel", Text),
            ("customer_name", Text),
            ("customer_email", Text),
            ("customer_phone", Text),
            ("subject", Text),
            ("category_id", Text),
            ("state", Text),
            ("assignee_id", Text),
            ("created_at", Int),
            ("updated_at", Int),
            ("queued_at", Int),
            ("unanswered_since", Int),
            ("first_customer_at", Int),
            ("first_response_at", Int),
            ("first_response_agent_id", Text),
            ("preview", Text),
            ("handed_off_at", Int),
            ("category_source", Text),
            ("category_confidence", Int),
        ],
        "id",
    ),
    (
        "messages",
        &[
            ("id", Text),
            ("conversation_id", Text),
            ("seq", Int),
            ("kind", Text),
            ("author", Text),
            ("author_id", Text),
            ("body", Text),
            ("created_at", Int),
            ("client_id", Text),
        ],
        "id",
    ),
    (
        "assignments",
        &[
            ("conversation_id", Text),
            ("agent_id", Text),
            ("at", Int),
            ("via", Text),
        ],
        "at, conversation_id, agent_id, via",
    ),
    (
        "resolutions",
        &[("conversation_id", Text), ("agent_id", Text), ("at", Int)],
        "at, conversation_id, agent_id",
    ),
    (
        "claims",
        &[
            ("conversation_id", Text),
            ("agent_id", Text),
            ("at", Int),
            ("waited_secs", Int),
            ("skipped_older", Int),
        ],
        "at, conversation_id, agent_id",
    ),
    // Email channel (migrations 0003_email.sql).
    (
        "email_messages",
        &[
            ("rfc_id", Text),
            ("conversation_id", Text),
            ("message_id", Text),
            ("direction", Text),
            ("created_at", Int),
        ],
        "rfc_id",
    ),
    (
        "email_threads",
        &[
            ("conversation_id", Text),
            ("token", Text),
            ("created_at", Int),
        ],
        "conversation_id",
    ),
    (
        "attachments",
        &[
            ("id", Text),
            ("conversation_id", Text),
            ("message_id", Text),
            ("filename", Text),
            ("content_type", Text),
            ("size", Int),
            ("data", Text),
            ("created_at", Int),
        ],
        "id",
    ),
    (
        "email_outbox",
        &[
            ("message_id", Text),
            ("conversation_id", Text),
            ("rfc_id", Text),
            ("to_name", Text),
            ("to_addr", Text),
            ("subject", Text),
            ("in_reply_to", Text),
            ("refs", Text),
            ("body", Text),
            ("status", Text),
            ("attempts", Int),
            ("next_attempt_at", Int),
            ("last_error", Text),
            ("sent_at", Int),
            ("updated_at", Int),
        ],
        "message_id",
    ),
    // SMS channel (migrations 0004_sms.sql).
    (
        "sms_inbound",
        &[
            ("message_sid", Text),
            ("conversation_id", Text),
            ("message_id", Text),
            ("from_number", Text),
            ("to_number", Text),
            ("created_at", Int),
        ],
        "message_sid",
    ),
    (
        "sms_outbox",
        &[
            ("message_id", Text),
            ("part", Int),
            ("parts", Int),
            ("conversation_id", Text),
            ("to_number", Text),
            ("body", Text),
            ("status", Text),
            ("attempts", Int),
            ("next_attempt_at", Int),
            ("last_error", Text),
            ("provider_sid", Text),
            ("provider_status", Text),
            ("sent_at", Int),
            ("updated_at", Int),
        ],
        "message_id, part",
    ),
    // Learned categorization (migrations 0006_classifier.sql).
    (
        "classifier_models",
        &[
            ("id", Text),
            ("version", Text),
            ("model", Text),
            ("trained_at", Int),
            ("examples", Int),
            ("labelled", Int),
            ("categories", Text),
            ("features", Int),
        ],
        "id",
    ),
    (
        "widget_sessions",
        &[
            ("id", Text),
            ("token_hash", Text),
            ("visitor_name", Text),
            ("visitor_email", Text),
            ("mode", Text),
            ("channel", Text),
            ("unanswered", Int),
            ("created_at", Int),
            ("updated_at", Int),
        ],
        "id",
    ),
    (
        "widget_transcript",
        &[
            ("id", Text),
            ("session_id", Text),
            ("pos", Int),
            ("kind", Text),
            ("author", Text),
            ("body", Text),
            ("created_at", Int),
        ],
        "id",
    ),
    (
        "widget_client_ids",
        &[
            ("session_id", Text),
            ("client_id", Text),
            ("message_id", Text),
        ],
        "session_id, client_id",
    ),
    (
        "bot_answers",
        &[
            ("id", Text),
            ("questions", Text),
            ("answer", Text),
            ("created_at", Int),
            ("updated_at", Int),
        ],
        "id",
    ),
    (
        "bot_handoffs",
        &[
            ("external_id", Text),
            ("conversation_id", Text),
            ("created_at", Int),
        ],
        "external_id",
    ),
    (
        "events",
        &[
            ("seq", Int),
            ("kind", Text),
            ("conversation_id", Text),
            ("at", Int),
            ("data", Text),
            ("category_id", Text),
            ("assignee_id", Text),
            ("prev_category_id", Text),
            ("prev_assignee_id", Text),
        ],
        "seq",
    ),
    ("counters", &[("name", Text), ("value", Int)], "name"),
];

/// One table's figures after the copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableReport {
    /// Table name.
    pub table: &'static str,
    /// Rows in the source.
    pub source_rows: u64,
    /// Rows in the target.
    pub target_rows: u64,
    /// Checksum of the source rows.
    pub source_sum: String,
    /// Checksum of the target rows.
    pub target_sum: String,
}

impl TableReport {
    /// Whether both sides agree.
    pub fn matches(&self) -> bool {
        self.source_rows == self.target_rows && self.source_sum == self.target_sum
    }
}

#[derive(Debug, Clone)]
enum Val {
    Text(Option<String>),
    Int(Option<i64>),
}

fn read_row(r: &AnyRow, cols: &[(&str, Kind)]) -> anyhow::Result<Vec<Val>> {
    cols.iter()
        .map(|(c, k)| {
            Ok(match k {
                Text => Val::Text(r.try_get::<Option<String>, _>(*c)?),
                Int => Val::Int(r.try_get::<Option<i64>, _>(*c)?),
            })
        })
        .collect()
}

async fn read_table(
    conn: &mut AnyConnection,
    table: &str,
    cols: &[(&str, Kind)],
    order: &str,
) -> anyhow::Result<Vec<Vec<Val>>> {
    let names: Vec<&str> = cols.iter().map(|(c, _)| *c).collect();
    let sql = format!("SELECT {} FROM {table} ORDER BY {order}", names.join(", "));
    let rows = sqlx::query(&sql).fetch_all(&mut *conn).await?;
    rows.iter().map(|r| read_row(r, cols)).collect()
}

/// Order-independent: each row is hashed, the row hashes are sorted, then
/// hashed together (the two databases may collate text differently).
fn checksum(rows: &[Vec<Val>]) -> String {
    let mut row_hashes: Vec<[u8; 32]> = rows
        .iter()
        .map(|row| {
            let mut h = Sha256::new();
            for v in row {
                match v {
                    Val::Text(Some(s)) => {
                        h.update(b"T");
                        h.update((s.len() as u64).to_le_bytes());
                        h.update(s.as_bytes());
                    }
                    Val::Int(Some(i)) => {
                        h.update(b"I");
                        h.update(i.to_le_bytes());
                    }
                    Val::Text(None) | Val::Int(None) => h.update(b"N"),
                }
            }
            h.finalize().into()
        })
        .collect();
    row_hashes.sort_unstable();
    let mut all = Sha256::new();
    for r in &row_hashes {
        all.update(r);
    }
    hex::encode(all.finalize())
}

async fn connect(url: &str) -> anyhow::Result<AnyConnection> {
    sqlx::any::install_default_drivers();
    Ok(AnyConnection::connect_with(&AnyConnectOptions::from_str(url)?).await?)
}

/// Copies everything from `from` (sqlite://…) into `to` (postgres://…, empty),
/// then verifies counts and checksums of every table.
pub async fn sqlite_to_postgres(from: &str, to: &str) -> anyhow::Result<Vec<TableReport>> {
    anyhow::ensure!(
        from.starts_with("sqlite:"),
        "--from must be a sqlite:// URL"
    );
    anyhow::ensure!(
        to.starts_with("postgres://") || to.starts_with("postgresql://"),
        "--to must be a postgres:// URL"
    );
    // Bring both schemas up to date (opening a store runs the migrations).
    drop(crate::store::Store::open(from, crate::Clock::system()).await?);
    drop(crate::store::Store::open(to, crate::Clock::system()).await?);
    let mut src = connect(from).await?;
    let mut dst = connect(to).await?;
    let agents: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM agents")
        .fetch_one(&mut dst)
        .await?;
    let conversations: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM conversations")
        .fetch_one(&mut dst)
        .await?;
    anyhow::ensure!(
        agents == 0 && conversations == 0,
        "the target database is not empty ({agents} agents, {conversations} conversations); migrate into a new database"
    );
    let mut tx = dst.begin().await?;
    // The target's migration seeded its own defaults; the source's win.
    for table in ["counters", "categories"] {
        sqlx::query(&format!("DELETE FROM {table}"))
            .execute(&mut *tx)
            .await?;
    }
    for (table, cols, order) in TABLES {
        let rows = read_table(&mut src, table, cols, order).await?;
        let names: Vec<&str> = cols.iter().map(|(c, _)| *c).collect();
        for chunk in rows.chunks(200) {
            let mut sql = format!("INSERT INTO {table} ({}) VALUES ", names.join(", "));
            let mut n = 0;
            for (i, _) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push_str(", ");
                }
                sql.push('(');
                for j in 0..cols.len() {
                    if j > 0 {
                        sql.push_str(", ");
                    }
                    n += 1;
                    sql.push_str(&format!("${n}"));
                }
                sql.push(')');
            }
            let mut q = sqlx::query(&sql);
            for row in chunk {
                for v in row {
                    q = match v {
                        Val::Text(t) => q.bind(t.clone()),
                        Val::Int(i) => q.bind(*i),
                    };
                }
            }
            q.execute(&mut *tx).await?;
        }
    }
    tx.commit().await?;
    let mut report = Vec::new();
    for (table, cols, order) in TABLES {
        let a = read_table(&mut src, table, cols, order).await?;
        let b = read_table(&mut dst, table, cols, order).await?;
        report.push(TableReport {
            table,
            source_rows: a.len() as u64,
            target_rows: b.len() as u64,
            source_sum: checksum(&a),
            target_sum: checksum(&b),
        });
    }
    Ok(report)
}

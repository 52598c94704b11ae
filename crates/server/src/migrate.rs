//! `migrate-sqlite-to-postgres`: moves a team's whole history from a SQLite
//! file into an empty PostgreSQL database, then proves the copy by reading
//! both sides back: row counts and a SHA-256 checksum per table.
//!
//! Nothing here lists tables or columns: the schema is read from the source
//! (`sqlite_master`, `pragma_table_info`, `pragma_foreign_key_list`) and
//! compared with the target's (`information_schema.columns`) after both ran
//! the migrations, so a new table or column is copied (or, when the two
//! schemas disagree, the command stops before copying anything). The one
//! exception is the search index (`search_docs`, `search_terms` and FTS5's
//! tables): each backend stores it its own way, so the target's is rebuilt
//! from the copied rows and compared document by document.

use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;

use sha2::{Digest, Sha256};
use sqlx::any::{AnyConnectOptions, AnyRow};
use sqlx::{AnyConnection, Connection, Row};

/// sqlx's record of applied migrations: each side's own, never copied.
const SQLX_MIGRATIONS: &str = "_sqlx_migrations";

/// The search index's documents: derived from conversations and messages,
/// stored differently by each backend (FTS5's text, a `tsvector`), so never
/// copied: the target's index is rebuilt from the copied rows, then checked
/// document by document (`store::search`). FTS5's own virtual and shadow
/// tables are not tables of the schema (`pragma_table_list` says so).
const SEARCH_DOCS: &str = "search_docs";

/// SQLite's list of indexed words (for spelling out long prefixes), derived
/// from the index like it: PostgreSQL has none, and the target's index is
/// rebuilt.
const SEARCH_TERMS: &str = "search_terms";

/// A column's type, for copying and checksumming.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Int,
    Blob,
}

use Kind::{Blob, Int, Text};

impl Kind {
    /// From a SQLite declared type, by SQLite's affinity rules (`BIGINT` is
    /// an integer, `TEXT` or `VARCHAR(n)` text). Anything else (`REAL`,
    /// `NUMERIC`, no type) is refused rather than copied approximately.
    fn of_sqlite(declared: &str) -> Option<Kind> {
        let d = declared.to_ascii_uppercase();
        if d.contains("INT") {
            Some(Int)
        } else if d.contains("CHAR") || d.contains("CLOB") || d.contains("TEXT") {
            Some(Text)
        } else if d.contains("BLOB") {
            Some(Blob)
        } else {
            None
        }
    }

    /// From PostgreSQL's `information_schema.columns.data_type`.
    fn of_postgres(data_type: &str) -> Option<Kind> {
        match data_type {
            "smallint" | "integer" | "bigint" => Some(Int),
            "text" | "character varying" | "character" => Some(Text),
            "bytea" => Some(Blob),
            _ => None,
        }
    }
}

/// A column: name and type.
#[derive(Debug, Clone)]
struct Column {
    name: String,
    kind: Kind,
}

/// A table of the source, as its schema says.
#[derive(Debug, Clone)]
struct Table {
    name: String,
    columns: Vec<Column>,
    /// A total order of the rows: the primary key, or every column when
    /// the table has none.
    order: Vec<String>,
    /// Tables its foreign keys reference.
    references: BTreeSet<String>,
}

/// An identifier, quoted for both SQLite and PostgreSQL.
fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The source's tables (not SQLite's own, not sqlx's), parents before
/// children.
async fn sqlite_tables(src: &mut AnyConnection) -> anyhow::Result<Vec<Table>> {
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name <> ? AND name <> ? AND name <> ? \
         AND name IN (SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table') ORDER BY rowid",
    )
    .bind(SQLX_MIGRATIONS)
    .bind(SEARCH_DOCS)
    .bind(SEARCH_TERMS)
    .fetch_all(&mut *src)
    .await?;
    let mut tables = Vec::new();
    for name in names {
        let info = sqlx::query("SELECT name, type, pk FROM pragma_table_info(?) ORDER BY cid")
            .bind(&name)
            .fetch_all(&mut *src)
            .await?;
        let mut columns = Vec::new();
        let mut key = Vec::new();
        for r in &info {
            let column: String = r.try_get("name")?;
            let declared: String = r.try_get("type")?;
            let pk: i64 = r.try_get("pk")?;
            let kind = Kind::of_sqlite(&declared).ok_or_else(|| {
                anyhow::anyhow!(
                    "{name}.{column} has type {declared:?}; the migration copies integer, text and blob columns only"
                )
            })?;
            if pk > 0 {
                key.push((pk, column.clone()));
            }
            columns.push(Column { name: column, kind });
        }
        key.sort();
        let order = if key.is_empty() {
            columns.iter().map(|c| c.name.clone()).collect()
        } else {
            key.into_iter().map(|(_, c)| c).collect()
        };
        let references: BTreeSet<String> =
            sqlx::query_scalar("SELECT \"table\" FROM pragma_foreign_key_list(?)")
                .bind(&name)
                .fetch_all(&mut *src)
                .await?
                .into_iter()
                .collect();
        tables.push(Table {
            name,
            columns,
            order,
            references,
        });
    }
    foreign_key_order(tables)
}

/// Sorts tables so that every table comes after the ones it references
/// (otherwise keeping the source's creation order). Fails on a reference to
/// an unknown table or a cycle.
fn foreign_key_order(mut left: Vec<Table>) -> anyhow::Result<Vec<Table>> {
    let known: BTreeSet<String> = left.iter().map(|t| t.name.clone()).collect();
    for t in &left {
        if let Some(r) = t.references.iter().find(|r| !known.contains(*r)) {
            anyhow::bail!(
                "{} references {r}, which is not a table of the source",
                t.name
            );
        }
    }
    let mut done = BTreeSet::new();
    let mut sorted = Vec::with_capacity(left.len());
    while !left.is_empty() {
        let ready = left
            .iter()
            .position(|t| {
                t.references
                    .iter()
                    .all(|r| *r == t.name || done.contains(r))
            })
            .ok_or_else(|| {
                let names: Vec<&str> = left.iter().map(|t| t.name.as_str()).collect();
                anyhow::anyhow!(
                    "the foreign keys of {} form a cycle; no copy order exists",
                    names.join(", ")
                )
            })?;
        let t = left.remove(ready);
        done.insert(t.name.clone());
        sorted.push(t);
    }
    Ok(sorted)
}

/// The target's tables (not sqlx's) and their columns' types.
async fn postgres_columns(
    dst: &mut AnyConnection,
) -> anyhow::Result<BTreeMap<String, BTreeMap<String, String>>> {
    let rows = sqlx::query(
        "SELECT c.table_name::text AS table_name, c.column_name::text AS column_name, c.data_type::text AS data_type \
         FROM information_schema.columns c \
         JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name \
         WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' AND c.table_name <> $1 AND c.table_name <> $2",
    )
    .bind(SQLX_MIGRATIONS)
    .bind(SEARCH_DOCS)
    .fetch_all(&mut *dst)
    .await?;
    let mut tables: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for r in &rows {
        tables
            .entry(r.try_get("table_name")?)
            .or_default()
            .insert(r.try_get("column_name")?, r.try_get("data_type")?);
    }
    Ok(tables)
}

/// What differs between the source's schema and the target's: tables or
/// columns on one side only, or columns whose types do not match.
fn schema_differences(
    source: &[Table],
    target: &BTreeMap<String, BTreeMap<String, String>>,
) -> Vec<String> {
    let mut out = Vec::new();
    for t in source {
        let Some(cols) = target.get(&t.name) else {
            out.push(format!("table {} is missing in the target", t.name));
            continue;
        };
        for c in &t.columns {
            match cols.get(&c.name) {
                None => out.push(format!(
                    "column {}.{} is missing in the target",
                    t.name, c.name
                )),
                Some(ty) if Kind::of_postgres(ty) != Some(c.kind) => out.push(format!(
                    "column {}.{} is {:?} in the source but {ty} in the target",
                    t.name, c.name, c.kind
                )),
                Some(_) => {}
            }
        }
        for name in cols.keys() {
            if !t.columns.iter().any(|c| &c.name == name) {
                out.push(format!("column {}.{name} is missing in the source", t.name));
            }
        }
    }
    for name in target.keys() {
        if !source.iter().any(|t| &t.name == name) {
            out.push(format!("table {name} is missing in the source"));
        }
    }
    out
}

/// One table's figures after the copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableReport {
    /// Table name.
    pub table: String,
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
    Blob(Option<Vec<u8>>),
}

fn read_row(r: &AnyRow, cols: &[Column]) -> anyhow::Result<Vec<Val>> {
    cols.iter()
        .enumerate()
        .map(|(i, c)| {
            Ok(match c.kind {
                Text => Val::Text(r.try_get::<Option<String>, _>(i)?),
                Int => Val::Int(r.try_get::<Option<i64>, _>(i)?),
                Blob => Val::Blob(r.try_get::<Option<Vec<u8>>, _>(i)?),
            })
        })
        .collect()
}

/// Every row of `table`, its columns in the source's order.
async fn read_table(conn: &mut AnyConnection, table: &Table) -> anyhow::Result<Vec<Vec<Val>>> {
    let names: Vec<String> = table.columns.iter().map(|c| quote(&c.name)).collect();
    let order: Vec<String> = table.order.iter().map(|c| quote(c)).collect();
    let sql = format!(
        "SELECT {} FROM {} ORDER BY {}",
        names.join(", "),
        quote(&table.name),
        order.join(", ")
    );
    let rows = sqlx::query(&sql).fetch_all(&mut *conn).await?;
    rows.iter().map(|r| read_row(r, &table.columns)).collect()
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
                    Val::Blob(Some(b)) => {
                        h.update(b"B");
                        h.update((b.len() as u64).to_le_bytes());
                        h.update(b);
                    }
                    Val::Text(None) | Val::Int(None) | Val::Blob(None) => h.update(b"N"),
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
    let tables = sqlite_tables(&mut src).await?;
    let differences = schema_differences(&tables, &postgres_columns(&mut dst).await?);
    anyhow::ensure!(
        differences.is_empty(),
        "the source and target schemas differ after their migrations ran, nothing was copied:\n  {}",
        differences.join("\n  ")
    );
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
    // What the target holds is what its migrations seeded (counters, the
    // default category, leases); the source's rows win. Children first.
    for table in tables.iter().rev() {
        sqlx::query(&format!("DELETE FROM {}", quote(&table.name)))
            .execute(&mut *tx)
            .await?;
    }
    for table in &tables {
        let rows = read_table(&mut src, table).await?;
        let names: Vec<String> = table.columns.iter().map(|c| quote(&c.name)).collect();
        for chunk in rows.chunks(200) {
            let mut sql = format!(
                "INSERT INTO {} ({}) VALUES ",
                quote(&table.name),
                names.join(", ")
            );
            let mut n = 0;
            for (i, _) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push_str(", ");
                }
                sql.push('(');
                for j in 0..names.len() {
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
                        Val::Blob(b) => q.bind(b.clone()),
                    };
                }
            }
            q.execute(&mut *tx).await?;
        }
    }
    // The copied counters say the source's index was built; the target's
    // is not yet.
    sqlx::query("UPDATE counters SET value = 1 WHERE name = 'search_backfill'")
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    crate::store::search::backfill(to, crate::store::Backend::Postgres).await?;
    let mut report = Vec::new();
    for table in &tables {
        let a = read_table(&mut src, table).await?;
        let b = read_table(&mut dst, table).await?;
        report.push(TableReport {
            table: table.name.clone(),
            source_rows: a.len() as u64,
            target_rows: b.len() as u64,
            source_sum: checksum(&a),
            target_sum: checksum(&b),
        });
    }
    // The rebuilt index holds the same documents as the source's (their
    // terms are each backend's own form, so ids, kinds and times compare).
    let docs = Table {
        name: SEARCH_DOCS.into(),
        columns: [
            ("doc_id", Text),
            ("conversation_id", Text),
            ("kind", Text),
            ("at", Int),
        ]
        .into_iter()
        .map(|(name, kind)| Column {
            name: name.into(),
            kind,
        })
        .collect(),
        order: vec!["doc_id".into()],
        references: BTreeSet::new(),
    };
    let a = read_table(&mut src, &docs).await?;
    let b = read_table(&mut dst, &docs).await?;
    report.push(TableReport {
        table: docs.name,
        source_rows: a.len() as u64,
        target_rows: b.len() as u64,
        source_sum: checksum(&a),
        target_sum: checksum(&b),
    });
    Ok(report)
}

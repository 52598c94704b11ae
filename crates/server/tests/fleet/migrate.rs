//! The SQLite → PostgreSQL migration of a demo database, and the schema
//! both backends get from the migrations.

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Command, Stdio};

use super::*;

/// A SQLite file in `dir` seeded with the demo team by the real binary; its URL.
fn seed_demo(dir: &tempfile::TempDir) -> String {
    let sqlite = format!("sqlite://{}", dir.path().join("demo.db").display());
    let ok = Command::new(BIN)
        .args(["seed-demo", "--database-url", &sqlite])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .status()
        .expect("seed-demo");
    assert!(ok.success());
    sqlite
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_demo_sqlite_database_migrates_to_postgres_and_reads_the_same() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sqlite = seed_demo(&dir);
    // A file of three chunks (BLOBs on SQLite, BYTEA on PostgreSQL).
    let file: Vec<u8> = (0..600_000u32).map(|i| (i % 251) as u8).collect();
    let upload_id = {
        let mut seeding = Instance::start(&sqlite).await;
        let admin = Client::new(&seeding.url)
            .expect("client")
            .login("admin@demo.switchboard", "switchboard-demo")
            .await
            .expect("login");
        let up = admin
            .upload("manual.bin", file.clone())
            .await
            .expect("upload");
        seeding.kill();
        up.id
    };
    let pg = postgres::server().fresh_database().await;
    let out = Command::new(BIN)
        .args(["migrate-sqlite-to-postgres", "--from", &sqlite, "--to", &pg])
        .env("RUST_LOG", "warn")
        .output()
        .expect("migrate");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "migration failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("migrated and verified"), "{stdout}");
    assert!(!stdout.contains("MISMATCH"), "{stdout}");
    // Every table of the source is in the report, so none was left behind.
    {
        use sqlx::Connection;
        let mut c = sqlx::sqlite::SqliteConnection::connect(&sqlite)
            .await
            .expect("open sqlite");
        // FTS5's virtual and shadow tables are the search index, rebuilt on
        // the target (its documents, `search_docs`, are reported), and
        // `search_terms` (the words FTS5 holds, for long prefixes) exists on
        // SQLite only: PostgreSQL's index needs no such list.
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' AND name <> '_sqlx_migrations' \
             AND name <> 'search_terms' \
             AND name IN (SELECT name FROM pragma_table_list WHERE type = 'table')",
        )
        .fetch_all(&mut c)
        .await
        .expect("tables");
        assert!(tables.len() > 20, "{tables:?}");
        for t in &tables {
            assert!(
                stdout
                    .lines()
                    .any(|l| l.split_whitespace().next() == Some(t.as_str()) && l.ends_with(" ok")),
                "{t} is not reported as copied:\n{stdout}"
            );
        }
    }

    let original_last_seq: i64 = {
        use sqlx::Connection;
        let mut c = sqlx::sqlite::SqliteConnection::connect(&sqlite)
            .await
            .expect("open sqlite");
        sqlx::query_scalar("SELECT value FROM counters WHERE name = 'event_seq'")
            .fetch_one(&mut c)
            .await
            .expect("counter")
    };
    let before = Instance::start(&sqlite).await;
    let after = Instance::start(&pg).await;
    let a = Client::new(&before.url)
        .expect("client")
        .login("admin@demo.switchboard", "switchboard-demo")
        .await
        .expect("login sqlite");
    let b = Client::new(&after.url)
        .expect("client")
        .login("admin@demo.switchboard", "switchboard-demo")
        .await
        .expect("login postgres");
    for view in [View::Queue, View::All] {
        let (x, y) = (
            a.conversations(view).await.expect("list"),
            b.conversations(view).await.expect("list"),
        );
        let ids = |v: &[switchboard_api::ConversationSummary]| {
            v.iter()
                .map(|c| (c.id.clone(), c.state.as_str(), c.assignee_id.clone()))
                .collect::<BTreeSet<_>>()
        };
        assert_eq!(ids(&x), ids(&y), "{view:?} lists agree");
    }
    assert_eq!(b.download(&upload_id).await.expect("the file"), file);
    let (ax, bx) = (
        a.agents().await.expect("agents"),
        b.agents().await.expect("agents"),
    );
    assert_eq!(ax, bx);
    let some = a.conversations(View::All).await.expect("list");
    for c in some.iter().take(5) {
        assert_eq!(
            a.conversation(&c.id).await.expect("a").messages,
            b.conversation(&c.id).await.expect("b").messages
        );
    }
    // The migrated log is the same on both sides (each server may have added
    // breach announcements since it started: compare the migrated range).
    let migrated = |page: switchboard_api::SyncPage| -> Vec<switchboard_api::Event> {
        page.events
            .into_iter()
            .filter(|e| e.seq <= original_last_seq)
            .collect()
    };
    let (sa, sb) = (
        a.sync(0, 5000).await.expect("sync"),
        b.sync(0, 5000).await.expect("sync"),
    );
    assert!(!sa.more && !sb.more);
    let (ma, mb) = (migrated(sa), migrated(sb));
    assert_eq!(ma.len() as i64, original_last_seq);
    assert!(ma == mb, "the event log moved whole");
    // The migrated database keeps working: new events continue the sequence.
    let created = b
        .create_conversation(&conversation(1, "general"))
        .await
        .expect("create on postgres");
    let all = b.sync(0, 5000).await.expect("sync after");
    let seqs: Vec<i64> = all.events.iter().map(|e| e.seq).collect();
    assert_eq!(
        seqs,
        (1..=seqs.len() as i64).collect::<Vec<_>>(),
        "gap-free after migration"
    );
    assert!(all.events.iter().any(|e| e.seq > original_last_seq
        && e.conversation_id.as_deref() == Some(created.summary.id.as_str())));
}

/// A column the target does not have (a migration run on one side only)
/// stops the migration before anything is copied, instead of being dropped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_column_only_the_source_has_stops_the_migration() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sqlite = seed_demo(&dir);
    {
        use sqlx::Connection;
        let mut c = sqlx::sqlite::SqliteConnection::connect(&sqlite)
            .await
            .expect("open sqlite");
        sqlx::query("ALTER TABLE conversations ADD COLUMN mood TEXT")
            .execute(&mut c)
            .await
            .expect("add a column");
    }
    let pg = postgres::server().fresh_database().await;
    let out = Command::new(BIN)
        .args(["migrate-sqlite-to-postgres", "--from", &sqlite, "--to", &pg])
        .env("RUST_LOG", "warn")
        .output()
        .expect("migrate");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(!out.status.success(), "{stdout}");
    assert!(!stdout.contains("migrated and verified"), "{stdout}");
    assert!(
        stderr.contains("conversations.mood is missing in the target"),
        "{stderr}"
    );
    use sqlx::Connection;
    let mut c = sqlx::postgres::PgConnection::connect(&pg)
        .await
        .expect("open postgres");
    let agents: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM agents")
        .fetch_one(&mut c)
        .await
        .expect("count");
    assert_eq!(agents, 0, "nothing was copied");
}

/// The schema, backend-neutral: table → column → type class ("integer",
/// "text", "blob", or the backend's own name for anything else), and table →
/// primary key columns in key order.
type Schema = (
    BTreeMap<String, BTreeMap<String, String>>,
    BTreeMap<String, Vec<String>>,
);

fn type_class(declared: &str) -> String {
    let d = declared.to_ascii_lowercase();
    match d.as_str() {
        "smallint" | "integer" | "bigint" | "int" => "integer".into(),
        "text" | "character varying" | "character" => "text".into(),
        "blob" | "bytea" => "blob".into(),
        _ => format!("other({d})"),
    }
}

async fn sqlite_schema(c: &mut sqlx::sqlite::SqliteConnection) -> Schema {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' AND name <> '_sqlx_migrations'",
    )
    .fetch_all(&mut *c)
    .await
    .expect("sqlite tables");
    let (mut columns, mut keys) = (BTreeMap::new(), BTreeMap::new());
    for t in tables {
        let info: Vec<(String, String, i64)> =
            sqlx::query_as("SELECT name, type, pk FROM pragma_table_info(?)")
                .bind(&t)
                .fetch_all(&mut *c)
                .await
                .expect("table info");
        let mut key: Vec<(i64, String)> = info
            .iter()
            .filter(|(_, _, pk)| *pk > 0)
            .map(|(n, _, pk)| (*pk, n.clone()))
            .collect();
        key.sort();
        keys.insert(t.clone(), key.into_iter().map(|(_, n)| n).collect());
        columns.insert(
            t,
            info.into_iter()
                .map(|(n, ty, _)| (n, type_class(&ty)))
                .collect(),
        );
    }
    (columns, keys)
}

async fn postgres_schema(c: &mut sqlx::postgres::PgConnection) -> Schema {
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT c.table_name::text, c.column_name::text, c.data_type::text \
         FROM information_schema.columns c \
         JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name \
         WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' AND c.table_name <> '_sqlx_migrations'",
    )
    .fetch_all(&mut *c)
    .await
    .expect("postgres columns");
    let mut columns: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for (t, n, ty) in rows {
        columns.entry(t).or_default().insert(n, type_class(&ty));
    }
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT k.table_name::text, k.column_name::text \
         FROM information_schema.table_constraints tc \
         JOIN information_schema.key_column_usage k \
           ON k.constraint_schema = tc.constraint_schema AND k.constraint_name = tc.constraint_name \
         WHERE tc.constraint_type = 'PRIMARY KEY' AND tc.table_schema = current_schema() \
           AND tc.table_name <> '_sqlx_migrations' \
         ORDER BY k.table_name, k.ordinal_position",
    )
    .fetch_all(&mut *c)
    .await
    .expect("postgres keys");
    let mut keys: BTreeMap<String, Vec<String>> =
        columns.keys().map(|t| (t.clone(), Vec::new())).collect();
    for (t, n) in rows {
        keys.entry(t).or_default().push(n);
    }
    (columns, keys)
}

/// The migrations give both backends the same schema: the same tables, the
/// same columns with compatible types and the same primary keys. The
/// SQLite → PostgreSQL migration reads the schema and refuses to copy when
/// the two disagree; this catches a difference before anyone migrates.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_backends_have_the_same_schema_after_migrations() {
    use sqlx::{ConnectOptions, Connection};
    let dir = tempfile::tempdir().expect("tempdir");
    let mut lite = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(dir.path().join("schema.db"))
        .create_if_missing(true)
        .connect()
        .await
        .expect("open sqlite");
    sqlx::migrate!("./migrations")
        .run(&mut lite)
        .await
        .expect("migrate sqlite");
    let url = postgres::server().fresh_database().await;
    let mut pg = sqlx::postgres::PgConnection::connect(&url)
        .await
        .expect("open postgres");
    sqlx::migrate!("./migrations")
        .run(&mut pg)
        .await
        .expect("migrate postgres");

    let (lite_columns, lite_keys) = sqlite_schema(&mut lite).await;
    let (pg_columns, pg_keys) = postgres_schema(&mut pg).await;
    assert!(
        lite_columns.contains_key("conversations") && lite_columns.len() > 20,
        "{lite_columns:?}"
    );
    assert_eq!(
        lite_columns.keys().collect::<Vec<_>>(),
        pg_columns.keys().collect::<Vec<_>>(),
        "the same tables"
    );
    for (table, columns) in &lite_columns {
        assert_eq!(
            Some(columns),
            pg_columns.get(table),
            "{table}: the same columns and types (SQLite, then PostgreSQL)"
        );
        for (column, class) in columns {
            assert!(
                !class.starts_with("other"),
                "{table}.{column} is {class}: the SQLite → PostgreSQL migration copies integer, text and blob columns"
            );
        }
    }
    assert_eq!(lite_keys, pg_keys, "the same primary keys");
}

//! The SQLite runner: binding, decoding, fetch modes and error kinds.

use super::*;

fn conn() -> rusqlite::Connection {
    let c = rusqlite::Connection::open_in_memory().expect("memory db");
    c.execute_batch("CREATE TABLE t (id TEXT PRIMARY KEY, n BIGINT, note TEXT)")
        .expect("table");
    c
}

fn rows(f: Fetched) -> Vec<Row> {
    match f {
        Fetched::Rows(r) => r,
        Fetched::Done(n) => panic!("expected rows, got a count of {n}"),
    }
}

/// `$N` takes argument N wherever it stands and however often, as sqlx
/// binds it on SQLite.
#[test]
fn numbered_parameters_take_their_own_argument() {
    let c = conn();
    let done = run_sqlite(
        &c,
        "INSERT INTO t (note, n, id) VALUES ($3, $2, $1)",
        vec![
            Value::Text("a".into()),
            Value::Int(7),
            Value::Null(Kind::Text),
        ],
        Fetch::Execute,
    )
    .expect("insert");
    assert!(matches!(done, Fetched::Done(1)));
    let found = rows(
        run_sqlite(
            &c,
            "SELECT id, n, note FROM t WHERE id = $1 AND (n = $2 OR id = $1)",
            vec![Value::Text("a".into()), Value::Int(0)],
            Fetch::All,
        )
        .expect("select"),
    );
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].try_get::<String, _>("id").expect("id"), "a");
    assert_eq!(found[0].try_get::<i64, _>(1).expect("n"), 7);
    assert_eq!(
        found[0].try_get::<Option<String>, _>("note").expect("note"),
        None
    );
}

/// Too few or too many arguments is an error, never a silent NULL.
#[test]
fn a_wrong_number_of_arguments_is_refused() {
    let c = conn();
    for args in [vec![], vec![Value::Int(1), Value::Int(2)]] {
        let err =
            run_sqlite(&c, "SELECT id FROM t WHERE n = $1", args, Fetch::All).expect_err("refused");
        assert!(
            matches!(err, rusqlite::Error::InvalidParameterCount(..)),
            "{err}"
        );
    }
}

/// A column read as the wrong type, or one that is not there, is an
/// error naming the column.
#[test]
fn a_column_of_another_type_or_name_is_an_error() {
    let c = conn();
    c.execute_batch("INSERT INTO t VALUES ('x', 1, 'note')")
        .expect("row");
    let found =
        rows(run_sqlite(&c, "SELECT id, n FROM t", vec![], Fetch::Optional).expect("select"));
    let err = found[0]
        .try_get::<i64, _>("id")
        .expect_err("text is not an integer");
    assert!(err.to_string().contains("id"), "{err}");
    let err = found[0]
        .try_get::<i64, _>("missing")
        .expect_err("no such column");
    assert!(matches!(err, sqlx::Error::ColumnNotFound(_)), "{err}");
    assert!(found[0].try_get::<bool, _>("n").expect("1 is true"));
}

/// `Optional` reads one row; `Execute` of a statement that returns rows
/// still runs it to the end and reports the rows changed.
#[test]
fn fetch_modes_read_what_they_say() {
    let c = conn();
    c.execute_batch("INSERT INTO t VALUES ('a', 1, NULL), ('b', 2, NULL)")
        .expect("rows");
    let one =
        rows(run_sqlite(&c, "SELECT id FROM t ORDER BY id", vec![], Fetch::Optional).expect("one"));
    assert_eq!(one.len(), 1);
    let done = run_sqlite(
        &c,
        "UPDATE t SET n = n + 10 RETURNING id",
        vec![],
        Fetch::Execute,
    )
    .expect("update");
    assert!(matches!(done, Fetched::Done(2)), "{done:?}");
}

/// A unique violation keeps its kind through the error conversion.
#[test]
fn constraint_errors_keep_their_kind() {
    let c = conn();
    c.execute_batch("INSERT INTO t VALUES ('a', 1, NULL)")
        .expect("row");
    let err = run_sqlite(
        &c,
        "INSERT INTO t (id) VALUES ($1)",
        vec![Value::Text("a".into())],
        Fetch::Execute,
    )
    .map_err(sqlite_error)
    .expect_err("duplicate");
    let db = err.as_database_error().expect("a database error");
    assert_eq!(db.kind(), sqlx::error::ErrorKind::UniqueViolation);
}

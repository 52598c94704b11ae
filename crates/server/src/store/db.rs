//! One way to run SQL on either backend, inside a write or on a read
//! connection: [`query`] builds a statement with its arguments, and runs it on
//! anything that is a [`Db`].
//!
//! Why not sqlx alone: sqlx runs every SQLite statement on a worker thread of
//! its own, so each statement is a hand-off between two threads (two futex
//! wake-ups and task switches). The writer runs ~6 statements per
//! conversation, and those hand-offs were over half of its time. On SQLite
//! the writer's [`Tx`] therefore owns a `rusqlite` connection (the same
//! SQLite build sqlx links) on a thread of its own, and runs each statement
//! in place. On PostgreSQL, and on the read pool, the same statements go
//! through sqlx.
//!
//! SQL uses `$n` parameters, which both backends understand.

use std::future::Future;
use std::sync::Arc;

use futures_util::future::BoxFuture;
use rusqlite::types::Value as SqliteValue;
use sqlx::any::AnyRow;
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, AnyPool, Row as _};

use super::{Conn, Tx};

/// A statement's argument, as bound.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A 64-bit integer.
    Int(i64),
    /// A 32-bit integer (bound as such on PostgreSQL).
    Int32(i32),
    /// A float.
    Real(f64),
    /// A boolean (an integer on SQLite).
    Bool(bool),
    /// Text.
    Text(String),
    /// Bytes.
    Blob(Vec<u8>),
    /// NULL, typed as the Rust value it stands for (PostgreSQL wants to know).
    Null(Kind),
}

/// The type of a NULL argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// BIGINT.
    Int,
    /// INTEGER.
    Int32,
    /// DOUBLE PRECISION.
    Real,
    /// BOOLEAN.
    Bool,
    /// TEXT.
    Text,
    /// BYTEA / BLOB.
    Blob,
}

/// A Rust value that can be bound to a statement.
pub trait Bind {
    /// The type of this value's NULL.
    const KIND: Kind;
    /// The argument.
    fn value(self) -> Value;
}

macro_rules! bind_copy {
    ($t:ty, $kind:ident, $v:ident => $e:expr) => {
        impl Bind for $t {
            const KIND: Kind = Kind::$kind;
            fn value(self) -> Value {
                let $v = self;
                $e
            }
        }
        impl Bind for &$t {
            const KIND: Kind = Kind::$kind;
            fn value(self) -> Value {
                let $v = *self;
                $e
            }
        }
    };
}

bind_copy!(i64, Int, v => Value::Int(v));
bind_copy!(i32, Int32, v => Value::Int32(v));
bind_copy!(f64, Real, v => Value::Real(v));
bind_copy!(bool, Bool, v => Value::Bool(v));

impl Bind for String {
    const KIND: Kind = Kind::Text;
    fn value(self) -> Value {
        Value::Text(self)
    }
}

impl Bind for &String {
    const KIND: Kind = Kind::Text;
    fn value(self) -> Value {
        Value::Text(self.clone())
    }
}

impl Bind for &str {
    const KIND: Kind = Kind::Text;
    fn value(self) -> Value {
        Value::Text(self.to_owned())
    }
}

impl Bind for Vec<u8> {
    const KIND: Kind = Kind::Blob;
    fn value(self) -> Value {
        Value::Blob(self)
    }
}

impl Bind for &[u8] {
    const KIND: Kind = Kind::Blob;
    fn value(self) -> Value {
        Value::Blob(self.to_vec())
    }
}

impl<T: Bind> Bind for Option<T> {
    const KIND: Kind = T::KIND;
    fn value(self) -> Value {
        match self {
            Some(v) => v.value(),
            None => Value::Null(T::KIND),
        }
    }
}

impl Bind for &Option<i64> {
    const KIND: Kind = Kind::Int;
    fn value(self) -> Value {
        (*self).value()
    }
}

impl Bind for &Option<String> {
    const KIND: Kind = Kind::Text;
    fn value(self) -> Value {
        self.as_deref().value()
    }
}

/// What a statement is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fetch {
    /// Nothing: the number of rows it changed.
    Execute,
    /// The first row, if any.
    Optional,
    /// Every row.
    All,
}

/// What a statement gave back.
#[derive(Debug)]
pub enum Fetched {
    /// Rows changed.
    Done(u64),
    /// Rows read (at most one for [`Fetch::Optional`]).
    Rows(Vec<Row>),
}

/// Something that runs statements: the write transaction or a read connection.
pub trait Db: Send {
    /// Runs `sql` with `args`.
    fn run<'a>(
        &'a mut self,
        sql: &'a str,
        args: Vec<Value>,
        fetch: Fetch,
    ) -> impl Future<Output = Result<Fetched, sqlx::Error>> + Send + 'a;
}

/// A statement and its arguments.
#[derive(Debug, Clone)]
#[must_use = "a query does nothing until it runs"]
pub struct Query<'q> {
    sql: &'q str,
    args: Vec<Value>,
}

/// Starts a statement (`$1`, `$2`, … for its arguments).
pub fn query(sql: &str) -> Query<'_> {
    Query {
        sql,
        args: Vec::new(),
    }
}

/// Where a [`Query`] can run: a `&mut` [`Db`] (the write transaction, a
/// read connection) or the read pool itself (`&AnyPool`, which lends a
/// connection for the one statement).
pub trait Runner: Send {
    /// Runs `sql` with `args`.
    fn run_on<'s>(
        self,
        sql: &'s str,
        args: Vec<Value>,
        fetch: Fetch,
    ) -> BoxFuture<'s, Result<Fetched, sqlx::Error>>
    where
        Self: 's;
}

impl<D: Db> Runner for &mut D {
    fn run_on<'s>(
        self,
        sql: &'s str,
        args: Vec<Value>,
        fetch: Fetch,
    ) -> BoxFuture<'s, Result<Fetched, sqlx::Error>>
    where
        Self: 's,
    {
        Box::pin(Db::run(self, sql, args, fetch))
    }
}

impl Runner for &AnyPool {
    fn run_on<'s>(
        self,
        sql: &'s str,
        args: Vec<Value>,
        fetch: Fetch,
    ) -> BoxFuture<'s, Result<Fetched, sqlx::Error>>
    where
        Self: 's,
    {
        Box::pin(async move {
            let mut conn = self.acquire().await?;
            run_sqlx(&mut conn, sql, args, fetch).await
        })
    }
}

impl<'q> Query<'q> {
    /// Adds the next argument.
    pub fn bind(mut self, value: impl Bind) -> Self {
        self.args.push(value.value());
        self
    }

    /// Runs it; the number of rows changed.
    pub async fn execute(self, db: impl Runner) -> Result<u64, sqlx::Error> {
        match db.run_on(self.sql, self.args, Fetch::Execute).await? {
            Fetched::Done(n) => Ok(n),
            Fetched::Rows(r) => Ok(r.len() as u64),
        }
    }

    /// Every row.
    pub async fn fetch_all(self, db: impl Runner) -> Result<Vec<Row>, sqlx::Error> {
        match db.run_on(self.sql, self.args, Fetch::All).await? {
            Fetched::Rows(r) => Ok(r),
            Fetched::Done(_) => Ok(Vec::new()),
        }
    }

    /// The first row, if any.
    pub async fn fetch_optional(self, db: impl Runner) -> Result<Option<Row>, sqlx::Error> {
        match db.run_on(self.sql, self.args, Fetch::Optional).await? {
            Fetched::Rows(r) => Ok(r.into_iter().next()),
            Fetched::Done(_) => Ok(None),
        }
    }

    /// The first row; [`sqlx::Error::RowNotFound`] if none.
    pub async fn fetch_one(self, db: impl Runner) -> Result<Row, sqlx::Error> {
        self.fetch_optional(db)
            .await?
            .ok_or(sqlx::Error::RowNotFound)
    }

    /// The first column of the first row; [`sqlx::Error::RowNotFound`] if none.
    pub async fn fetch_scalar<T: Column>(self, db: impl Runner) -> Result<T, sqlx::Error> {
        self.fetch_one(db).await?.try_get(0)
    }

    /// The first column of the first row, if there is a row.
    pub async fn fetch_optional_scalar<T: Column>(
        self,
        db: impl Runner,
    ) -> Result<Option<T>, sqlx::Error> {
        match self.fetch_optional(db).await? {
            Some(r) => Ok(Some(r.try_get(0)?)),
            None => Ok(None),
        }
    }

    /// The first column of every row.
    pub async fn fetch_all_scalar<T: Column>(self, db: impl Runner) -> Result<Vec<T>, sqlx::Error> {
        self.fetch_all(db)
            .await?
            .iter()
            .map(|r| r.try_get(0))
            .collect()
    }
}

/// A row read by either backend.
pub struct Row(RowInner);

impl std::fmt::Debug for Row {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            RowInner::Any(r) => f
                .debug_struct("Row")
                .field("columns", &r.columns.len())
                .finish(),
            RowInner::Sqlite(r) => f.debug_struct("Row").field("columns", &r.names).finish(),
        }
    }
}

enum RowInner {
    Any(AnyRow),
    Sqlite(OwnedRow),
}

/// A row read by `rusqlite`, copied out of the statement.
#[derive(Debug)]
struct OwnedRow {
    names: Arc<[String]>,
    values: Vec<SqliteValue>,
}

/// Names a column: by position (from 0) or by name.
pub trait ColumnRef: sqlx::ColumnIndex<AnyRow> + std::fmt::Display + Copy {
    /// The position among `names`.
    fn position(&self, names: &[String]) -> Option<usize>;
}

impl ColumnRef for usize {
    fn position(&self, names: &[String]) -> Option<usize> {
        (*self < names.len()).then_some(*self)
    }
}

impl ColumnRef for &str {
    fn position(&self, names: &[String]) -> Option<usize> {
        names.iter().position(|n| n == self)
    }
}

/// A Rust type a column can be read as, on both backends.
pub trait Column: for<'r> sqlx::Decode<'r, Any> + sqlx::Type<Any> + Sized {
    /// Reads a SQLite value.
    fn from_sqlite(v: &SqliteValue) -> Result<Self, String>;
}

fn mismatch(want: &str, got: &SqliteValue) -> String {
    format!("expected {want}, found {:?}", got.data_type())
}

impl Column for i64 {
    fn from_sqlite(v: &SqliteValue) -> Result<Self, String> {
        match v {
            SqliteValue::Integer(i) => Ok(*i),
            other => Err(mismatch("an integer", other)),
        }
    }
}

impl Column for i32 {
    fn from_sqlite(v: &SqliteValue) -> Result<Self, String> {
        let i = i64::from_sqlite(v)?;
        i32::try_from(i).map_err(|_| format!("{i} does not fit in 32 bits"))
    }
}

impl Column for bool {
    fn from_sqlite(v: &SqliteValue) -> Result<Self, String> {
        Ok(i64::from_sqlite(v)? != 0)
    }
}

impl Column for f64 {
    fn from_sqlite(v: &SqliteValue) -> Result<Self, String> {
        match v {
            SqliteValue::Real(f) => Ok(*f),
            SqliteValue::Integer(i) => Ok(*i as f64),
            other => Err(mismatch("a number", other)),
        }
    }
}

impl Column for String {
    fn from_sqlite(v: &SqliteValue) -> Result<Self, String> {
        match v {
            SqliteValue::Text(s) => Ok(s.clone()),
            other => Err(mismatch("text", other)),
        }
    }
}

impl Column for Vec<u8> {
    fn from_sqlite(v: &SqliteValue) -> Result<Self, String> {
        match v {
            SqliteValue::Blob(b) => Ok(b.clone()),
            SqliteValue::Text(s) => Ok(s.clone().into_bytes()),
            other => Err(mismatch("bytes", other)),
        }
    }
}

impl<T: Column> Column for Option<T> {
    fn from_sqlite(v: &SqliteValue) -> Result<Self, String> {
        match v {
            SqliteValue::Null => Ok(None),
            v => T::from_sqlite(v).map(Some),
        }
    }
}

impl Row {
    /// The column `index` (a position or a name) as a `T`.
    pub fn try_get<T: Column, I: ColumnRef>(&self, index: I) -> Result<T, sqlx::Error> {
        match &self.0 {
            RowInner::Any(r) => r.try_get(index),
            RowInner::Sqlite(r) => {
                let at = index
                    .position(&r.names)
                    .ok_or_else(|| sqlx::Error::ColumnNotFound(index.to_string()))?;
                T::from_sqlite(&r.values[at]).map_err(|e| sqlx::Error::ColumnDecode {
                    index: index.to_string(),
                    source: e.into(),
                })
            }
        }
    }
}

// ---- sqlx: PostgreSQL, and every read connection ----

fn bind_all<'q>(
    mut q: sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>,
    args: Vec<Value>,
) -> sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>> {
    for a in args {
        q = match a {
            Value::Int(v) => q.bind(v),
            Value::Int32(v) => q.bind(v),
            Value::Real(v) => q.bind(v),
            Value::Bool(v) => q.bind(v),
            Value::Text(v) => q.bind(v),
            Value::Blob(v) => q.bind(v),
            Value::Null(Kind::Int) => q.bind(None::<i64>),
            Value::Null(Kind::Int32) => q.bind(None::<i32>),
            Value::Null(Kind::Real) => q.bind(None::<f64>),
            Value::Null(Kind::Bool) => q.bind(None::<bool>),
            Value::Null(Kind::Text) => q.bind(None::<String>),
            Value::Null(Kind::Blob) => q.bind(None::<Vec<u8>>),
        };
    }
    q
}

async fn run_sqlx(
    conn: &mut AnyConnection,
    sql: &str,
    args: Vec<Value>,
    fetch: Fetch,
) -> Result<Fetched, sqlx::Error> {
    let q = bind_all(sqlx::query(sql), args);
    Ok(match fetch {
        Fetch::Execute => Fetched::Done(q.execute(conn).await?.rows_affected()),
        Fetch::Optional => Fetched::Rows(
            q.fetch_optional(conn)
                .await?
                .map(|r| Row(RowInner::Any(r)))
                .into_iter()
                .collect(),
        ),
        Fetch::All => Fetched::Rows(
            q.fetch_all(conn)
                .await?
                .into_iter()
                .map(|r| Row(RowInner::Any(r)))
                .collect(),
        ),
    })
}

impl Db for AnyConnection {
    fn run<'a>(
        &'a mut self,
        sql: &'a str,
        args: Vec<Value>,
        fetch: Fetch,
    ) -> impl Future<Output = Result<Fetched, sqlx::Error>> + Send + 'a {
        run_sqlx(self, sql, args, fetch)
    }
}

impl Db for PoolConnection<Any> {
    fn run<'a>(
        &'a mut self,
        sql: &'a str,
        args: Vec<Value>,
        fetch: Fetch,
    ) -> impl Future<Output = Result<Fetched, sqlx::Error>> + Send + 'a {
        run_sqlx(self, sql, args, fetch)
    }
}

impl Db for Tx {
    async fn run(
        &mut self,
        sql: &str,
        args: Vec<Value>,
        fetch: Fetch,
    ) -> Result<Fetched, sqlx::Error> {
        match &mut self.conn {
            Conn::Postgres(c) => run_sqlx(c, sql, args, fetch).await,
            // Synchronous, in place: the writer's thread owns this connection.
            Conn::Sqlite(c) => run_sqlite(c, sql, args, fetch).map_err(sqlite_error),
        }
    }
}

// ---- rusqlite: the SQLite writer ----

fn to_sqlite(v: Value) -> SqliteValue {
    match v {
        Value::Int(i) => SqliteValue::Integer(i),
        Value::Int32(i) => SqliteValue::Integer(i64::from(i)),
        Value::Real(f) => SqliteValue::Real(f),
        Value::Bool(b) => SqliteValue::Integer(i64::from(b)),
        Value::Text(s) => SqliteValue::Text(s),
        Value::Blob(b) => SqliteValue::Blob(b),
        Value::Null(_) => SqliteValue::Null,
    }
}

/// Runs one statement on the writer's SQLite connection (its prepared form is
/// cached by the connection).
///
/// Arguments bind as sqlx binds them on SQLite: a parameter named `$N` takes
/// argument N (so `$1` may come twice, or after `$2`); any other takes the
/// next argument in order.
pub(super) fn run_sqlite(
    conn: &rusqlite::Connection,
    sql: &str,
    args: Vec<Value>,
    fetch: Fetch,
) -> rusqlite::Result<Fetched> {
    let mut stmt = conn.prepare_cached(sql)?;
    let given = args.len();
    let mut args: Vec<Option<SqliteValue>> = args.into_iter().map(|a| Some(to_sqlite(a))).collect();
    for i in 1..=stmt.parameter_count() {
        let n = stmt
            .parameter_name(i)
            .and_then(|name| name.strip_prefix('$')?.parse::<usize>().ok())
            .unwrap_or(i);
        let value = n
            .checked_sub(1)
            .and_then(|at| args.get_mut(at))
            .and_then(Option::take)
            .ok_or(rusqlite::Error::InvalidParameterCount(given, n))?;
        stmt.raw_bind_parameter(i, value)?;
    }
    if args.iter().any(Option::is_some) {
        return Err(rusqlite::Error::InvalidParameterCount(
            given,
            stmt.parameter_count(),
        ));
    }
    if fetch == Fetch::Execute && stmt.column_count() == 0 {
        return Ok(Fetched::Done(stmt.raw_execute()? as u64));
    }
    let names: Arc<[String]> = stmt.column_names().into_iter().map(str::to_owned).collect();
    let width = names.len();
    let mut rows = stmt.raw_query();
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        if fetch == Fetch::Execute {
            continue;
        }
        let mut values = Vec::with_capacity(width);
        for i in 0..width {
            values.push(r.get::<_, SqliteValue>(i)?);
        }
        out.push(Row(RowInner::Sqlite(OwnedRow {
            names: names.clone(),
            values,
        })));
        if fetch == Fetch::Optional {
            break;
        }
    }
    drop(rows);
    Ok(match fetch {
        Fetch::Execute => Fetched::Done(conn.changes()),
        _ => Fetched::Rows(out),
    })
}

/// A SQLite error, as the rest of the server sees database errors.
pub(super) fn sqlite_error(e: rusqlite::Error) -> sqlx::Error {
    sqlx::Error::Database(Box::new(SqliteError(e)))
}

#[derive(Debug)]
struct SqliteError(rusqlite::Error);

impl std::fmt::Display for SqliteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for SqliteError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

impl sqlx::error::DatabaseError for SqliteError {
    fn message(&self) -> &str {
        match &self.0 {
            rusqlite::Error::SqliteFailure(_, Some(m)) => m,
            _ => "SQLite error",
        }
    }

    fn code(&self) -> Option<std::borrow::Cow<'_, str>> {
        self.0
            .sqlite_error()
            .map(|e| e.extended_code.to_string().into())
    }

    fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
        self
    }

    fn kind(&self) -> sqlx::error::ErrorKind {
        use rusqlite::ffi;
        match self.0.sqlite_error().map(|e| e.extended_code) {
            Some(ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY) => {
                sqlx::error::ErrorKind::UniqueViolation
            }
            Some(ffi::SQLITE_CONSTRAINT_FOREIGNKEY) => sqlx::error::ErrorKind::ForeignKeyViolation,
            Some(ffi::SQLITE_CONSTRAINT_NOTNULL) => sqlx::error::ErrorKind::NotNullViolation,
            Some(ffi::SQLITE_CONSTRAINT_CHECK) => sqlx::error::ErrorKind::CheckViolation,
            _ => sqlx::error::ErrorKind::Other,
        }
    }
}

#[cfg(test)]
mod tests;

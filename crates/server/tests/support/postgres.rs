//! The throwaway PostgreSQL now lives in `switchboard_testkit::postgres`.
//! This file stays only because `benches/load.rs` includes it by path
//! (`#[path = "../tests/support/postgres.rs"] mod postgres;`); once the
//! bench says `use switchboard_testkit::postgres;` it can go.

pub use switchboard_testkit::postgres::*;

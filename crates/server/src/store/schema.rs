//! The migrations a database runs: the shared ones (`migrations/*.sql`,
//! plain SQL that SQLite and PostgreSQL both accept) plus its own backend's
//! (`migrations/sqlite/`, `migrations/postgres/`: only what has no common
//! SQL, such as the search index — FTS5 on one, `tsvector` on the other).
//! One numbering runs through all three directories; a backend's file takes
//! a number of its own, and both backends' files of one change share it.

use std::borrow::Cow;

use sqlx::migrate::Migrator;

use super::Backend;

/// The migrations of `backend`, in version order.
pub fn migrator(backend: Backend) -> anyhow::Result<Migrator> {
    let shared = sqlx::migrate!("./migrations");
    let own = match backend {
        Backend::Sqlite => sqlx::migrate!("./migrations/sqlite"),
        Backend::Postgres => sqlx::migrate!("./migrations/postgres"),
    };
    let mut all: Vec<_> = shared
        .migrations
        .iter()
        .chain(own.migrations.iter())
        .cloned()
        .collect();
    all.sort_by_key(|m| m.version);
    if let Some(w) = all.windows(2).find(|w| w[0].version == w[1].version) {
        anyhow::bail!(
            "two migrations share version {} ({} and {}): renumber one",
            w[0].version,
            w[0].description,
            w[1].description
        );
    }
    let mut m = shared;
    m.migrations = Cow::Owned(all);
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_backend_runs_the_shared_migrations_and_its_own_in_order() {
        for backend in [Backend::Sqlite, Backend::Postgres] {
            let m = migrator(backend).expect("no clash");
            let versions: Vec<i64> = m.migrations.iter().map(|m| m.version).collect();
            assert!(versions.windows(2).all(|w| w[0] < w[1]), "{versions:?}");
            assert!(m.migrations.iter().any(|m| m.description == "search"));
            assert!(versions.contains(&1));
        }
        let lite = migrator(Backend::Sqlite).expect("sqlite");
        assert!(lite.migrations.iter().any(|m| m.sql.contains("fts5")));
        let pg = migrator(Backend::Postgres).expect("postgres");
        assert!(pg.migrations.iter().any(|m| m.sql.contains("TSVECTOR")));
    }
}

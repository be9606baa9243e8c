//! PostgreSQL for tests and benchmarks: a fresh database per test on the server the machine runs
//! (127.0.0.1:5432, or `PARLOG_TEST_PG`), dropped when the test ends.
//!
//! Without a server the PostgreSQL tests are skipped with a message, unless
//! `PARLOG_TEST_PG_REQUIRED=1` (the test command sets it once it has made sure a server runs),
//! in which case they fail: a suite that silently skipped the second backend would prove nothing.

use std::sync::atomic::{AtomicU64, Ordering};

/// The administrative address tests create their databases through.
pub const DEFAULT_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A database of its own for one test.
pub struct TestDb {
    /// Its address, to give to `PgDatabase::connect` or `parlog --store`.
    pub url: String,
    name: String,
    admin: String,
}

fn admin_url() -> String {
    std::env::var("PARLOG_TEST_PG").unwrap_or_else(|_| DEFAULT_ADMIN_URL.to_string())
}

fn required() -> bool {
    std::env::var("PARLOG_TEST_PG_REQUIRED").is_ok_and(|v| v == "1")
}

/// Runs `sql` on the administrative database (one statement, no results).
pub fn admin_execute(admin: &str, sql: &str) -> Result<(), String> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
    rt.block_on(async {
        let (client, conn) = tokio_postgres::connect(admin, tokio_postgres::NoTls).await.map_err(|e| e.to_string())?;
        let driver = tokio::spawn(conn);
        let r = client.batch_execute(sql).await.map_err(|e| e.to_string());
        drop(client);
        let _ = driver.await;
        r
    })
}

/// Replaces the database name of a PostgreSQL address.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let slash = base.rfind('/').filter(|i| *i > base.find("://").map_or(0, |s| s + 2)).unwrap_or(base.len());
    let mut out = format!("{}/{name}", &base[..slash]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// A new, empty database, or `None` (after saying why) when no PostgreSQL server is reachable
/// and the tests are not required to run.
pub fn test_db() -> Option<TestDb> {
    static N: AtomicU64 = AtomicU64::new(0);
    let admin = admin_url();
    let name = format!("parlog_t_{}_{}_{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed), fastrand::u32(..));
    match admin_execute(&admin, &format!("CREATE DATABASE {name}")) {
        Ok(()) => Some(TestDb { url: with_database(&admin, &name), name, admin }),
        Err(e) if !required() => {
            eprintln!(
                "skipped: no PostgreSQL server at {} ({e}); the test command starts one, or set PARLOG_TEST_PG",
                parlog_core::pg::shown_url(&admin)
            );
            None
        }
        Err(e) => panic!("PostgreSQL is required (PARLOG_TEST_PG_REQUIRED=1) but {admin} refused: {e}"),
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("the failing test's database is kept for inspection: {}", self.url);
            return;
        }
        let _ = admin_execute(&self.admin, &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
    }
}

//! PostgreSQL for tests and benchmarks: a fresh database per test on the server the machine runs
//! (127.0.0.1:5432, or `PARLOG_TEST_PG`), dropped when the test ends.
//!
//! Without a server the PostgreSQL tests are skipped with a message, unless
//! `PARLOG_TEST_PG_REQUIRED=1` (the test command sets it once it has made sure a server runs),
//! in which case they fail: a suite that silently skipped the second backend would prove nothing.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// The administrative address tests create their databases through.
pub const DEFAULT_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A database of its own for one test.
pub struct TestDb {
    /// Its address, to give to `PgDatabase::connect` or `parlog --store`.
    pub url: String,
    name: String,
    admin: String,
    /// Drop the database even when the test fails (see [`TestDb::discard`]).
    discard: AtomicBool,
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
        Ok(()) => Some(TestDb { url: with_database(&admin, &name), name, admin, discard: AtomicBool::new(false) }),
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

impl TestDb {
    /// Drop the database also when the test fails: for property tests, which fail many times
    /// while shrinking.
    pub fn discard(&self) {
        self.discard.store(true, Ordering::Relaxed);
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if std::thread::panicking() && !self.discard.load(Ordering::Relaxed) {
            eprintln!("the failing test's database is kept for inspection: {}", self.url);
            return;
        }
        let _ = admin_execute(&self.admin, &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
    }
}

/// A connection of a test's own, for SQL behind the store's back (tampering, looking at rows).
/// Every call runs in this one session, so a `SET` holds for the statements after it.
pub struct Sql {
    rt: tokio::runtime::Runtime,
    client: tokio_postgres::Client,
}

impl Sql {
    pub fn connect(url: &str) -> Result<Sql, String> {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
        let client = rt.block_on(async {
            let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls).await.map_err(|e| e.to_string())?;
            tokio::spawn(conn);
            Ok::<_, String>(client)
        })?;
        Ok(Sql { rt, client })
    }

    /// Runs statements (`;`-separated, no results); the error is PostgreSQL's message.
    pub fn execute(&self, sql: &str) -> Result<(), String> {
        self.rt.block_on(self.client.batch_execute(sql)).map_err(|e| match e.as_db_error() {
            Some(db) => db.message().to_string(),
            None => e.to_string(),
        })
    }

    /// Runs statements and returns the rows of their results, every value in PostgreSQL's text
    /// form (`bytea` as `\x…` hex), NULL as `None`.
    pub fn rows(&self, sql: &str) -> Result<Vec<Vec<Option<String>>>, String> {
        let messages = self.rt.block_on(self.client.simple_query(sql)).map_err(|e| match e.as_db_error() {
            Some(db) => db.message().to_string(),
            None => e.to_string(),
        })?;
        Ok(messages
            .into_iter()
            .filter_map(|m| match m {
                tokio_postgres::SimpleQueryMessage::Row(r) => {
                    Some((0..r.len()).map(|i| r.get(i).map(str::to_string)).collect())
                }
                _ => None,
            })
            .collect())
    }

    /// The value of a one-row, one-column query.
    pub fn value(&self, sql: &str) -> Result<Option<String>, String> {
        let rows = self.rows(sql)?;
        match rows.as_slice() {
            [row] if row.len() == 1 => Ok(row[0].clone()),
            _ => Err(format!("expected one value from {sql:?}, got {rows:?}")),
        }
    }

    /// Every column of `parlog.events` (of every study) whose bytes hold `needle`, as
    /// `study/position/column`.
    pub fn rows_containing(&self, needle: &[u8]) -> Vec<String> {
        let hex: String = needle.iter().map(|b| format!("{b:02x}")).collect();
        let sql = format!(
            "SELECT study, position, c FROM parlog.events e, LATERAL (VALUES
               ('record', e.record), ('ciphertext', e.ciphertext), ('hash', e.hash), ('retry', e.retry),
               ('id', uuid_send(e.id)), ('stream', convert_to(e.stream, 'UTF8')),
               ('forgets', convert_to(e.forgets, 'UTF8'))) AS v(c, b)
             WHERE position('\\x{hex}'::bytea IN b) > 0 ORDER BY study, position, c"
        );
        let rows = self.rows(&sql).unwrap_or_else(|e| panic!("searching the event rows: {e}"));
        rows.into_iter()
            .map(|r| r.into_iter().map(Option::unwrap_or_default).collect::<Vec<_>>().join("/"))
            .collect()
    }
}

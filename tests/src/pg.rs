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
            let (client, conn) =
                tokio_postgres::connect(url, tokio_postgres::NoTls).await.map_err(|e| e.to_string())?;
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
        rows.into_iter().map(|r| r.into_iter().map(Option::unwrap_or_default).collect::<Vec<_>>().join("/")).collect()
    }
}

/// Where Debian puts PostgreSQL 15's programs.
pub const PG_BIN: &str = "/usr/lib/postgresql/15/bin";

/// A PostgreSQL server of a test's own: a cluster made with `initdb` in a temporary folder,
/// listening on 127.0.0.1 at a free port (and a socket in that folder), for tests that stop
/// or crash the server. Never the machine's own server. Stopped (immediately) when dropped.
///
/// As root, the programs run as the `postgres` user (`runuser`), which owns the folder; as
/// another user, they run as that user.
pub struct PrivateServer {
    dir: tempfile::TempDir,
    pub port: u16,
}

impl PrivateServer {
    /// Makes and starts the cluster; `None` (after saying why) when the programs are missing
    /// and the PostgreSQL tests are not required.
    pub fn start() -> Option<PrivateServer> {
        match PrivateServer::try_start() {
            Ok(s) => Some(s),
            Err(e) if !required() => {
                eprintln!("skipped: cannot start a private PostgreSQL server ({e}); install postgresql-15");
                None
            }
            Err(e) => {
                panic!("PostgreSQL is required (PARLOG_TEST_PG_REQUIRED=1) but a private server would not start: {e}")
            }
        }
    }

    fn try_start() -> Result<PrivateServer, String> {
        for p in ["initdb", "pg_ctl"] {
            if !std::path::Path::new(PG_BIN).join(p).exists() {
                return Err(format!("{PG_BIN}/{p} is missing"));
            }
        }
        // Under /tmp: the socket's path must stay short.
        let dir = tempfile::Builder::new().prefix("parlog-pg-").tempdir_in("/tmp").map_err(|e| e.to_string())?;
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } == 0 {
            let status = std::process::Command::new("chown")
                .arg("postgres:postgres")
                .arg(dir.path())
                .status()
                .map_err(|e| format!("chown: {e}"))?;
            if !status.success() {
                return Err("chown postgres of the cluster's folder failed (is there a postgres user?)".into());
            }
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("finding a free port: {e}"))?
            .port();
        let server = PrivateServer { dir, port };
        let data = server.data();
        server.run("initdb", &["-D", &data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"])?;
        server.start_again()?;
        Ok(server)
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    /// Runs one of PostgreSQL's programs as the cluster's owner; its output goes to the log.
    fn run(&self, program: &str, args: &[&str]) -> Result<(), String> {
        let exe = format!("{PG_BIN}/{program}");
        // SAFETY: geteuid has no preconditions.
        let mut cmd = if unsafe { libc::geteuid() } == 0 {
            let mut c = std::process::Command::new("runuser");
            c.args(["-u", "postgres", "--", &exe]);
            c
        } else {
            std::process::Command::new(&exe)
        };
        let out = cmd.args(args).output().map_err(|e| format!("{program}: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "{program} {}: {}\n{}{}",
                args.join(" "),
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(())
    }

    /// The administrative address (database `postgres`).
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Starts the (stopped) server and waits until it takes connections.
    pub fn start_again(&self) -> Result<(), String> {
        let options = format!("-p {} -k {} -c listen_addresses=127.0.0.1", self.port, self.dir.path().display());
        let log = self.dir.path().join("server.log").display().to_string();
        self.run("pg_ctl", &["-D", &self.data(), "-o", &options, "-l", &log, "-w", "-t", "60", "start"])
    }

    /// Stops the server as a crash would: `pg_ctl -m immediate stop` ends every server process
    /// at once, without a checkpoint; the next start recovers from the WAL.
    pub fn crash(&self) -> Result<(), String> {
        self.run("pg_ctl", &["-D", &self.data(), "-m", "immediate", "-w", "stop"])
    }

    /// Restarts the server cleanly: `pg_ctl -m fast restart` (open connections are ended).
    pub fn restart(&self) -> Result<(), String> {
        let options = format!("-p {} -k {} -c listen_addresses=127.0.0.1", self.port, self.dir.path().display());
        let log = self.dir.path().join("server.log").display().to_string();
        self.run("pg_ctl", &["-D", &self.data(), "-o", &options, "-l", &log, "-m", "fast", "-w", "-t", "60", "restart"])
    }

    /// The server's log so far, for a failing test's message.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }
}

impl Drop for PrivateServer {
    fn drop(&mut self) {
        let _ = self.run("pg_ctl", &["-D", &self.data(), "-m", "immediate", "-w", "stop"]);
    }
}

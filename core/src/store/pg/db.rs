//! A PostgreSQL database that holds parlog studies: its connection pool, the runtime that drives
//! the connections, and the schema's migrations.
//!
//! The store's interface is synchronous (as the embedded store's is), and it is called from plain
//! threads and from inside the server's runtime alike. So the database owns a small runtime of its
//! own and every query runs there; a caller waits on a plain channel, which is allowed anywhere.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::NoTls;

use super::schema::{CREATE_SCHEMA, MIGRATIONS, MIGRATION_LOCK, SCHEMA_VERSION};
use crate::ids::StudySlug;
use crate::limits::{PG_POOL_CONNECTIONS_MAX, PG_RUNTIME_THREADS, PG_WRITER_CONNECTIONS_MAX};
use crate::store::StoreError;

/// How long making a connection may take.
const PG_CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
/// How long a query waits for a free connection of the pool.
const PG_POOL_WAIT: std::time::Duration = std::time::Duration::from_secs(30);
const PG_KEEPALIVE_IDLE: std::time::Duration = std::time::Duration::from_secs(30);

/// A database that holds parlog studies. Cheap to clone; every clone shares one pool.
#[derive(Clone)]
pub struct PgDatabase {
    inner: Arc<Inner>,
}

struct Inner {
    runtime: Option<tokio::runtime::Runtime>,
    pool: Pool,
    /// The parsed address, for the writers' own connections (outside the pool).
    config: tokio_postgres::Config,
    /// Writers holding a connection of their own, at most `PG_WRITER_CONNECTIONS_MAX`.
    writer_connections: AtomicUsize,
    /// The address without its password, for messages.
    shown: String,
}

/// The right of one study's writer to hold a connection of its own; given back when dropped.
pub(crate) struct WriterSlot {
    db: PgDatabase,
}

impl Drop for WriterSlot {
    fn drop(&mut self) {
        self.db.inner.writer_connections.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Dropping a runtime blocks until its tasks end, which a runtime's own thread may not do.
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

/// Turns a client error into the store's, with PostgreSQL's own message and code when it sent one.
pub(crate) fn pg_error(e: tokio_postgres::Error) -> StoreError {
    match e.as_db_error() {
        Some(db) => StoreError::Postgres(format!("{} ({})", db.message(), db.code().code())),
        None => StoreError::Postgres(e.to_string()),
    }
}

pub(crate) fn pool_error(e: deadpool_postgres::PoolError) -> StoreError {
    match e {
        deadpool_postgres::PoolError::Backend(e) => pg_error(e),
        other => StoreError::Postgres(other.to_string()),
    }
}

/// Whether an address names a PostgreSQL database (`postgres://` or `postgresql://`).
pub fn is_postgres_url(s: &str) -> bool {
    s.starts_with("postgres://") || s.starts_with("postgresql://")
}

/// An address without its password.
pub fn shown_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let userinfo = &url[s + 3..at];
            match userinfo.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &userinfo[..c], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

impl PgDatabase {
    /// Connects to the database at `url`, creating parlog's schema or migrating it to this
    /// build's version. For commands that write.
    pub fn connect(url: &str) -> Result<PgDatabase, StoreError> {
        let db = PgDatabase::pool(url)?;
        db.migrate()?;
        Ok(db)
    }

    /// Connects without changing anything: the schema must be there, at this build's version.
    /// For commands that only read.
    pub fn connect_read_only(url: &str) -> Result<PgDatabase, StoreError> {
        let db = PgDatabase::pool(url)?;
        match db.schema_version()? {
            None => Err(StoreError::NotInitialised(format!(
                "{} (it holds no parlog schema yet; a command that writes creates it)",
                db.inner.shown
            ))),
            Some(v) if v > SCHEMA_VERSION => Err(newer(v, &db.inner.shown)),
            Some(v) if v < SCHEMA_VERSION => Err(StoreError::Postgres(format!(
                "the parlog schema in {} is at version {v}, this parlog reads version {SCHEMA_VERSION}; a command that writes migrates it",
                db.inner.shown
            ))),
            Some(_) => Ok(db),
        }
    }

    fn pool(url: &str) -> Result<PgDatabase, StoreError> {
        let shown = shown_url(url);
        let mut config: tokio_postgres::Config =
            url.parse().map_err(|e| StoreError::Postgres(format!("{shown} is not a PostgreSQL address: {e}")))?;
        // A database that does not answer is an error after a while, not a hang; a connection
        // whose peer vanished is noticed by TCP keepalives.
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(PG_CONNECT_TIMEOUT);
        }
        config.keepalives(true).keepalives_idle(PG_KEEPALIVE_IDLE);
        if config.get_application_name().is_none() {
            config.application_name("parlog");
        }
        let manager =
            Manager::from_config(config.clone(), NoTls, ManagerConfig { recycling_method: RecyclingMethod::Fast });
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(PG_RUNTIME_THREADS)
            .thread_name("parlog-pg")
            .enable_all()
            .build()?;
        let pool = {
            let _in = runtime.enter();
            Pool::builder(manager)
                .max_size(PG_POOL_CONNECTIONS_MAX)
                .runtime(deadpool_postgres::Runtime::Tokio1)
                .wait_timeout(Some(PG_POOL_WAIT))
                .create_timeout(Some(PG_CONNECT_TIMEOUT))
                .build()
                .map_err(|e| StoreError::Postgres(e.to_string()))?
        };
        let db = PgDatabase {
            inner: Arc::new(Inner {
                runtime: Some(runtime),
                pool,
                config,
                writer_connections: AtomicUsize::new(0),
                shown,
            }),
        };
        // Fail here, with the address, rather than at the first read.
        db.run(|pool| async move { pool.get().await.map(drop) }).map_err(|e| {
            StoreError::Postgres(format!(
                "cannot reach {}: {}",
                db.inner.shown,
                pool_error(e).to_string().trim_start_matches("PostgreSQL: ")
            ))
        })?;
        Ok(db)
    }

    /// Runs `f` with the pool on the database's runtime and waits for its answer. Allowed on any
    /// thread, also inside another runtime.
    pub(crate) fn run<F, Fut, T>(&self, f: F) -> T
    where
        F: FnOnce(Pool) -> Fut,
        Fut: Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        let fut = f(self.inner.pool.clone());
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        self.inner.runtime.as_ref().expect("runtime until drop").spawn(async move {
            let _ = tx.send(fut.await);
        });
        let wait = move || rx.recv().expect("the database's runtime runs while the database is held");
        // Called from a worker of a multi-threaded runtime (the server's handlers read inline, as
        // they do from the embedded store's files): say that this thread blocks, so that the
        // runtime moves its other tasks to another thread meanwhile.
        match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
            Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(wait),
            _ => wait(),
        }
    }

    /// The parsed address, for a connection outside the pool.
    pub(crate) fn config(&self) -> &tokio_postgres::Config {
        &self.inner.config
    }

    /// A slot for a writer's own connection, if one of `PG_WRITER_CONNECTIONS_MAX` is free.
    pub(crate) fn writer_slot(&self) -> Option<WriterSlot> {
        self.inner
            .writer_connections
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| (n < PG_WRITER_CONNECTIONS_MAX).then_some(n + 1))
            .ok()
            .map(|_| WriterSlot { db: self.clone() })
    }

    /// The address, without its password.
    pub fn shown(&self) -> &str {
        &self.inner.shown
    }

    /// The version of parlog's schema in the database; `None` if it has none.
    pub fn schema_version(&self) -> Result<Option<i32>, StoreError> {
        self.run(|pool| async move {
            let c = pool.get().await.map_err(pool_error)?;
            let exists: bool =
                c.query_one("SELECT to_regclass('parlog.migrations') IS NOT NULL", &[]).await.map_err(pg_error)?.get(0);
            if !exists {
                return Ok(None);
            }
            let v: Option<i32> =
                c.query_one("SELECT max(version) FROM parlog.migrations", &[]).await.map_err(pg_error)?.get(0);
            Ok(Some(v.unwrap_or(0)))
        })
    }

    /// Applies the migrations the database lacks, each in its own transaction, under a lock.
    fn migrate(&self) -> Result<(), StoreError> {
        let shown = self.inner.shown.clone();
        self.run(|pool| async move {
            let mut c = pool.get().await.map_err(pool_error)?;
            let tx = c.transaction().await.map_err(pg_error)?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK]).await.map_err(pg_error)?;
            tx.batch_execute(CREATE_SCHEMA).await.map_err(pg_error)?;
            let have: i32 = tx
                .query_one("SELECT coalesce(max(version), 0) FROM parlog.migrations", &[])
                .await
                .map_err(pg_error)?
                .get(0);
            if have > SCHEMA_VERSION {
                return Err(newer(have, &shown));
            }
            for (version, name, sql) in MIGRATIONS.iter().filter(|m| m.0 > have) {
                tx.batch_execute(sql).await.map_err(pg_error)?;
                tx.execute("INSERT INTO parlog.migrations (version, name) VALUES ($1, $2)", &[version, name])
                    .await
                    .map_err(pg_error)?;
            }
            tx.commit().await.map_err(pg_error)
        })
    }

    /// The studies the database holds, by slug.
    pub fn studies(&self) -> Result<Vec<StudySlug>, StoreError> {
        let rows = self.run(|pool| async move {
            let c = pool.get().await.map_err(pool_error)?;
            c.query("SELECT study FROM parlog.studies ORDER BY study", &[]).await.map_err(pg_error)
        })?;
        rows.iter()
            .map(|r| {
                let s: String = r.get(0);
                StudySlug::parse(&s).map_err(|e| StoreError::Corrupt(format!("parlog.studies holds {s:?}: {e}")))
            })
            .collect()
    }

    /// Whether the database holds `study`, and how many events it has.
    pub fn study_events(&self, study: &StudySlug) -> Result<Option<u64>, StoreError> {
        let s = study.to_string();
        self.run(|pool| async move {
            let c = pool.get().await.map_err(pool_error)?;
            let known = c.query_opt("SELECT 1 FROM parlog.studies WHERE study = $1", &[&s]).await.map_err(pg_error)?;
            if known.is_none() {
                return Ok(None);
            }
            let n: Option<i64> = c
                .query_one("SELECT max(position) FROM parlog.events WHERE study = $1", &[&s])
                .await
                .map_err(pg_error)?
                .get(0);
            Ok(Some(n.unwrap_or(0) as u64))
        })
    }
}

fn newer(v: i32, shown: &str) -> StoreError {
    StoreError::Postgres(format!(
        "the parlog schema in {shown} is at version {v}, newer than this parlog knows ({SCHEMA_VERSION}); use the release that migrated it"
    ))
}

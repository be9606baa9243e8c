//! First light of the PostgreSQL store (the conformance suite runs the rest on both backends).

use parlog_core::{EventStore, ParticipantId, PgDatabase, PgStore, SealedView, StoreOptions, StudySlug, SubjectId};

use crate::support::{base_chain, event};

#[test]
fn a_study_in_postgres_appends_reads_verifies_and_forgets() {
    let Some(db) = parlog_tests::pg::test_db() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let keys = tmp.path().join("keys");
    let database = PgDatabase::connect(&db.url).unwrap();
    let slug = StudySlug::parse("proef").unwrap();
    let options = StoreOptions::from_env(tmp.path());
    let store = PgStore::init(&database, &slug, &keys, &options).unwrap();
    let batch = base_chain().iter().map(event).collect();
    let a = store.append(batch).unwrap();
    assert_eq!(a.last().unwrap().position.0, 4);
    let again = store.append(base_chain().iter().map(event).collect());
    assert!(again.is_err() || again.unwrap().iter().all(|x| x.duplicate));
    let events = store.read_from(parlog_core::Position(1), 100).unwrap();
    assert_eq!(events.len(), 4);
    assert!(matches!(store.unseal(&events[3]).unwrap(), SealedView::Open(_)));
    let r = store.verify().unwrap();
    assert_eq!(r.first_bad, None, "{r:?}");
    let subject = SubjectId::parse("resident:r-1").unwrap();
    let f = store.forget(&subject, &ParticipantId::parse("onderzoeker-1").unwrap(), None).unwrap();
    assert_eq!(f.position.0, 5);
    assert!(matches!(store.unseal(&events[3]).unwrap(), SealedView::Forgotten { .. }));
    assert_eq!(store.verify().unwrap().first_bad, None);
    store.close();
    let store = PgStore::open(&database, &slug, &keys, &options).unwrap();
    assert_eq!(store.head().position.0, 5);
    assert!(matches!(store.unseal(&events[3]).unwrap(), SealedView::Forgotten { .. }));
}

/// One number from a query on the test database (such as a count of pg_stat_activity rows).
fn number(url: &str, sql: &str) -> i64 {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls).await.unwrap();
        let driver = tokio::spawn(conn);
        let n: i64 = client.query_one(sql, &[]).await.unwrap().get(0);
        drop(client);
        let _ = driver.await;
        n
    })
}

const WRITER_CONNECTIONS: &str =
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'parlog writer %'";

fn memo(i: u64) -> parlog_core::NewEvent {
    parlog_tests::memo(parlog_core::EventId::new_random(), "m", i)
}

/// A study's writer keeps a connection of its own while it writes. When the server ends it (a
/// restart, an administrator), the next append must not fail on it: the writer sees that it
/// closed and connects again.
#[test]
fn pg_writer_connects_again_after_the_server_closed_its_connection() {
    let Some(db) = parlog_tests::pg::test_db() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let database = PgDatabase::connect(&db.url).unwrap();
    let slug = StudySlug::parse("proef").unwrap();
    let store = PgStore::init(&database, &slug, &tmp.path().join("keys"), &StoreOptions::from_env(tmp.path())).unwrap();
    store.append(vec![memo(1)]).unwrap();
    assert_eq!(number(&db.url, WRITER_CONNECTIONS), 1, "the writer holds a connection of its own while it writes");
    let ended = number(
        &db.url,
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
    );
    assert!(ended >= 1);
    std::thread::sleep(std::time::Duration::from_millis(100));
    for i in 2..=4 {
        let a = store
            .append(vec![memo(i)])
            .unwrap_or_else(|e| panic!("append {i} after the server closed the connections: {e}"));
        assert_eq!(a[0].position.0, i);
    }
    assert_eq!(store.verify().unwrap().first_bad, None);
}

/// At most `PG_WRITER_CONNECTIONS_MAX` writers hold a connection of their own; the others write
/// through the pool with the same answers, and a writer lets its connection go when it has been
/// idle for `PG_WRITER_CONNECTION_IDLE_MS`.
#[test]
fn pg_writers_beyond_the_limit_use_the_pool_and_idle_ones_let_their_connection_go() {
    use parlog_core::limits::{PG_WRITER_CONNECTIONS_MAX, PG_WRITER_CONNECTION_IDLE_MS};
    let Some(db) = parlog_tests::pg::test_db() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let database = PgDatabase::connect(&db.url).unwrap();
    let studies = PG_WRITER_CONNECTIONS_MAX + 3;
    let stores: Vec<PgStore> = (0..studies)
        .map(|i| {
            let slug = StudySlug::parse(&format!("proef-{i}")).unwrap();
            let keys = tmp.path().join(format!("keys-{i}"));
            PgStore::init(&database, &slug, &keys, &StoreOptions::from_env(tmp.path())).unwrap()
        })
        .collect();
    let appends = 20u64;
    std::thread::scope(|s| {
        for store in &stores {
            s.spawn(move || {
                for i in 1..=appends {
                    assert_eq!(store.append(vec![memo(i)]).unwrap()[0].position.0, i);
                }
            });
        }
    });
    let own = number(&db.url, WRITER_CONNECTIONS);
    assert!(own >= 1 && own as usize <= PG_WRITER_CONNECTIONS_MAX, "{own} writers hold a connection of their own");
    for store in &stores {
        assert_eq!(store.head().position.0, appends);
        assert_eq!(store.verify().unwrap().first_bad, None);
    }
    std::thread::sleep(std::time::Duration::from_millis(PG_WRITER_CONNECTION_IDLE_MS + 500));
    assert_eq!(number(&db.url, WRITER_CONNECTIONS), 0, "idle writers let their connections go");
    // A writer that had to use the pool gets a connection of its own now that slots are free.
    stores[studies - 1].append(vec![memo(appends + 1)]).unwrap();
    assert_eq!(number(&db.url, WRITER_CONNECTIONS), 1);
}

/// Regression: an append that failed because PostgreSQL could not be reached said
/// "PostgreSQL: PostgreSQL: ..." (the writer wrapped the error's message a second time).
#[test]
fn pg_append_error_names_postgresql_once() {
    let Some(db) = parlog_tests::pg::test_db() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let database = PgDatabase::connect(&db.url).unwrap();
    let slug = StudySlug::parse("proef").unwrap();
    let store = PgStore::init(&database, &slug, &tmp.path().join("keys"), &StoreOptions::from_env(tmp.path())).unwrap();
    store.append(vec![memo(1)]).unwrap();
    let name = db.url.rsplit('/').next().unwrap().to_string();
    let admin = std::env::var("PARLOG_TEST_PG").unwrap_or_else(|_| parlog_tests::pg::DEFAULT_ADMIN_URL.into());
    parlog_tests::pg::admin_execute(&admin, &format!("DROP DATABASE {name} WITH (FORCE)")).unwrap();
    let e = store.append(vec![memo(2)]).unwrap_err().to_string();
    assert!(e.starts_with("PostgreSQL: ") && !e.contains("PostgreSQL: PostgreSQL:"), "{e}");
}

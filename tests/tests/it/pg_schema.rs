//! The PostgreSQL store end to end in one study, and its schema: created, migrated by version,
//! a newer one refused. (The conformance suite runs the store's behaviour on both backends.)

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

/// The schema is parlog's to create and migrate: a database left at version 1 (before the
/// recorded head) is readable by nothing until a writing command migrates it, which fills in
/// every study's head from its rows; a database migrated by a newer parlog is refused, unchanged.
#[test]
fn the_schema_is_migrated_by_version_and_a_newer_one_is_refused() {
    let Some(db) = parlog_tests::pg::test_db() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let keys = tmp.path().join("keys");
    let options = StoreOptions::from_env(&keys);
    let slug = StudySlug::parse("zwolle").unwrap();
    let head = {
        let database = PgDatabase::connect(&db.url).unwrap();
        assert_eq!(database.schema_version().unwrap(), Some(parlog_core::pg::SCHEMA_VERSION));
        let store = PgStore::init(&database, &slug, &keys, &options).unwrap();
        store.append(base_chain().iter().map(event).collect()).unwrap();
        let head = store.head();
        store.close();
        head
    };
    // Back to version 1, as a database made by the release before the recorded head.
    let sql = parlog_tests::pg::Sql::connect(&db.url).unwrap();
    sql.execute(
        "ALTER TABLE parlog.studies DROP COLUMN head_position, DROP COLUMN head_hash;
         DELETE FROM parlog.migrations WHERE version = 2;",
    )
    .unwrap();
    let Err(refused) = PgDatabase::connect_read_only(&db.url) else { panic!("an old schema is not read") };
    assert!(refused.to_string().contains("at version 1"), "{refused}");
    let database = PgDatabase::connect(&db.url).unwrap();
    assert_eq!(database.schema_version().unwrap(), Some(2));
    let recorded = sql.rows("SELECT head_position FROM parlog.studies WHERE study = 'zwolle'").unwrap();
    assert_eq!(recorded, vec![vec![Some(head.position.0.to_string())]], "the head is filled in from the rows");
    let store = PgStore::open(&database, &slug, &keys, &options).unwrap();
    assert_eq!(store.head(), head);
    assert_eq!(store.verify().unwrap().first_bad, None);
    store.close();
    drop(database);
    // A newer parlog's schema: refused by both kinds of connection, and left as it is.
    sql.execute("INSERT INTO parlog.migrations (version, name) VALUES (99, 'from the future')").unwrap();
    for e in [PgDatabase::connect(&db.url).err(), PgDatabase::connect_read_only(&db.url).err()] {
        let e = e.expect("a newer schema is refused").to_string();
        assert!(e.contains("version 99") && e.contains("newer"), "{e}");
    }
    let versions = sql.rows("SELECT version FROM parlog.migrations ORDER BY version").unwrap();
    assert_eq!(versions.len(), 3, "nothing was applied or removed: {versions:?}");
}

/// Beside the study's writer (which holds the key folder's lock), a store opened for reading
/// only reads what was committed when it opened, opens the sealed parts with the key files read
/// whole, and refuses to write: nothing reaches the database or the key folder.
#[test]
fn a_study_is_read_beside_its_writer_and_the_reader_writes_nothing() {
    let Some(db) = parlog_tests::pg::test_db() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let keys = tmp.path().join("keys");
    let options = StoreOptions::from_env(&keys);
    let slug = StudySlug::parse("deventer").unwrap();
    let database = PgDatabase::connect(&db.url).unwrap();
    let writer = PgStore::init(&database, &slug, &keys, &options).unwrap();
    writer.append(base_chain().iter().map(event).collect()).unwrap();
    assert!(matches!(PgStore::open(&database, &slug, &keys, &options), Err(parlog_core::StoreError::Locked(_))));
    let key_files = || ["keys", "keys.copy"].map(|f| std::fs::read(keys.join(f)).unwrap_or_default());
    let (files_before, head) = (key_files(), writer.head());
    let reader = PgStore::open_read_only(&database, &slug, &keys, &options).unwrap();
    assert_eq!(reader.head(), head);
    let events = reader.read_from(parlog_core::Position(1), 100).unwrap();
    assert_eq!(events.len(), 4);
    assert!(matches!(reader.unseal(&events[3]).unwrap(), SealedView::Open(_)));
    assert_eq!(reader.verify().unwrap().first_bad, None);
    let Err(refused) = reader.append(base_chain()[..1].iter().map(event).collect()) else {
        panic!("a reader does not write")
    };
    assert!(refused.to_string().contains("reading only"), "{refused}");
    let subject = SubjectId::parse("resident:r-1").unwrap();
    assert!(reader.forget(&subject, &ParticipantId::parse("onderzoeker-1").unwrap(), None).is_err());
    assert_eq!(key_files(), files_before, "the reader wrote nothing to the key folder");
    // The writer goes on; the reader keeps the head it opened with.
    writer
        .append(vec![event(&crate::support::observation("notes:m1", "area:noord", &["resident:r-2"], "Nog een."))])
        .unwrap();
    assert_eq!((reader.head(), writer.head().position.0), (head, 5));
    assert_eq!(reader.verify().unwrap().first_bad, None, "a verify beside a writer that goes on finds nothing");
    reader.close();
    writer.close();
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

//! Subscriptions: catch up from a position, then follow new events as they become durable,
//! never skipping or repeating one, while writers append at the same time.
//!
//! Every test here runs on both backends from the same code (`name::sled`, `name::postgres`).

use std::collections::HashMap;
use std::time::Duration;

use parlog_core::{AnyStore, EventId, EventStore, Position, RecordedEvent, StoreError, Subscription};
use serde_json::json;

use crate::support::{append, both_backends, ev, event, setup_on, Backend};

const WRITERS: u64 = 4;
const EVENTS_TOTAL: u64 = 2000;
const SUBSCRIBER_BATCH_EVENTS_MAX: usize = 64;
/// How long a subscriber may wait for the next batch before the test calls it a stall.
const NEXT_BATCH_TIMEOUT: Duration = Duration::from_secs(60);

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a tokio runtime")
}

fn note(writer: u64, i: u64) -> serde_json::Value {
    ev(&format!("notes:schrijver-{writer}"), "ObservationRecorded", json!({ "topic": format!("notitie {i}") }))
}

fn positions(events: &[RecordedEvent]) -> Vec<u64> {
    events.iter().map(|e| e.position.0).collect()
}

/// The next events of `sub`, at most `limit`, waiting for at least one: the subscription says
/// which positions are durable and the store reads them, as the HTTP feed does.
async fn next_batch(store: &AnyStore, sub: &mut Subscription, limit: usize) -> Vec<RecordedEvent> {
    let at = sub.next_position();
    let range = match tokio::time::timeout(NEXT_BATCH_TIMEOUT, sub.next_positions(limit)).await {
        Ok(Ok(range)) => range,
        Ok(Err(e)) => panic!("next_positions failed: {e}"),
        Err(_) => panic!("next_positions waited {NEXT_BATCH_TIMEOUT:?} at position {at}"),
    };
    let wanted = (range.end() - range.start() + 1) as usize;
    let events = store.read_from(Position(*range.start()), wanted).expect("read_from");
    assert_eq!(events.len(), wanted, "every position the subscription names is readable");
    events
}

/// Appends `count` events from one thread in batches of 1 to 4 events, returning what the
/// store acknowledged: (position, id).
fn write(store: &AnyStore, writer: u64, count: u64) -> Vec<(u64, EventId)> {
    let mut acks = Vec::new();
    let mut i = 0;
    while i < count {
        let size = ((i / 3) % 4 + 1).min(count - i);
        let batch = (i..i + size).map(|j| event(&note(writer, j))).collect();
        let done = store.append(batch).expect("a writer's append");
        acks.extend(done.iter().map(|a| (a.position.0, a.id)));
        i += size;
    }
    acks
}

both_backends!(
    subscriber_sees_every_event_once_and_in_order_while_writers_append,
    catch_up_from_a_middle_position_then_follow,
    a_subscription_from_zero_starts_at_the_first_event,
    a_subscription_beyond_the_head_waits_for_its_position,
    a_subscription_reports_a_closed_store,
    a_live_subscription_does_not_keep_a_closed_store_locked,
);

fn subscriber_sees_every_event_once_and_in_order_while_writers_append(b: Backend) {
    let Some(t) = setup_on(b) else { return };
    let mut sub = t.store().subscribe(Position(1));
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let store = t.shared().clone();
            std::thread::spawn(move || write(&store, w, EVENTS_TOTAL / WRITERS))
        })
        .collect();

    let received = runtime().block_on(async {
        let mut received: Vec<RecordedEvent> = Vec::new();
        while (received.len() as u64) < EVENTS_TOTAL {
            let batch = next_batch(t.store(), &mut sub, SUBSCRIBER_BATCH_EVENTS_MAX).await;
            assert!(!batch.is_empty(), "next_positions waits for at least one event");
            assert!(batch.len() <= SUBSCRIBER_BATCH_EVENTS_MAX, "next_positions keeps to its limit");
            received.extend(batch);
        }
        received
    });
    let acks: Vec<(u64, EventId)> = writers.into_iter().flat_map(|w| w.join().expect("writer thread")).collect();

    let want: Vec<u64> = (1..=EVENTS_TOTAL).collect();
    assert_eq!(positions(&received), want, "positions 1..={EVENTS_TOTAL}, in order, none skipped or repeated");
    assert_eq!(acks.len() as u64, EVENTS_TOTAL);
    let by_position: HashMap<u64, EventId> = received.iter().map(|e| (e.position.0, e.id)).collect();
    for (position, id) in &acks {
        assert_eq!(by_position.get(position), Some(id), "the event at {position} is the one acknowledged there");
    }
    assert_eq!(sub.try_next_batch(100).expect("try_next_batch"), Vec::new(), "nothing more once caught up");
    assert_eq!(sub.next_position(), Position(EVENTS_TOTAL + 1));
}

fn catch_up_from_a_middle_position_then_follow(b: Backend) {
    let Some(t) = setup_on(b) else { return };
    for b in 0..5 {
        append(t.store(), &(0..10).map(|i| note(0, b * 10 + i)).collect::<Vec<_>>());
    }
    let mut sub = t.store().subscribe(Position(21));
    assert_eq!(sub.next_position(), Position(21));

    // Catching up: durable events at once, in pages of at most the limit.
    let first = sub.try_next_batch(7).expect("try_next_batch");
    assert_eq!(positions(&first), (21..=27).collect::<Vec<_>>());
    let rest = sub.try_next_batch(1000).expect("try_next_batch");
    assert_eq!(positions(&rest), (28..=50).collect::<Vec<_>>());
    assert_eq!(sub.try_next_batch(1000).expect("try_next_batch"), Vec::new(), "caught up: empty, no waiting");
    assert_eq!(sub.next_position(), Position(51));

    // Following: next_positions waits for what is appended later.
    let store = t.shared().clone();
    let writer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(50));
        append(&*store, &(0..5).map(|i| note(1, i)).collect::<Vec<_>>())
    });
    let followed = runtime().block_on(async {
        let mut followed = Vec::new();
        while followed.len() < 5 {
            followed.extend(next_batch(t.store(), &mut sub, 100).await);
        }
        followed
    });
    let acks = writer.join().expect("writer thread");
    assert_eq!(positions(&followed), (51..=55).collect::<Vec<_>>());
    let ids: Vec<EventId> = followed.iter().map(|e| e.id).collect();
    assert_eq!(ids, acks.iter().map(|a| a.id).collect::<Vec<_>>());
    assert_eq!(sub.try_next_batch(1000).expect("try_next_batch"), Vec::new());
}

fn a_subscription_from_zero_starts_at_the_first_event(b: Backend) {
    let Some(t) = setup_on(b) else { return };
    append(t.store(), &[note(0, 0), note(0, 1)]);
    let mut sub = t.store().subscribe(Position(0));
    assert_eq!(sub.next_position(), Position(1));
    assert_eq!(positions(&sub.try_next_batch(10).expect("try_next_batch")), vec![1, 2]);
}

fn a_subscription_beyond_the_head_waits_for_its_position(b: Backend) {
    let Some(t) = setup_on(b) else { return };
    append(t.store(), &(0..10).map(|i| note(0, i)).collect::<Vec<_>>());
    let mut sub = t.store().subscribe(Position(13));
    assert_eq!(sub.try_next_batch(10).expect("try_next_batch"), Vec::new(), "position 13 does not exist yet");
    append(t.store(), &[note(0, 10), note(0, 11)]);
    assert_eq!(sub.try_next_batch(10).expect("try_next_batch"), Vec::new(), "the head is at 12");
    append(t.store(), &(12..15).map(|i| note(0, i)).collect::<Vec<_>>());
    assert_eq!(positions(&sub.try_next_batch(10).expect("try_next_batch")), vec![13, 14, 15]);
}

/// Regression: a subscription kept the store's shared state alive, so waiting for the next
/// events went on forever after the store was closed. Now it answers `Closed` once the store is
/// gone.
fn a_subscription_reports_a_closed_store(b: Backend) {
    let Some(t) = setup_on(b) else { return };
    let mut t = t.discard_on_failure();
    append(t.store(), &[note(0, 0), note(0, 1)]);
    let mut sub = t.store().subscribe(Position(1));
    let rt = runtime();
    let served = rt.block_on(next_batch(t.store(), &mut sub, 10));
    assert_eq!(positions(&served), vec![1, 2], "what is durable is served while the store is open");
    t.close();
    let after = rt.block_on(async { tokio::time::timeout(Duration::from_secs(5), sub.next_positions(10)).await });
    match after {
        Ok(Err(StoreError::Closed)) => {}
        Ok(other) => panic!("expected StoreError::Closed, got {other:?}"),
        Err(_) => panic!("next_positions still waits 5 s after the store was closed"),
    }
}

/// Regression: a live subscription kept sled open, so the folder could not be opened again (say
/// by a restarted server in the same process) until every subscriber had dropped it. On
/// PostgreSQL the lock is the key folder's, held by the store.
fn a_live_subscription_does_not_keep_a_closed_store_locked(b: Backend) {
    let Some(t) = setup_on(b) else { return };
    let mut t = t.discard_on_failure();
    append(t.store(), &[note(0, 0)]);
    let sub = t.store().subscribe(Position(1));
    t.close();
    let reopened = t.try_open();
    drop(sub);
    if let Err(e) = reopened {
        panic!("reopening while an old subscription lives: {e}");
    }
}

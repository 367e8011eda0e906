//! The PostgreSQL store itself (issue 17): what the HTTP suites cannot see directly. Each test
//! runs on a fresh database created through `PCL_TEST_DATABASE_URL`; without it they pass
//! without checking anything (and say so).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Duration;

use partnercentral_local::store::postgres::SCHEMA_VERSION;
use partnercentral_local::store::{
    OpportunityRecord, OpportunitySearchQuery, PostgresStore, Scope, Store, StoreError,
};
use r2d2_postgres::postgres::{Client, NoTls};
use serde_json::json;

/// A URL of a fresh database, or none when the tests do not run on PostgreSQL.
fn fresh_database() -> Option<String> {
    let url = match std::env::var("PCL_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => {
            eprintln!("PCL_TEST_DATABASE_URL is not set: PostgreSQL store tests skipped");
            return None;
        }
    };
    let name = format!("pcl_{}", &uuid::Uuid::new_v4().simple().to_string()[..16]);
    let mut admin = Client::connect(&url, NoTls).expect("the test database answers");
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .expect("a database can be created");
    let start = url.find("://").map_or(0, |i| i + 3);
    let base = match url[start..].find('/') {
        Some(slash) => &url[..start + slash],
        None => url.as_str(),
    };
    Some(format!("{base}/{name}"))
}

fn scope() -> Scope {
    Scope {
        account: "111111111111".into(),
        catalog: "AWS".into(),
    }
}

fn opp(num: i64, title: &str) -> OpportunityRecord {
    OpportunityRecord {
        id: format!("O{num}"),
        num,
        created_date: "2026-01-01T00:00:00.000Z".into(),
        last_modified_date: "2026-01-01T00:00:00.000Z".into(),
        doc: json!({"Project": {"Title": title}, "LifeCycle": {"Stage": "Prospect"}})
            .as_object()
            .cloned()
            .unwrap_or_default(),
        related: Default::default(),
        submission: None,
        engagement_id: None,
    }
}

#[test]
fn a_panic_in_a_transaction_rolls_it_back_and_the_store_stays_usable() {
    let Some(url) = fresh_database() else { return };
    let store = PostgresStore::open(&url).unwrap();
    for _ in 0..2 {
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            store.transaction(|tx| {
                tx.put_setting("half-written", "yes")?;
                panic!("a bug in the middle of a write");
                #[allow(unreachable_code)]
                Ok::<(), StoreError>(())
            })
        }));
        assert!(outcome.is_err());
        assert_eq!(store.read(|tx| tx.setting("half-written")).unwrap(), None);
    }
    store
        .transaction(|tx| tx.put_setting("after", "ok"))
        .unwrap();
    assert_eq!(
        store.read(|tx| tx.setting("after")).unwrap().as_deref(),
        Some("ok")
    );
    assert_eq!(store.health().unwrap().schema_version, SCHEMA_VERSION);
}

#[test]
fn a_rolled_back_savepoint_keeps_the_rest_of_the_transaction() {
    let Some(url) = fresh_database() else { return };
    let store = PostgresStore::open(&url).unwrap();
    store
        .transaction(|tx| {
            tx.put_setting("kept", "1")?;
            tx.savepoint()?;
            tx.put_setting("undone", "1")?;
            tx.end_savepoint(false)?;
            tx.savepoint()?;
            tx.put_setting("also-kept", "1")?;
            tx.end_savepoint(true)
        })
        .unwrap();
    let read = |name: &str| store.read(|tx| tx.setting(name)).unwrap();
    assert_eq!(read("kept").as_deref(), Some("1"));
    assert_eq!(read("undone"), None);
    assert_eq!(read("also-kept").as_deref(), Some("1"));
}

#[test]
fn opportunity_numbers_are_never_handed_out_twice_and_follow_an_import() {
    let Some(url) = fresh_database() else { return };
    let store = PostgresStore::open(&url).unwrap();
    let first = store
        .transaction(|tx| tx.next_opportunity_number())
        .unwrap();
    assert_eq!(first, 1_000_001);
    // A rolled-back transaction's number is lost, never handed out again.
    let lost: Result<i64, StoreError> = store.transaction(|tx| {
        tx.next_opportunity_number()?;
        Err(StoreError::Open("rolled back".into()))
    });
    assert!(lost.is_err());
    assert_eq!(
        store
            .transaction(|tx| tx.next_opportunity_number())
            .unwrap(),
        1_000_003
    );
    store
        .transaction(|tx| tx.set_next_opportunity_number(5_000_000))
        .unwrap();
    let mut out = Vec::new();
    store.read(|tx| tx.export_json(&mut out)).unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(doc["nextOpportunityNumber"], 5_000_000);
    assert_eq!(
        store
            .transaction(|tx| tx.next_opportunity_number())
            .unwrap(),
        5_000_000
    );
    // A second store on the same database (another replica) continues the same sequence.
    let other = PostgresStore::open(&url).unwrap();
    assert_eq!(
        other
            .transaction(|tx| tx.next_opportunity_number())
            .unwrap(),
        5_000_001
    );
}

#[test]
fn a_database_of_a_newer_build_is_refused() {
    let Some(url) = fresh_database() else { return };
    drop(PostgresStore::open(&url).unwrap());
    let mut client = Client::connect(&url, NoTls).unwrap();
    client
        .batch_execute("UPDATE schema_version SET version = 999")
        .unwrap();
    match PostgresStore::open(&url) {
        Err(StoreError::Open(message)) => assert!(message.contains("newer"), "{message}"),
        Err(e) => panic!("unexpected error: {e}"),
        Ok(_) => panic!("a newer schema was opened"),
    }
}

#[test]
fn the_search_index_follows_writes_and_finds_substrings() {
    let Some(url) = fresh_database() else { return };
    let store = PostgresStore::open(&url).unwrap();
    let s = scope();
    store
        .transaction(|tx| {
            tx.put_opportunity(&s, &opp(1, "Acme data lake"), "{}")?;
            tx.put_opportunity(&s, &opp(2, "Globex \"plant\" analytics"), "{}")
        })
        .unwrap();
    let ids = |k: &str| {
        let q = OpportunitySearchQuery {
            keyword: Some(k.to_lowercase()),
            conditions: Vec::new(),
        };
        let mut out: Vec<String> = store
            .read(|tx| tx.search_opportunities(&s, &q))
            .unwrap()
            .into_iter()
            .map(|e| e.id)
            .collect();
        out.sort();
        out
    };
    assert_eq!(ids("ACME D"), ["O1"]);
    assert_eq!(ids("\"plant\""), ["O2"]);
    assert_eq!(ids("zzz"), Vec::<String>::new());
    store
        .transaction(|tx| tx.put_opportunity(&s, &opp(1, "Initech"), "{}"))
        .unwrap();
    assert_eq!(ids("acme"), Vec::<String>::new());
    assert_eq!(ids("initech"), ["O1"]);
    store
        .transaction(|tx| {
            tx.put_tags(
                &s,
                "arn:aws:partnercentral:us-east-1:111111111111:catalog/AWS/opportunity/O2",
                &[json!({"Key": "Team", "Value": "EMEA"})],
            )
        })
        .unwrap();
    let q = OpportunitySearchQuery {
        keyword: Some("globex".into()),
        conditions: Vec::new(),
    };
    let entries = store.read(|tx| tx.search_opportunities(&s, &q)).unwrap();
    assert_eq!(entries[0].tags, ["Team", "Team:EMEA"]);
    store.transaction(|tx| tx.reset(None, None)).unwrap();
    assert_eq!(ids("initech"), Vec::<String>::new());
}

#[test]
fn a_bulk_job_is_claimed_by_one_runner_until_its_lease_runs_out() {
    let Some(url) = fresh_database() else { return };
    // Two stores on one database: two servers.
    let (first, second) = (
        PostgresStore::open(&url).unwrap(),
        PostgresStore::open(&url).unwrap(),
    );
    let s = scope();
    let long = Duration::from_secs(60);
    let claim = |store: &PostgresStore, runner: &str, lease: Duration| {
        store
            .transaction(|tx| tx.claim_bulk_job(&s, "bulkjob-1", runner, lease))
            .unwrap()
    };
    assert!(claim(&first, "a", long));
    assert!(!claim(&second, "b", long), "held by a");
    assert!(claim(&first, "a", long), "a renews its own claim");
    // Another job is free.
    assert!(
        second
            .transaction(|tx| tx.claim_bulk_job(&s, "bulkjob-2", "b", long))
            .unwrap()
    );
    // A lease that ran out (its runner died) is taken over, and the old holder is refused.
    assert!(claim(&first, "a", Duration::ZERO));
    std::thread::sleep(Duration::from_millis(20));
    assert!(claim(&second, "b", long), "taken over");
    assert!(!claim(&first, "a", long), "a lost it");
    // Released by its holder only; then anyone may claim it.
    first
        .transaction(|tx| tx.release_bulk_job(&s, "bulkjob-1", "a"))
        .unwrap();
    assert!(!claim(&first, "a", long), "a released nothing of b's");
    second
        .transaction(|tx| tx.release_bulk_job(&s, "bulkjob-1", "b"))
        .unwrap();
    assert!(claim(&first, "a", long));
}

//! A panic inside a transaction rolls it back and leaves the store usable: the next
//! transaction works, nothing of the panicking one was kept, and health says so.

use std::panic::{AssertUnwindSafe, catch_unwind};

use partnercentral_local::store::sqlite::SCHEMA_VERSION;
use partnercentral_local::store::{SqliteStore, Store, StoreError};

fn panic_mid_transaction(store: &SqliteStore) {
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        store.transaction(|tx| {
            tx.put_setting("half-written", "yes")?;
            panic!("a bug in the middle of a write");
            #[allow(unreachable_code)]
            Ok::<(), StoreError>(())
        })
    }));
    assert!(outcome.is_err(), "the panic reached the caller");
}

fn survives(store: &SqliteStore) {
    panic_mid_transaction(store);
    let kept = store
        .read(|tx| tx.setting("half-written"))
        .expect("reads work after a panic");
    assert_eq!(kept, None, "the panicking transaction was rolled back");
    store
        .transaction(|tx| tx.put_setting("after", "ok"))
        .expect("writes work after a panic");
    assert_eq!(
        store.read(|tx| tx.setting("after")).unwrap().as_deref(),
        Some("ok")
    );
    let facts = store.health().expect("health is ok after a panic");
    assert_eq!(facts.schema_version, SCHEMA_VERSION);
    // And again: the second panic is no different from the first.
    panic_mid_transaction(store);
    assert!(store.health().is_ok());
}

#[test]
fn an_in_memory_store_survives_a_panic_in_a_transaction() {
    survives(&SqliteStore::in_memory().unwrap());
}

#[test]
fn a_data_directory_store_survives_a_panic_in_a_transaction() {
    let dir = std::env::temp_dir().join(format!("pcl-panic-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    survives(&SqliteStore::open(&dir).unwrap());
    let _ = std::fs::remove_dir_all(&dir);
}

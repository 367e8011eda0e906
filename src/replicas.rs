//! Several servers (replicas) sharing one database behave as one service. This module owns
//! what each replica otherwise keeps in its own memory and how it follows the others:
//!
//! - **the clock's offset and the fault rules** are stored (settings `clock.offsetMs` and
//!   [`FAULTS_SETTING`]); a change is announced in its transaction ([`Tx::announce`]), every
//!   replica's follower reloads them ([`apply`]), and the changing request waits until every
//!   live replica has applied it (`Service::settle_peers`), so that the next request sees it
//!   whichever replica answers. A rule with a `count` is claimed use by use in the store
//!   ([`claim_fault`]): the count is shared.
//! - **quota counters** are kept in the store ([`charge_quota`]), one row per account and
//!   quota class, counted in a write transaction.
//! - **events** are stored with the write that emits them (`ops::Service::write`); each
//!   replica's webhook delivers the events it committed.
//! - **the summary cache** is validated against the store's write count on every hit
//!   (`ops::cache`): another replica's write could not evict it.
//!
//! With a store of one process (SQLite) every function here is the in-memory one.

use std::sync::{Arc, Weak};

use crate::app::AppState;
use crate::ops::CLOCK_SETTING;
use crate::protocol::ApiError;
use crate::rules::faults::{self, FaultRule};
use crate::store::{Store, StoreError, Tx};

/// The store setting that keeps the fault rules in force when replicas share them.
pub const FAULTS_SETTING: &str = "faults.rules";

/// Starts following the other replicas, if the store is shared: loads the clock's offset and
/// the fault rules now, and again after each announcement.
pub fn follow(state: &Arc<AppState>) -> Result<(), StoreError> {
    let Some(peers) = state.service.store.peers() else {
        return Ok(());
    };
    let weak: Weak<AppState> = Arc::downgrade(state);
    peers.follow(Box::new(move || {
        if let Some(state) = weak.upgrade()
            && let Err(e) = apply(&state)
        {
            tracing::warn!(error = %e, "cannot load what the replicas share");
        }
    }))
}

/// Loads the shared clock offset and fault rules into this replica's memory.
fn apply(state: &AppState) -> Result<(), StoreError> {
    let (offset, rules) = state.service.store.read(|tx| {
        let offset = tx.setting(CLOCK_SETTING)?.and_then(|v| v.parse().ok());
        Ok::<_, StoreError>((offset, stored_rules(tx)?))
    })?;
    if offset != Some(state.service.clock.offset_millis()) {
        state.service.clock.set_offset_millis(offset.unwrap_or(0));
    }
    state.faults.replace(rules);
    Ok(())
}

fn stored_rules(tx: &dyn Tx) -> Result<Vec<FaultRule>, StoreError> {
    Ok(match tx.setting(FAULTS_SETTING)? {
        Some(text) => serde_json::from_str(&text)?,
        None => Vec::new(),
    })
}

/// Changes the fault rules with `edit`: this process's, or, when replicas share the store,
/// the stored ones in one transaction, announced and applied by every replica before this
/// returns. Blocking.
pub fn edit_faults<T>(
    state: &AppState,
    edit: impl FnOnce(&mut Vec<FaultRule>) -> T,
) -> Result<T, StoreError> {
    if !state.service.shared {
        return Ok(state.faults.edit(edit));
    }
    let (out, rules) = state.service.store.transaction(|tx| {
        let mut rules = stored_rules(tx)?;
        let out = edit(&mut rules);
        tx.put_setting(FAULTS_SETTING, &serde_json::to_string(&rules)?)?;
        tx.announce()?;
        Ok::<_, StoreError>((out, rules))
    })?;
    state.faults.replace(rules);
    state.service.settle_peers();
    Ok(out)
}

/// Claims one use of the counted rule `id` in the shared store; false when another replica
/// used its last one already. Blocking.
pub fn claim_fault(state: &AppState, id: &str) -> Result<bool, StoreError> {
    let (claimed, rules) = state.service.store.transaction(|tx| {
        let mut rules = stored_rules(tx)?;
        let Some(index) = rules.iter().position(|r| r.id == id) else {
            return Ok::<_, StoreError>((false, rules));
        };
        faults::use_once(&mut rules, index);
        tx.put_setting(FAULTS_SETTING, &serde_json::to_string(&rules)?)?;
        tx.announce()?;
        Ok((true, rules))
    })?;
    state.faults.replace(rules);
    if claimed {
        // The rules every replica lists changed (a count, or a rule used up).
        state.service.settle_peers();
    }
    Ok(claimed)
}

/// Counts one call against the shared quota counters (replicas count together): in a write
/// transaction, on the system clock (replicas of one database run on machines that agree on
/// it). Blocking.
pub fn charge_quota(state: &AppState, operation: &str, account: &str) -> Result<(), ApiError> {
    let Some(quotas) = &state.quotas else {
        return Ok(());
    };
    let Some((index, rule)) = quotas.rule_of(operation) else {
        return Ok(());
    };
    let key = format!("quota.{account}.{index}");
    let now_ms = chrono::Utc::now().timestamp_millis();
    let offset = state.service.clock.offset_millis();
    let stored = state.service.store.transaction(|tx| {
        let mut usage = match tx.setting(&key)? {
            Some(text) => serde_json::from_str(&text)?,
            None => crate::rules::quotas::Usage::fresh(rule, now_ms),
        };
        let charged = usage.charge(rule, account, now_ms, offset);
        if charged.is_ok() {
            tx.put_setting(&key, &serde_json::to_string(&usage)?)?;
        }
        Ok::<_, StoreError>(charged)
    });
    match stored {
        Ok(charged) => charged,
        Err(e) => {
            tracing::error!(error = %e, "cannot count a call against the shared quotas");
            Err(ApiError::internal())
        }
    }
}

//! The snapshot family: resource snapshots (immutable revisions of a template view of a
//! member's opportunity, shared in an engagement) and snapshot jobs (which take them as the
//! opportunity changes). `api.rs` holds the operations, `flows.rs` how snapshots are taken
//! (also by jobs inside every write, by AWS's side and by the Start…Task operations), and
//! `view.rs` the templates and renderings.

pub mod api;
pub mod flows;
pub mod view;

use crate::ops::registry::Handler;
use crate::store::Store;

/// The operations this family implements.
pub fn operations<S: Store>() -> Vec<Handler<S>> {
    vec![
        Handler::new("CreateResourceSnapshot", api::create),
        Handler::new("GetResourceSnapshot", api::get),
        Handler::new("ListResourceSnapshots", api::list),
        Handler::new("CreateResourceSnapshotJob", api::create_job),
        Handler::new("StartResourceSnapshotJob", api::start_job),
        Handler::new("StopResourceSnapshotJob", api::stop_job),
        Handler::new("DeleteResourceSnapshotJob", api::delete_job),
        Handler::new("GetResourceSnapshotJob", api::get_job),
        Handler::new("ListResourceSnapshotJobs", api::list_jobs),
    ]
}

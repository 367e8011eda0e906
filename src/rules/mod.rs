//! Rules the control plane puts on the API's request path, applied after authentication:
//! rate quotas (`--quotas aws`) and injected faults (`/_admin/faults`).

pub mod faults;
pub mod quotas;

pub use faults::Faults;
pub use quotas::Quotas;

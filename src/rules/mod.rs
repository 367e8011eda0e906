//! Rules: those the control plane puts on the API's request path, applied after
//! authentication — rate quotas (`--quotas aws`) and injected faults (`/_admin/faults`) — and
//! AWS's business validation of opportunities (`business`, applied by the operations).

pub mod business;
pub mod faults;
pub mod quotas;

pub use faults::Faults;
pub use quotas::Quotas;

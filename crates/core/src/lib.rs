//! Pure domain of Fupin: money, dates, codes and identifier checks.
//!
//! Architecture invariant: this crate knows nothing of SQL, HTTP, files or text encodings,
//! and never reads the clock — every date is passed in.

pub mod alert;
pub mod credit_code;
pub mod date;
pub mod formula;
pub mod insurance;
pub mod money;
pub mod rate;
pub mod region;
pub mod repayment;
pub mod resident_id;
pub mod returns;
pub mod schedule;
pub mod subsidy;

pub use credit_code::CreditCode;
pub use date::BusinessDate;
pub use money::Fen;
pub use rate::Rate;
pub use region::{RegionCode, RegionLevel};
pub use resident_id::{ResidentId, Sex};

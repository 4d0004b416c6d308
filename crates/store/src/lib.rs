//! Fupin's database: one schema on SQLite and PostgreSQL.
//!
//! Architecture invariant: this is the only crate that speaks SQL or knows which engine is in
//! use. It knows nothing of HTTP, files or text encodings. Money is stored as integer fen, dates
//! as ISO `YYYY-MM-DD` text and flags as 0/1 integers, so one SQL text serves both engines.

pub mod alerts;
pub mod audit;
pub mod backup;
pub mod co_borrowers;
pub mod credit;
pub mod data_dates;
pub mod data_versions;
pub mod db;
pub mod error;
pub mod field;
mod filter;
pub mod funds;
pub mod groups;
pub mod guarantee_fees;
pub mod guarantees;
pub mod household_heads;
pub mod indicators;
pub mod institutions;
pub mod insurance;
pub mod ledger;
pub mod loan_requests;
pub mod loan_standing;
pub mod loans;
mod open;
pub mod regions;
pub mod registry;
pub mod returns;
pub mod service_points;
mod sql;
pub mod testing;
pub mod totals;
pub mod users;

pub use db::{Db, Engine, Tx};
pub use error::StoreError;

//! Fupin's use cases.
//!
//! Architecture invariant: this is the only way in for `web` and `cli`. Every use case takes the
//! acting user ([`Ctx`]) and, where dates matter, the business date as parameters; nothing here
//! reads the clock. Wire formats (CSV, XLSX, JSON DTOs) live in `ingest`/`export`, never in
//! `fupin-core`.

pub mod access;
pub mod alerts;
pub mod audit;
pub mod auth;
pub mod backup;
pub mod context;
pub mod credit;
pub mod data_date;
pub mod demo;
pub mod error;
pub mod field;
pub mod funds;
pub mod guarantee_fees;
pub mod guarantees;
pub mod health;
pub mod idempotency;
pub mod imports;
pub mod indicators;
pub mod ingest;
pub mod insurance;
pub mod ledger;
pub mod loans;
pub mod outcome;
pub mod paging;
pub mod progress;
pub mod reference;
pub mod regions;
pub mod registry;
pub mod report;
pub mod returns;
pub mod secrets;
pub mod territory;
pub mod totals;
pub mod users;

pub use context::{Actor, Ctx, Role};
pub use error::{AppError, Result};
pub use fupin_core;
pub use fupin_store::{Db, Engine, StoreError, Tx};

//! Running the `fupin` binary from tests.

use std::process::{Command, Output};

/// Runs `fupin --db URL ARGS…` with no database URL inherited from the environment.
pub fn fupin(db_url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fupin"))
        .args(["--db", db_url])
        .args(args)
        .env_remove("FUPIN_DATABASE_URL")
        .output()
        .expect("run fupin")
}

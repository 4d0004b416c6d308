//! Constraints of the schema refusing writes, on both engines: what the store tells of each
//! (table, columns, table referred to) and the message of our own that the edges send, which
//! never carries the engine's text (issue 24, item 8).

mod common;

use common::*;
use fupin_app::error::violation_message;
use fupin_app::{Db, StoreError};
use fupin_core::{Fen, RegionCode};
use fupin_store::error::{ConstraintKind, Violation};
use fupin_store::funds::Deposit;
use fupin_store::users::User;

/// Words of SQLite's and PostgreSQL's own messages, which must never reach a client.
const ENGINE_WORDS: &[&str] = &[
    "constraint failed",
    "violates",
    "duplicate key",
    "UNIQUE",
    "FOREIGN KEY",
    "CHECK",
    "_fkey",
    "_pkey",
];

fn user(name: &str, role: &str) -> User {
    User {
        name: name.into(),
        display_name: None,
        role: role.into(),
        region_code: RegionCode::parse("3611").expect("region"),
        institution_code: None,
        password_hash: "x".into(),
        disabled: false,
        created_at: "2017-07-01T00:00:00.000Z".into(),
    }
}

fn deposit(id: &str, county: &str, fen: i64) -> Deposit {
    Deposit {
        id: id.into(),
        county_code: RegionCode::parse(county).expect("county"),
        fund: "subsidy".into(),
        deposited_on: date("2017-06-01"),
        amount: Fen::new(fen),
    }
}

/// The violation a refused write reports.
async fn refused<F>(db: &Db, write: F) -> (Violation, String)
where
    F: AsyncFnOnce(&mut fupin_store::Tx) -> Result<(), StoreError>,
{
    let mut tx = db.write().await.expect("tx");
    match write(&mut tx).await {
        Err(StoreError::Constraint {
            violation,
            engine_message,
        }) => (violation, engine_message),
        other => panic!("expected a constraint violation, got {other:?}"),
    }
}

fn assert_ours(message: &str, engine_message: &str) {
    for word in ENGINE_WORDS {
        assert!(
            !message.contains(word),
            "{message:?} carries the engine's text ({engine_message:?})"
        );
    }
}

fupin_store::on_both_engines! {
    async fn every_kind_of_violation_is_told_in_our_words(db) {
        fupin_app::regions::load_reference_data(&db, &ctx()).await.expect("reference");
        let mut tx = db.write().await.expect("tx");
        fupin_store::users::insert(&mut tx, &user("alice", "admin")).await.expect("first");
        tx.commit().await.expect("commit");
        let sqlite = db.url().starts_with("sqlite");

        // A unique key: both engines name the table and the column.
        let (violation, engine) = refused(&db, async |tx| fupin_store::users::insert(tx, &user("alice", "admin")).await).await;
        assert_eq!((violation.kind, violation.table.as_deref(), violation.columns.as_slice()), (ConstraintKind::Unique, Some("users"), ["name".to_string()].as_slice()), "{engine}");
        let (field, message) = violation_message(&violation);
        assert_eq!((field.as_deref(), message.as_str()), (Some("name"), "name: another user already has this name"));
        assert_ours(&message, &engine);
        assert_ours(&StoreError::Constraint { violation, engine_message: engine.clone() }.to_string(), &engine);

        // A check: the column it checks.
        let (violation, engine) = refused(&db, async |tx| fupin_store::users::insert(tx, &user("bob", "king")).await).await;
        assert_eq!((violation.kind, violation.columns.as_slice()), (ConstraintKind::Check, ["role".to_string()].as_slice()), "{engine}");
        let (field, message) = violation_message(&violation);
        assert_eq!(field.as_deref(), Some("role"), "{message}");
        assert_ours(&message, &engine);

        // A foreign key: PostgreSQL names the column and the table referred to; SQLite nothing.
        let (violation, engine) = refused(&db, async |tx| fupin_store::funds::insert_deposit(tx, &deposit("D1", "361199", 100)).await).await;
        assert_eq!(violation.kind, ConstraintKind::ForeignKey, "{engine}");
        let (field, message) = violation_message(&violation);
        match sqlite {
            true => assert_eq!((field, message.as_str()), (None, "a code or id of the request names a record that does not exist")),
            false => assert_eq!((field.as_deref(), message.as_str()), (Some("county_code"), "county_code: names a region that does not exist")),
        }
        assert_ours(&message, &engine);
    }
}

//! Managing users (issue 25, item 8): enabling and resetting a password are access-checked in
//! the application, audited in the same transaction, and take effect at once.

use fupin_app::users::{self, NewUser};
use fupin_app::{Actor, AppError, Ctx, Db, Role, auth};
use fupin_core::RegionCode;

fn ctx_of(actor: Actor) -> Ctx {
    Ctx {
        actor,
        now: "2018-01-05T09:00:00.000Z".into(),
        request_id: None,
    }
}

fn operator() -> Ctx {
    ctx_of(Actor::operator("tester"))
}

fn user_ctx(name: &str, role: Role, region: &str) -> Ctx {
    ctx_of(Actor {
        name: name.into(),
        role,
        region: Some(RegionCode::parse(region).expect("region")),
        institution: None,
    })
}

async fn add(db: &Db, name: &str, role: Role, region: &str) {
    users::add(
        db,
        &operator(),
        NewUser {
            name: name.into(),
            display_name: None,
            role,
            region: RegionCode::parse(region).expect("region"),
            institution: None,
            password: "first password 1".into(),
        },
    )
    .await
    .expect("add");
}

async fn signs_in(db: &Db, name: &str, password: &str) -> bool {
    auth::sign_in(
        db,
        name,
        password,
        "2018-01-05T09:00:00.000Z",
        None,
        &auth::AuthPolicy::default(),
    )
    .await
    .is_ok()
}

async fn actions(db: &Db) -> Vec<String> {
    fupin_app::audit::recent(db, &operator(), 50)
        .await
        .expect("audit")
        .into_iter()
        .map(|r| r.entry.action)
        .collect()
}

fupin_store::on_both_engines! {
    async fn enabling_and_resetting_are_admin_only_and_audited(db) {
        fupin_app::regions::load_reference_data(&db, &operator()).await.expect("reference");
        add(&db, "clerk", Role::PovertyOffice, "361128").await;
        let admin = user_ctx("admin", Role::Admin, "3611");
        let regulator = user_ctx("reg", Role::Regulator, "3611");

        for result in [
            users::enable(&db, &regulator, "clerk").await.map(|_| ()),
            users::reset_password(&db, &regulator, "clerk", Some("taken over 123".into())).await.map(|_| ()),
        ] {
            assert!(matches!(result, Err(AppError::Forbidden(_))), "{result:?}");
        }
        assert!(signs_in(&db, "clerk", "first password 1").await);

        users::disable(&db, &admin, "clerk").await.expect("disable");
        assert!(!signs_in(&db, "clerk", "first password 1").await);
        let enabled = users::enable(&db, &admin, "clerk").await.expect("enable");
        assert!(!enabled.disabled);
        assert!(signs_in(&db, "clerk", "first password 1").await);

        let short = users::reset_password(&db, &admin, "clerk", Some("short".into())).await;
        assert!(matches!(short, Err(AppError::Field { .. })), "{short:?}");
        let reset = users::reset_password(&db, &admin, "clerk", None).await.expect("reset");
        let generated = reset.generated.expect("a generated password");
        assert!(!signs_in(&db, "clerk", "first password 1").await);
        assert!(signs_in(&db, "clerk", &generated).await);

        // An admin of another county does not find the user.
        let other = user_ctx("admin_hf", Role::Admin, "361125");
        assert!(matches!(users::reset_password(&db, &other, "clerk", None).await, Err(AppError::NotFound(_))));

        let audited = actions(&db).await;
        for action in ["user.enable", "user.reset_password"] {
            assert!(audited.iter().any(|a| a == action), "{action}: {audited:?}");
        }
        let verification = fupin_app::audit::verification(&db, &operator()).await.expect("verify");
        assert!(verification.problems.is_empty());
    }
}

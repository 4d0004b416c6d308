//! Insurance on both engines: a premium split to the fen between three governments and the
//! farmer, a retried payment posting once, an accident claim that repays a loan, a guarantee
//! claim above its share and then refused (posting nothing), the roles' scopes, and the ledger
//! check clean. Every amount is derived by hand in the comments.

mod common;

use common::*;
use fupin_app::imports::loans::LoanImporter;
use fupin_app::imports::territory::InstitutionImporter;
use fupin_app::insurance::{
    self, ClaimRef, ClaimReport, Event, Kind, ListFilter, PolicyOrder, PremiumOrder, Recorded,
};
use fupin_app::paging::Page;
use fupin_app::{Actor, AppError, Ctx, Db, Role};
use fupin_core::insurance::PremiumShares;
use fupin_core::{Fen, RegionCode};

fn user(role: Role, institution: Option<&str>) -> Ctx {
    Ctx {
        actor: Actor {
            name: format!("{}-user", role.as_str()),
            role,
            region: Some(RegionCode::parse("3611").expect("city")),
            institution: institution.map(str::to_string),
        },
        ..ctx()
    }
}

fn insurer() -> Ctx {
    user(Role::Insurer, Some("PICC"))
}

async fn setup_insurance(db: &Db, dir: &std::path::Path) {
    setup(db, dir).await;
    let insurers = write(
        dir,
        "insurers.csv",
        "code,name,type,region_code\nPICC,人保财险上饶分公司,other,361100\nCPIC,太平洋财险,other,361100\n",
    );
    assert_applied(&import_file(db, &insurers, InstitutionImporter::default()).await);
    // C1 pays interest monthly (ACT/360); C2 is a bullet loan.
    let loans = "contract_no,institution_code,product_code,borrower_type,borrower_id,principal,annual_rate,start_on,maturity_on,repayment,purpose\n\
        C1,PYRCB,MC,household,H1,50000,4.75,2017-03-15,2018-03-15,monthly_interest,养猪\n\
        C2,PYRCB,MC,household,H1,40000,4.75,2017-01-10,2018-01-10,bullet,种植脐橙\n";
    let report = import_file(db, &write(dir, "loans.csv", loans), LoanImporter::new(db)).await;
    assert_applied(&report);
}

fn policy(no: &str, kind: Kind, contract: &str, premium: &str) -> PolicyOrder {
    PolicyOrder {
        insurer_code: "PICC".into(),
        policy_no: no.into(),
        kind,
        loan: Some(("PYRCB".into(), contract.into())),
        household_id: None,
        county_code: None,
        activity: None,
        sum_insured: yuan("60000"),
        premium: yuan(premium),
        default_share_bps: (kind == Kind::Guarantee).then_some(2_000),
        starts_on: date("2017-01-01"),
        ends_on: date("2017-12-31"),
        shares: PremiumShares::new(4_000, 2_500, 1_500, 2_000).expect("100 %"),
    }
}

async fn register(db: &Db, ctx: &Ctx, order: &PolicyOrder) -> fupin_app::Result<Recorded> {
    insurance::in_transaction(db, async |tx| {
        insurance::register_policy(tx, ctx, order).await
    })
    .await
}

async fn pay_premium(db: &Db, ctx: &Ctx, id: &str) -> fupin_app::Result<Recorded> {
    let order = PremiumOrder {
        insurer_code: "PICC".into(),
        policy_no: "A1".into(),
        id: id.into(),
        paid_on: date("2017-03-15"),
        amount: yuan("123.45"),
    };
    insurance::in_transaction(db, async |tx| {
        insurance::record_premium(tx, ctx, &order).await
    })
    .await
}

async fn approve(db: &Db, ctx: &Ctx) -> fupin_app::Result<insurance::PremiumPayment> {
    insurance::in_transaction(db, async |tx| {
        insurance::approve_premium(tx, ctx, "PICC", "A1", "P1", date("2017-03-20")).await
    })
    .await
}

fn claim(policy: &str, no: &str) -> ClaimRef {
    ClaimRef {
        insurer_code: "PICC".into(),
        policy_no: policy.into(),
        claim_no: no.into(),
    }
}

async fn report(db: &Db, policy: &str, no: &str, event: Event, claimed: &str) {
    let report = ClaimReport {
        insurer_code: "PICC".into(),
        policy_no: policy.into(),
        claim_no: no.into(),
        event,
        occurred_on: date("2017-04-01"),
        reported_on: date("2017-04-03"),
        claimed: yuan(claimed),
    };
    let recorded = insurance::in_transaction(db, async |tx| {
        insurance::report_claim(tx, &insurer(), &report).await
    })
    .await
    .expect("reported");
    assert_eq!(recorded, Recorded::New);
}

async fn paid_for(db: &Db, contract: &str) -> Fen {
    insurance::in_transaction(db, async |tx| {
        let loan = fupin_app::loans::find(tx, "PYRCB", contract).await?;
        insurance::paid_for_loan(tx, loan.id).await
    })
    .await
    .expect("paid for loan")
}

fupin_store::on_both_engines! {
    async fn premiums_and_claims_through_the_ledger(db) {
        let dir = tempfile::tempdir().expect("dir");
        setup_insurance(&db, dir.path()).await;
        assert_eq!(register(&db, &insurer(), &policy("A1", Kind::Accident, "C1", "123.45")).await.expect("A1"), Recorded::New);
        assert_eq!(register(&db, &insurer(), &policy("A1", Kind::Accident, "C1", "123.45")).await.expect("again"), Recorded::AlreadyRecorded);
        let changed = register(&db, &insurer(), &policy("A1", Kind::Accident, "C1", "100")).await.expect_err("changed");
        assert!(matches!(changed, AppError::Conflict(_)), "{changed}");
        register(&db, &insurer(), &policy("G1", Kind::Guarantee, "C2", "80")).await.expect("G1");

        // 123.45 yuan at 40 / 25 / 15 / 20 %: central 49.38, provincial 30.862… → 30.86,
        // county 18.517… → 18.51, farmer 24.69 + the 0.01 left by rounding down = 24.70.
        // The farmer's part posts at once; paid twice, it posts once.
        assert_eq!(pay_premium(&db, &insurer(), "P1").await.expect("P1"), Recorded::New);
        assert_eq!(pay_premium(&db, &insurer(), "P1").await.expect("retry"), Recorded::AlreadyRecorded);
        assert_eq!(balance(&db, "farmers:361128000000").await, yuan("24.70"));
        assert_eq!(balance(&db, "insurer:PICC").await, yuan("24.70"));
        // A second payment would take A1's premiums above 123.45.
        let above = pay_premium(&db, &insurer(), "P2").await.expect_err("above the premium");
        assert!(above.to_string().contains("would reach 246.90"), "{above}");

        // Only the finance bureau approves the subsidies; approving twice posts once.
        let refused = approve(&db, &insurer()).await.expect_err("insurer");
        assert!(matches!(refused, AppError::Forbidden(_)), "{refused}");
        let finance = user(Role::Finance, None);
        let approved = approve(&db, &finance).await.expect("approved");
        assert_eq!(approved.parts, [yuan("49.38"), yuan("30.86"), yuan("18.51"), yuan("24.70")]);
        approve(&db, &finance).await.expect("again");
        assert_eq!(balance(&db, "treasury:central").await, yuan("49.38"));
        assert_eq!(balance(&db, "treasury:360000000000").await, yuan("30.86"));
        assert_eq!(balance(&db, "treasury:361128000000").await, yuan("18.51"));
        assert_eq!(balance(&db, "insurer:PICC").await, yuan("123.45"), "49.38 + 30.86 + 18.51 + 24.70");

        // H1, C1's borrower, dies on 1 April. Settling C1 on 10 April: 50,000 principal and
        // the current instalment's interest, 15 Mar – 15 Apr, 31 days: 50,000 × 4.75 % × 31 /
        // 360 = 204.513… → 204.51; in all 50,204.51.
        report(&db, "A1", "A1-1", Event::Death, "60000").await;
        let over = insurance::in_transaction(&db, async |tx| {
            insurance::assess_claim(tx, &insurer(), &claim("A1", "A1-1"), yuan("60000.01"), date("2017-04-05")).await
        }).await.expect_err("above the sum insured");
        assert!(over.to_string().contains("sum insured"), "{over}");
        insurance::in_transaction(&db, async |tx| {
            insurance::assess_claim(tx, &insurer(), &claim("A1", "A1-1"), yuan("50204.51"), date("2017-04-05")).await
        }).await.expect("assessed");
        for _ in 0..2 {
            let paid = insurance::in_transaction(&db, async |tx| {
                insurance::pay_claim(tx, &insurer(), &claim("A1", "A1-1"), date("2017-04-10")).await
            }).await.expect("paid, then paid again");
            assert_eq!((paid.state.as_str(), paid.paid), ("paid", yuan("50204.51")));
        }
        assert_eq!(balance(&db, "loan:PYRCB:C1:principal").await, Fen::ZERO, "repaid");
        let loan = insurance::in_transaction(&db, async |tx| fupin_app::loans::find(tx, "PYRCB", "C1").await).await.expect("C1");
        assert_eq!(loan.status, "settled");
        assert_eq!(balance(&db, "insurer:PICC").await, yuan("-50081.06"), "123.45 − 50,204.51, once");
        assert_eq!(balance(&db, "insurer:PICC:benefits").await, yuan("50204.51"));
        assert_eq!(paid_for(&db, "C1").await, yuan("50204.51"));

        // G1 pays 20 % of C2's default: at most 20 % × 40,000 = 8,000. Refused, it posts
        // nothing and cannot be paid.
        report(&db, "G1", "G1-1", Event::Default, "8000").await;
        let over = insurance::in_transaction(&db, async |tx| {
            insurance::assess_claim(tx, &insurer(), &claim("G1", "G1-1"), yuan("8000.01"), date("2017-04-05")).await
        }).await.expect_err("above the share");
        assert!(over.to_string().contains("8,000.00"), "{over}");
        let wrong = ClaimReport { insurer_code: "PICC".into(), policy_no: "G1".into(), claim_no: "G1-2".into(), event: Event::Death, occurred_on: date("2017-04-01"), reported_on: date("2017-04-01"), claimed: yuan("1") };
        let wrong = insurance::in_transaction(&db, async |tx| insurance::report_claim(tx, &insurer(), &wrong).await).await.expect_err("not covered");
        assert!(wrong.to_string().contains("does not cover death"), "{wrong}");
        let refused = insurance::in_transaction(&db, async |tx| {
            insurance::refuse_claim(tx, &insurer(), &claim("G1", "G1-1"), "逾期未满保单约定的90天", date("2017-04-06")).await
        }).await.expect("refused");
        assert_eq!((refused.state.as_str(), refused.paid), ("refused", Fen::ZERO));
        let unpaid = insurance::in_transaction(&db, async |tx| {
            insurance::pay_claim(tx, &insurer(), &claim("G1", "G1-1"), date("2017-04-10")).await
        }).await.expect_err("refused claims are not paid");
        assert!(matches!(unpaid, AppError::Conflict(_)), "{unpaid}");
        assert_eq!(balance(&db, "insurer:PICC").await, yuan("-50081.06"), "unchanged");
        assert_eq!(paid_for(&db, "C2").await, Fen::ZERO);
        ledger_is_clean(&db).await;
    }

    async fn each_role_sees_its_own(db) {
        let dir = tempfile::tempdir().expect("dir");
        setup_insurance(&db, dir.path()).await;
        register(&db, &insurer(), &policy("A1", Kind::Accident, "C1", "100")).await.expect("A1");
        // Another insurer's staff neither see nor enter PICC's policies; a bank enters none.
        let other = user(Role::Insurer, Some("CPIC"));
        let hidden = register(&db, &other, &policy("A2", Kind::Accident, "C2", "100")).await.expect_err("other insurer");
        assert!(matches!(hidden, AppError::NotFound(_)), "{hidden}");
        let bank = user(Role::Bank, Some("PYRCB"));
        let forbidden = register(&db, &bank, &policy("A2", Kind::Accident, "C2", "100")).await.expect_err("bank");
        assert!(matches!(forbidden, AppError::Forbidden(_)), "{forbidden}");
        let page = Page::default();
        let all = ListFilter::default();
        let count = |ctx: Ctx| {
            let db = db.clone();
            let all = all.clone();
            async move { insurance::policies_for(&db, &ctx, &all, page).await.map(|p| p.len()) }
        };
        assert_eq!(count(insurer()).await.expect("own"), 1);
        assert_eq!(count(other.clone()).await.expect("none of its own"), 0);
        assert_eq!(count(bank).await.expect("its loan's cover"), 1);
        assert_eq!(count(user(Role::Bank, Some("ABC"))).await.expect("not its loans"), 0);
        assert_eq!(count(user(Role::Regulator, None)).await.expect("region"), 1);
        let poverty = count(user(Role::PovertyOffice, None)).await.expect_err("no insurance");
        assert!(matches!(poverty, AppError::Forbidden(_)), "{poverty}");
        let asked = ListFilter { insurer: Some("PICC".into()), ..ListFilter::default() };
        let refused = insurance::policies_for(&db, &other, &asked, page).await.expect_err("another's");
        assert!(matches!(refused, AppError::NotFound(_)), "{refused}");
        let named = insurance::policies_for(&db, &insurer(), &all, page).await.expect("named");
        assert_eq!((named[0].insurer_name.as_str(), named[0].county_name.as_str(), named[0].loan.clone()), ("人保财险上饶分公司", "鄱阳县", Some(("PYRCB".to_string(), "C1".to_string()))));
    }

    async fn an_insurer_user_needs_its_institution(db) {
        let dir = tempfile::tempdir().expect("dir");
        setup_insurance(&db, dir.path()).await;
        let new = |institution: Option<&str>| fupin_app::users::NewUser {
            name: "picc_clerk".into(),
            display_name: None,
            role: Role::Insurer,
            region: RegionCode::parse("3611").expect("city"),
            institution: institution.map(str::to_string),
            password: "a long password 1".into(),
        };
        let missing = fupin_app::users::add(&db, &ctx(), new(None)).await.expect_err("no institution");
        assert!(missing.to_string().contains("an insurer user needs an institution"), "{missing}");
        let added = fupin_app::users::add(&db, &ctx(), new(Some("PICC"))).await.expect("added");
        assert_eq!((added.role, added.institution.as_deref()), (Role::Insurer, Some("PICC")));
        // The schema holds the rule too, on both engines.
        let mut tx = db.write().await.expect("begin");
        let bare = sqlx::query("insert into users (name, role, region_code, password_hash, created_at) values ('x', 'insurer', '361100000000', 'h', 't')")
            .execute(&mut *tx)
            .await;
        assert!(bare.is_err(), "an insurer without an institution is refused by the schema");
    }
}

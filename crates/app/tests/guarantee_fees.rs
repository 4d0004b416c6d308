//! Guarantee fees and their subsidy (docs/funds.md, "Guarantee fees"), on both engines, every
//! fen derived by hand in the comments: loan W1 of 45,678.90 yuan is guaranteed 40 % by the
//! county guarantee fund (fee 1 % a year, paid by the borrower, half subsidised) and 30 % by the
//! guarantee company GC (fee 2 % a year, paid by the bank, 30 % subsidised).

mod common;

use common::*;
use fupin_app::guarantee_fees::{self, FeeOrder, Recorded};
use fupin_app::guarantees::{
    self, Company, FundSettings, GuarantorKind, NewGuarantee, ProductTerms,
};
use fupin_app::imports::territory::InstitutionImporter;
use fupin_app::{Actor, AppError, Ctx, Role};
use fupin_core::{Fen, RegionCode};

fn county() -> RegionCode {
    RegionCode::parse("361128").expect("Poyang")
}

fn as_role(role: Role, institution: Option<&str>) -> Ctx {
    Ctx {
        actor: Actor {
            name: role.as_str().into(),
            role,
            region: Some(county()),
            institution: institution.map(str::to_string),
        },
        ..ctx()
    }
}

async fn guaranteed_loan(db: &fupin_app::Db, dir: &std::path::Path) {
    setup(db, dir).await;
    let fund = FundSettings {
        county_code: county(),
        effective_from: date("2017-01-01"),
        leverage_multiple: 5,
        fund_share_bps: 8_000,
    };
    guarantees::set_fund_settings(db, &as_role(Role::Finance, None), &fund)
        .await
        .expect("fund rules");
    let companies = write(
        dir,
        "gc.csv",
        "code,name,type,region_code\nGC,鄱阳县融资担保公司,other,361128\nGD,另一担保公司,other,361128\n",
    );
    assert_applied(&import_file(db, &companies, InstitutionImporter::default()).await);
    for code in ["GC", "GD"] {
        let company = Company {
            institution_code: code.into(),
            national_bps: 4_000,
            provincial_bps: 3_000,
            company_bps: 2_000,
            bank_bps: 1_000,
        };
        guarantees::set_company(db, &ctx(), &company)
            .await
            .expect("4-3-2-1");
    }
    let terms = ProductTerms {
        product_code: "MC".into(),
        kinds: vec!["county_fund".into(), "company".into()],
        cap_bps: 10_000,
    };
    guarantees::set_product_terms(db, &ctx(), &terms)
        .await
        .expect("terms");
    deposit(db, "G1", "361128", "guarantee", "2017-01-05", "5000")
        .await
        .expect("guarantee fund");
    // The subsidy fund holds 500.00: enough for the first subsidy (228.40), not both (502.47).
    deposit(db, "S1", "361128", "subsidy", "2017-01-05", "500")
        .await
        .expect("subsidy fund");
    one_loan(db, dir, "W1", "45678.90").await;
    let bank = as_role(Role::Bank, Some("PYRCB"));
    for (kind, id, share_bps, fee_rate_bps, fee_payer, fee_subsidy_bps) in [
        (
            GuarantorKind::CountyFund,
            "361128",
            4_000,
            100,
            "borrower",
            5_000,
        ),
        (GuarantorKind::Company, "GC", 3_000, 200, "bank", 3_000),
    ] {
        let new = NewGuarantee {
            institution_code: "PYRCB".into(),
            loan_contract_no: "W1".into(),
            kind,
            guarantor_id: id.into(),
            contract_no: format!("DB-W1-{}", kind.as_str()),
            share_bps,
            signed_on: date("2017-03-20"),
            fee_rate_bps,
            fee_payer: fee_payer.into(),
            fee_subsidy_bps,
        };
        guarantees::add_guarantee_command(db, &bank, &new)
            .await
            .expect("guarantee");
    }
}

fn fee(contract: &str, id: &str, paid_on: &str, days: i64) -> FeeOrder {
    FeeOrder {
        institution_code: "PYRCB".into(),
        loan_contract_no: "W1".into(),
        guarantee_contract_no: contract.into(),
        id: id.into(),
        paid_on: date(paid_on),
        days,
    }
}

fn paid(recorded: Recorded) -> (Fen, Fen, String) {
    match recorded {
        Recorded::New(f) => (f.amount, f.subsidy, f.subsidy_state),
        Recorded::AlreadyRecorded(f) => panic!("{} already recorded", f.id),
    }
}

fupin_store::on_both_engines! {
    async fn fees_posted_subsidised_and_counted(db) {
        let dir = tempfile::tempdir().expect("dir");
        guaranteed_loan(&db, dir.path()).await;
        assert_eq!(guarantee_fees::fee_for(yuan("45678.90"), 100, 181).expect("fee"), yuan("226.52"),
            "4,567,890 fen × 100 × 181 ÷ 3,650,000 = 22,651.96… → 22,652 fen");
        let finance = as_role(Role::Finance, None);
        let bank = as_role(Role::Bank, Some("PYRCB"));

        // The county fund's fee for a year: 45,678.90 × 1 % = 456.789 → 456.79, paid by the
        // borrower; the subsidy 50 % of it = 228.395 → 228.40, pending.
        let fund_fee = fee("DB-W1-county_fund", "F1", "2017-03-20", 365);
        let recorded = guarantee_fees::record_fee_command(&db, &finance, &fund_fee).await.expect("fund fee");
        assert_eq!(paid(recorded), (yuan("456.79"), yuan("228.40"), "pending".into()));
        assert_eq!(balance(&db, "fund:361128000000:guarantee").await, yuan("5456.79"), "5,000 + 456.79");
        assert_eq!(balance(&db, "borrowers:361128000000").await, yuan("456.79"));
        // The same payment again posts nothing; the same id with other days is a conflict.
        let again = guarantee_fees::record_fee_command(&db, &finance, &fund_fee).await.expect("again");
        assert!(matches!(again, Recorded::AlreadyRecorded(_)), "{again:?}");
        assert_eq!(balance(&db, "fund:361128000000:guarantee").await, yuan("5456.79"));
        let other = guarantee_fees::record_fee_command(&db, &finance, &fee("DB-W1-county_fund", "F1", "2017-03-20", 181)).await;
        assert!(matches!(other, Err(AppError::Conflict(_))), "{other:?}");

        // The company's fee: 45,678.90 × 2 % = 913.578 → 913.58, paid by the bank; subsidy
        // 30 % = 274.074 → 274.07. Another company's staff does not see the contract; the
        // finance bureau records only the county fund's fees; an insurer none.
        let company_fee = fee("DB-W1-company", "F2", "2017-03-20", 365);
        let gd = guarantee_fees::record_fee_command(&db, &as_role(Role::Guarantor, Some("GD")), &company_fee).await;
        assert!(matches!(gd, Err(AppError::NotFound(_))), "{gd:?}");
        let by_finance = guarantee_fees::record_fee_command(&db, &finance, &company_fee).await;
        assert!(matches!(by_finance, Err(AppError::NotFound(_))), "{by_finance:?}");
        let insurer = guarantee_fees::record_fee_command(&db, &as_role(Role::Insurer, Some("GC")), &company_fee).await;
        assert!(matches!(insurer, Err(AppError::Forbidden(_))), "{insurer:?}");
        let recorded = guarantee_fees::record_fee_command(&db, &as_role(Role::Guarantor, Some("GC")), &company_fee).await.expect("company fee");
        assert_eq!(paid(recorded), (yuan("913.58"), yuan("274.07"), "pending".into()));
        let fees_account = count_rows(&db, "select count(*) from ledger_accounts where code like 'guarantee:%:fees' and kind = 'guarantee_fees'").await;
        assert_eq!(fees_account, 1);
        let missing = guarantee_fees::record_fee_command(&db, &bank, &fee("DB-NONE", "F3", "2017-03-20", 365)).await.expect_err("no such contract");
        assert!(missing.to_string().contains("has no guarantee of contract DB-NONE"), "{missing}");

        // Subsidies: the finance bureau only, not before the payment; paid from the county
        // subsidy fund to the payer: 500.00 − 228.40 = 271.60 left, the borrowers' net fee
        // 456.79 − 228.40 = 228.39.
        let by_bank = guarantee_fees::approve_subsidy(&db, &bank, "F1", date("2017-04-01")).await;
        assert!(matches!(by_bank, Err(AppError::Forbidden(_))), "{by_bank:?}");
        let early = guarantee_fees::approve_subsidy(&db, &finance, "F1", date("2017-03-01")).await.expect_err("before");
        assert!(early.to_string().contains("before the payment on 2017-03-20"), "{early}");
        let approved = guarantee_fees::approve_subsidy(&db, &finance, "F1", date("2017-04-01")).await.expect("approve");
        assert_eq!((approved.subsidy_state.as_str(), approved.approved_on), ("approved", Some(date("2017-04-01"))));
        assert_eq!(balance(&db, "fund:361128000000:subsidy").await, yuan("271.60"));
        assert_eq!(balance(&db, "borrowers:361128000000").await, yuan("228.39"));
        guarantee_fees::approve_subsidy(&db, &finance, "F1", date("2017-04-02")).await.expect("again");
        assert_eq!(balance(&db, "fund:361128000000:subsidy").await, yuan("271.60"), "approving again posts nothing");
        // 274.07 > 271.60: refused whole, the subsidy still pending.
        let short = guarantee_fees::approve_subsidy(&db, &finance, "F2", date("2017-04-01")).await.expect_err("fund short");
        assert!(short.to_string().contains("holds less than 274.07"), "{short}");
        let pending = guarantee_fees::fees_for(&db, &finance, None, true).await.expect("pending");
        assert_eq!(pending.iter().map(|f| f.fee.id.as_str()).collect::<Vec<_>>(), ["F2"]);
        // The company sees its own fee only; the bank both.
        let theirs = guarantee_fees::fees_for(&db, &as_role(Role::Guarantor, Some("GC")), None, false).await.expect("GC");
        assert_eq!(theirs.iter().map(|f| f.fee.id.as_str()).collect::<Vec<_>>(), ["F2"]);
        assert_eq!(guarantee_fees::fees_for(&db, &bank, None, false).await.expect("bank").len(), 2);

        // Figures: fees paid 456.79 + 913.58 = 1,370.37; subsidies approved 228.40 (none
        // before the approval date).
        let figures = guarantees::figures(&db, "361128", date("2017-12-31")).await.expect("figures");
        assert_eq!((figures.fees_paid, figures.fee_subsidies), (yuan("1370.37"), yuan("228.40")));
        let march = guarantees::figures(&db, "361128", date("2017-03-31")).await.expect("march");
        assert_eq!((march.fees_paid, march.fee_subsidies), (yuan("1370.37"), Fen::ZERO));
        ledger_is_clean(&db).await;
    }
}

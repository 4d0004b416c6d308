//! Insurance over HTTP on both engines: each role's list (the insurer its own, the regulator its
//! county, a bank the cover of its loans, the poverty office nothing) and the page in Chinese
//! and English, money in 万元 with names beside codes.

mod common;

use common::*;
use fupin_app::Role;
use fupin_app::fupin_core::Fen;
use fupin_app::fupin_core::insurance::PremiumShares;
use fupin_app::insurance::{self, Kind, PolicyOrder};
use reqwest::{Method, StatusCode};

async fn seed_insurance(db: &fupin_app::Db) {
    let mut tx = db.write().await.expect("tx");
    for (insurer, name) in [("PICC", "人保财险"), ("CPIC", "太保财险")] {
        fupin_store::institutions::upsert(
            &mut tx,
            &fupin_app::territory::Institution {
                code: insurer.into(),
                name: name.into(),
                name_en: None,
                kind: "other".into(),
                parent_code: None,
                region_code: code("3611"),
            },
        )
        .await
        .expect("insurer");
    }
    // Two crop policies of PICC on households, one per county: 123,456.78 yuan insured in
    // Poyang (12.35 万元 once rounded), 50,000 in Hengfeng.
    for (no, county, sum) in [("K1", "361128", 12_345_678), ("K2", "361125", 5_000_000)] {
        let order = PolicyOrder {
            insurer_code: "PICC".into(),
            policy_no: no.into(),
            kind: Kind::Crop,
            loan: None,
            household_id: Some(format!("H-{no}")),
            county_code: Some(code(county)),
            activity: Some("水稻".into()),
            sum_insured: Fen::new(sum),
            premium: Fen::new(100_000),
            default_share_bps: None,
            starts_on: date("2017-01-01"),
            ends_on: date("2017-12-31"),
            shares: PremiumShares::new(4_000, 3_000, 2_000, 1_000).expect("100 %"),
        };
        insurance::register_policy(&mut tx, &operator(), &order)
            .await
            .expect("policy");
    }
    tx.commit().await.expect("commit");
}

fupin_store::on_both_engines! {
    async fn each_role_lists_its_own_and_the_page_speaks_both_languages(db) {
        seed_territory(&db).await;
        seed_insurance(&db).await;
        let tokens = seed_users(&db).await;
        add_user(&db, "picc", Role::Insurer, "3611", Some("PICC")).await;
        add_user(&db, "cpic", Role::Insurer, "3611", Some("CPIC")).await;
        let base = start(&db, fupin_web::Config::default()).await;
        let token = |name: &str| tokens.iter().find(|(n, _)| *n == name).expect("user").1.clone();
        let count = |answer: Answer| {
            assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
            items(&answer.json()).len()
        };
        let picc = sign_in(&base, "picc").await;
        assert_eq!(count(get(&base, "/api/insurance/policies", &picc).await), 2);
        assert_eq!(count(get(&base, "/api/insurance/policies", &token("reg_poyang")).await), 1);
        assert_eq!(count(get(&base, "/api/insurance/policies", &token("bank_py")).await), 0);
        assert_eq!(count(get(&base, "/api/insurance/claims", &picc).await), 0);
        let poverty = get(&base, "/api/insurance/policies", &token("poverty")).await;
        assert_eq!(poverty.status, StatusCode::FORBIDDEN, "{}", poverty.text);
        let cpic = sign_in(&base, "cpic").await;
        let other = get(&base, "/api/insurance/policies?insurer=PICC", &cpic).await;
        assert_eq!(other.status, StatusCode::NOT_FOUND, "{}", other.text);
        let bad = get(&base, "/api/insurance/policies?kind=fire", &picc).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);
        let first = &items(&get(&base, "/api/insurance/policies?region=361128", &picc).await.json())[0];
        assert_eq!((first["policy_no"].as_str(), first["sum_insured"].as_str(), first["county_name"].as_str()), (Some("K1"), Some("123456.78"), Some("鄱阳县")));

        let zh = get(&base, "/insurance?kind=crop", &picc).await;
        assert_eq!(zh.status, StatusCode::OK, "{}", zh.text);
        for text in ["涉农保险", "种植险", "12.35 万元", "123,456.78 元", "鄱阳县", "人保财险", "中央 40%"] {
            assert!(zh.text.contains(text), "zh page lacks {text}");
        }
        let en = call(&base, Method::GET, "/insurance", &picc, None, &[("accept-language", "en")]).await;
        for text in ["Agriculture-related insurance", "Crop insurance", "12.35 10k yuan"] {
            assert!(en.text.contains(text), "en page lacks {text}");
        }
        let forbidden = get(&base, "/insurance", &sign_in(&base, "poverty").await).await;
        assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
    }
}

async fn post_keyed(
    base: &str,
    path: &str,
    auth: &Auth,
    key: &str,
    body: serde_json::Value,
) -> Answer {
    call(
        base,
        Method::POST,
        path,
        auth,
        Some(&body),
        &[("idempotency-key", key)],
    )
    .await
}

fupin_store::on_both_engines! {
    async fn premium_approval_and_claim_decisions_are_role_scoped(db) {
        seed_territory(&db).await;
        seed_insurance(&db).await;
        let tokens = seed_users(&db).await;
        add_user(&db, "picc", Role::Insurer, "3611", Some("PICC")).await;
        add_user(&db, "cpic", Role::Insurer, "3611", Some("CPIC")).await;
        // A premium of 1,000.00 on K1: central 400, provincial 300, county 200, farmer 100.
        let order = insurance::PremiumOrder { insurer_code: "PICC".into(), policy_no: "K1".into(), id: "P1".into(), paid_on: date("2017-02-01"), amount: Fen::new(100_000) };
        let mut tx = db.write().await.expect("tx");
        insurance::record_premium(&mut tx, &operator(), &order).await.expect("premium");
        tx.commit().await.expect("commit");
        let base = start(&db, fupin_web::Config::default()).await;
        let token = |name: &str| tokens.iter().find(|(n, _)| *n == name).expect("user").1.clone();
        let finance = sign_in(&base, "finance").await;
        let picc = sign_in(&base, "picc").await;

        // The buttons each role sees: the finance bureau approves premiums, the insurer reports
        // and decides claims, the regulator neither.
        let page = get(&base, "/insurance", &finance).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        for text in ["待审批的保费补贴", "审批补贴并拨付", "/insurance/premiums/approve", "data-confirm", "待财政审批"] {
            assert!(page.text.contains(text), "finance page lacks {text}");
        }
        assert!(!page.text.contains("/insurance/claims/report"));
        let page = get(&base, "/insurance", &picc).await;
        assert!(page.text.contains("/insurance/claims/report") && !page.text.contains("/insurance/premiums/approve"));
        let page = get(&base, "/insurance", &token("reg_poyang")).await;
        assert!(!page.text.contains("/insurance/claims/report") && !page.text.contains("/insurance/premiums/approve"));

        // Premium subsidies: the insurer may not approve them, the finance bureau does, once.
        let approval = serde_json::json!({"insurer": "PICC", "policy_no": "K1", "id": "P1", "on": "2017-02-10"});
        let refused = post_keyed(&base, "/api/insurance/premiums/approve", &picc, "a1", approval.clone()).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.text);
        let approved = post_keyed(&base, "/api/insurance/premiums/approve", &finance, "a2", approval.clone()).await;
        assert_eq!(approved.status, StatusCode::OK, "{}", approved.text);
        assert_eq!(approved.json()["state"], "approved");
        let pending = get(&base, "/api/insurance/premiums?premium_state=pending", &finance).await;
        assert_eq!(items(&pending.json()).len(), 0, "{}", pending.text);

        // Claims: the insurer reports, assesses and pays its own; another insurer and the
        // finance bureau cannot.
        let report = serde_json::json!({"insurer": "PICC", "policy_no": "K1", "claim_no": "C1", "event": "crop_loss", "occurred_on": "2017-07-01", "reported_on": "2017-07-02", "claimed": "5000"});
        let by_cpic = post(&base, "/api/insurance/claims", &sign_in(&base, "cpic").await, &report).await;
        assert_eq!(by_cpic.status, StatusCode::NOT_FOUND, "another insurer does not see PICC: {}", by_cpic.text);
        let reported = post(&base, "/api/insurance/claims", &picc, &report).await;
        assert_eq!(reported.status, StatusCode::NO_CONTENT, "{}", reported.text);
        let decide = |action: &str, extra: serde_json::Value| {
            let mut body = serde_json::json!({"insurer": "PICC", "policy_no": "K1", "claim_no": "C1", "action": action, "on": "2017-07-10"});
            body.as_object_mut().expect("object").extend(extra.as_object().expect("object").clone());
            body
        };
        let by_finance = post_keyed(&base, "/api/insurance/claims/decide", &finance, "d0", decide("pay", serde_json::json!({}))).await;
        assert_eq!(by_finance.status, StatusCode::FORBIDDEN, "{}", by_finance.text);
        let page = get(&base, "/insurance", &picc).await;
        assert!(page.text.contains("定损") && page.text.contains("拒赔"), "the insurer's decision buttons");
        let assessed = post_keyed(&base, "/api/insurance/claims/decide", &picc, "d1", decide("assess", serde_json::json!({"amount": "4000"}))).await;
        assert_eq!((assessed.status, assessed.json()["state"].as_str()), (StatusCode::OK, Some("assessed")), "{}", assessed.text);
        let paid = post_keyed(&base, "/api/insurance/claims/decide", &picc, "d2", decide("pay", serde_json::json!({}))).await;
        assert_eq!((paid.json()["state"].as_str(), paid.json()["paid"].as_str()), (Some("paid"), Some("4000.00")), "{}", paid.text);
        let bad = post_keyed(&base, "/api/insurance/claims/decide", &picc, "d3", decide("cancel", serde_json::json!({}))).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);

        // The guarantees page: for those who read guarantees.
        let page = get(&base, "/guarantees", &finance).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        assert!(page.text.contains("担保代偿与担保费"));
        let forbidden = get(&base, "/guarantees", &sign_in(&base, "poverty").await).await;
        assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
    }
}

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

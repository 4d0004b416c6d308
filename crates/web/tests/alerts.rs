//! Supervisory alerts over HTTP on both engines: a bank lists and reads only its own alerts
//! (another's is 404), answers them but may not dismiss (403); the regulator of the county
//! dismisses; a regulator of another county sees none; the poverty office is refused (403); a
//! rule posted as data is validated; the pages render for the bank.
//!
//! The alerts are written as rows here (the rules that find them are tested in
//! `crates/app/tests/alerts.rs`): this test is about who reaches them.

mod common;

use common::*;
use serde_json::json;

fn auth_of(users: &[(&'static str, Auth)], name: &str) -> Auth {
    users
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, a)| a.clone())
        .expect("user")
}

async fn plant(db: &fupin_app::Db) {
    for (rule, subject, institution, village) in [
        ("MULTI_BANK", "PYRCB/C1", Some("PYRCB"), "361128100001"),
        ("MULTI_BANK", "ABC-SR/C2", Some("ABC-SR"), "361128101001"),
        ("VILLAGE_OVERDUE", "361125100001", None, "361125100001"),
    ] {
        let county = format!("{}000000", &village[..6]);
        sqlx::query(
            "insert into alerts (rule_code, subject_key, institution_code, village_code, \
             county_code, status, first_seen, last_seen, evidence_json) \
             values ($1, $2, $3, $4, $5, 'open', '2017-06-30', '2017-06-30', $6)",
        )
        .bind(rule)
        .bind(subject)
        .bind(institution)
        .bind(village)
        .bind(county)
        .bind(r#"{"facts": {"household_banks_count": 2, "banks_min": 2}}"#)
        .execute(db.pool())
        .await
        .expect("plant an alert");
    }
}

fupin_store::on_both_engines! {
    async fn alerts_are_reached_by_those_who_answer_them(db) {
        seed_territory(&db).await;
        let users = seed_users(&db).await;
        plant(&db).await;
        let base = start(&db, fupin_web::Config::default()).await;

        let city = get(&base, "/api/alerts", &auth_of(&users, "reg_city")).await;
        assert_eq!(city.status, 200, "{}", city.text);
        assert_eq!(city.json().as_array().map(Vec::len), Some(3));
        let poyang = get(&base, "/api/alerts", &auth_of(&users, "reg_poyang")).await.json();
        assert_eq!(poyang.as_array().map(Vec::len), Some(2));
        let bank = auth_of(&users, "bank_py");
        let own = get(&base, "/api/alerts", &bank).await.json();
        let own = own.as_array().expect("a list");
        assert_eq!(own.len(), 1);
        assert_eq!(own[0]["institution"], "PYRCB");
        let own_id = own[0]["id"].as_i64().expect("id");
        let others = city.json();
        let other_id = others.as_array().expect("list").iter()
            .find(|a| a["institution"] == "ABC-SR").and_then(|a| a["id"].as_i64()).expect("ABC's");

        assert_eq!(get(&base, &format!("/api/alerts/{other_id}"), &bank).await.status, 404);
        assert_eq!(get(&base, "/api/alerts?bank=ABC-SR", &bank).await.status, 404);
        assert_eq!(get(&base, "/api/alerts", &auth_of(&users, "poverty")).await.status, 403);
        assert_eq!(get(&base, &format!("/api/alerts/{own_id}"), &auth_of(&users, "reg_hf")).await.status, 404);
        assert_eq!(get(&base, "/api/alerts?status=gone", &bank).await.status, 422);

        let dismiss = post(&base, &format!("/api/alerts/{own_id}/answers"), &bank, &json!({"kind": "dismiss", "note": "不是我们的"})).await;
        assert_eq!(dismiss.status, 403, "{}", dismiss.text);
        let explain = post(&base, &format!("/api/alerts/{own_id}/answers"), &bank, &json!({"kind": "explain", "note": "两笔贷款用途不同"})).await;
        assert_eq!(explain.status, 200, "{}", explain.text);
        assert_eq!(explain.json()["status"], "explained");
        let dismissed = post(&base, &format!("/api/alerts/{own_id}/answers"), &auth_of(&users, "reg_poyang"), &json!({"kind": "dismiss", "note": "核实无误"})).await;
        assert_eq!(dismissed.json()["status"], "dismissed");
        let detail = get(&base, &format!("/api/alerts/{own_id}"), &bank).await.json();
        assert_eq!(detail["answers"].as_array().map(Vec::len), Some(2));

        let bad = post(&base, "/api/alerts/rules", &auth_of(&users, "reg_city"), &json!({
            "code": "X1", "name_zh": "测试", "name_en": "Test", "severity": "low", "subject": "loan",
            "condition": "nonsense > 1", "parameters": {}, "regulation": "r", "definition": "d"
        })).await;
        assert_eq!(bad.status, 422, "{}", bad.text);
        assert!(bad.text.contains("condition"), "{}", bad.text);
        let by_bank = post(&base, "/api/alerts/rules", &bank, &json!({
            "code": "X1", "name_zh": "测试", "name_en": "Test", "severity": "low", "subject": "loan",
            "condition": "amount_fen > 1", "parameters": {}, "regulation": "r", "definition": "d"
        })).await;
        assert_eq!(by_bank.status, 403);

        for path in ["/alerts".to_string(), format!("/alerts/{own_id}"), "/alerts/work-list.xlsx".to_string()] {
            let page = get(&base, &path, &bank).await;
            assert_eq!(page.status, 200, "{path}: {}", page.text);
        }
        assert_eq!(get(&base, &format!("/alerts/{other_id}"), &bank).await.status, 404);
    }
}

fupin_store::on_both_engines! {
    async fn the_alerts_page_is_paged_and_keeps_its_filters(db) {
        seed_territory(&db).await;
        let users = seed_users(&db).await;
        plant(&db).await;
        // 100 more of the bank's: 101 with the bank's filter, 103 in all.
        for n in 0..100 {
            sqlx::query(
                "insert into alerts (rule_code, subject_key, institution_code, village_code, \
                 county_code, status, first_seen, last_seen, evidence_json) \
                 values ('MULTI_BANK', $1, 'PYRCB', '361128100001', '361128000000', 'open', \
                 '2017-06-29', '2017-06-29', '{}')",
            )
            .bind(format!("PYRCB/P{n:03}"))
            .execute(db.pool())
            .await
            .expect("plant an alert");
        }
        let base = start(&db, fupin_web::Config::default()).await;
        let city = auth_of(&users, "reg_city");
        let rows = |text: &str| text.matches("class=\"alert-row").count();

        let first = get(&base, "/alerts", &city).await;
        assert_eq!(first.status, 200, "{}", first.text);
        assert_eq!(rows(&first.text), 100);
        assert!(first.text.contains("1–100"), "{}", first.text);
        assert!(first.text.contains("href=\"/alerts?offset=100\" rel=\"next\""), "{}", first.text);
        assert!(!first.text.contains("rel=\"prev\""));
        let second = get(&base, "/alerts?offset=100", &city).await;
        assert_eq!(rows(&second.text), 3);
        assert!(second.text.contains("101–103"), "{}", second.text);
        assert!(second.text.contains("href=\"/alerts?offset=0\" rel=\"prev\""), "{}", second.text);
        assert!(!second.text.contains("rel=\"next\""));
        // The two pages show different alerts, newest first: the three of the 30th lead.
        let ids = |text: &str| -> Vec<String> {
            text.split("<a href=\"/alerts/").skip(1)
                .filter_map(|rest| rest.split('"').next().map(str::to_string))
                .filter(|id| id.chars().all(|c| c.is_ascii_digit()))
                .collect()
        };
        let (one, two) = (ids(&first.text), ids(&second.text));
        assert!(two.iter().all(|id| !one.contains(id)), "{two:?}");

        let bank = get(&base, "/alerts?bank=PYRCB", &city).await;
        assert_eq!(rows(&bank.text), 100);
        assert!(bank.text.contains("href=\"/alerts?bank=PYRCB&#38;offset=100\" rel=\"next\""), "{}", bank.text);
        let last = get(&base, "/alerts?bank=PYRCB&offset=100", &city).await;
        assert_eq!(rows(&last.text), 1);
        assert_eq!(get(&base, "/alerts?offset=-1", &city).await.status, 422);
    }
}

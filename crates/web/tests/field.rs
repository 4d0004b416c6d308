//! The field app over HTTP, on both engines: the app's files, who may use it, the work list,
//! a visit synced with its id as the Idempotency-Key (posted once however often it is sent),
//! village assignments and session revocation for a lost device.

mod common;

use common::*;
use fupin_app::fupin_core::BusinessDate;
use fupin_app::imports::ImportOptions;
use fupin_app::imports::registry::import_households;
use fupin_web::Config;
use reqwest::{Method, StatusCode};
use serde_json::json;

fn resident_id(birth: &str, sequence: &str) -> String {
    let body = format!("361128{birth}{sequence}");
    let check = fupin_app::fupin_core::resident_id::check_character(&body).expect("17 digits");
    format!("{body}{check}")
}

/// Two households in 361128100001 (PYRCB's township), registered from 2016-12-31.
async fn seed_households(db: &fupin_app::Db) {
    let header = "household_id,village_code,name,id_number,relation,poverty_attribute,main_cause,status,identified_on,per_capita_income,labour\n";
    let rows = format!(
        "{header}F1,361128100001,赵大山,{},head,general,illness,poor,2015-10-01,2300,normal\n\
         F2,361128100001,钱秀英,{},head,general,lack_funds,poor,2015-10-01,2100,weak\n",
        resident_id("19750312", "031"),
        resident_id("19810521", "042"),
    );
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_nanos();
    let path = std::env::temp_dir().join(format!("fupin-field-{}-{nanos}.csv", std::process::id()));
    std::fs::write(&path, rows).expect("write");
    let report = import_households(
        db,
        &operator(),
        &path,
        &ImportOptions::default(),
        date("2016-12-31"),
    )
    .await
    .expect("import");
    std::fs::remove_file(&path).ok();
    assert!(report.applied, "{:?}", report.errors);
}

fn today() -> String {
    BusinessDate::in_china_at(chrono::Utc::now())
        .expect("today")
        .to_string()
}

fupin_store::on_both_engines! {
    async fn the_field_app_is_served_and_refused_to_other_roles(db) {
        seed_territory(&db).await;
        let tokens = seed_users(&db).await;
        let base = start(&db, Config::default()).await;
        let page = get(&base, "/field/", &Auth::None).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.text.contains("/assets/field.js") && page.text.contains("manifest.webmanifest"));
        let worker = get(&base, "/field/sw.js", &Auth::None).await;
        assert_eq!(worker.header("content-type"), Some("text/javascript; charset=utf-8"));
        let manifest = get(&base, "/field/manifest.webmanifest", &Auth::None).await;
        assert_eq!(manifest.json()["start_url"], "/field/");
        for icon in manifest.json()["icons"].as_array().expect("icons") {
            let answer = get(&base, icon["src"].as_str().expect("src"), &Auth::None).await;
            assert_eq!(answer.status, StatusCode::OK, "{icon}");
            assert_eq!(answer.header("content-type"), icon["type"].as_str(), "{icon}");
        }
        // Every file the worker keeps for offline use is there to keep.
        let shell = worker.text.split("const SHELL = [").nth(1).and_then(|rest| rest.split("];").next()).expect("SHELL");
        let kept: Vec<&str> = shell.split('"').filter(|part| part.starts_with('/')).collect();
        assert!(kept.len() >= 5, "{kept:?}");
        for path in kept {
            assert_eq!(get(&base, path, &Auth::None).await.status, StatusCode::OK, "{path}");
        }
        assert_eq!(get(&base, "/field", &Auth::None).await.status, StatusCode::PERMANENT_REDIRECT);
        for (name, auth) in &tokens {
            let answer = get(&base, "/api/field/villages", auth).await;
            let expected = match *name {
                "bank_py" | "bank_hf" => StatusCode::OK,
                _ => StatusCode::FORBIDDEN,
            };
            assert_eq!(answer.status, expected, "{name}: {}", answer.text);
        }
        assert_eq!(get(&base, "/api/field/villages", &Auth::None).await.status, StatusCode::UNAUTHORIZED);
        // The menu and the home page's tiles link the app for bank staff only.
        for (name, auth) in &tokens {
            let home = get(&base, "/", auth).await;
            assert_eq!(home.status, StatusCode::OK, "{name}");
            let links = home.text.matches("href=\"/field/\"").count();
            let expected = match *name {
                "bank_py" | "bank_hf" => 2,
                _ => 0,
            };
            assert_eq!(links, expected, "{name}: {}", home.text);
            if expected > 0 {
                assert!(home.text.contains("入户走访"), "{name}");
            }
        }

        // The administrator assigns villages on /users: an unknown code is named, nothing kept.
        let admin = tokens.iter().find(|(name, _)| *name == "admin").map(|(_, auth)| auth).expect("admin");
        let Auth::Token(admin_token) = admin else { panic!("a token") };
        let form = |villages: &str, action: &str| {
            let pairs = [("user", "bank_py".to_string()), ("villages", villages.to_string()), ("action", action.to_string())];
            client().post(format!("{base}/users/villages")).bearer_auth(admin_token).form(&pairs).send()
        };
        let refused = form("361128100001 361128100099", "assign").await.expect("send").text().await.expect("text");
        assert!(refused.contains("id=\"users-error\"") && refused.contains("区划中没有村代码 361128100099"), "{refused}");
        assert!(!refused.contains("name=\"villages\" value=\"361128100001\""), "nothing assigned");
        let done = form("361128100001", "assign").await.expect("send").text().await.expect("text");
        assert!(done.contains("已分配走访村: bank_py"), "{done}");
        // The village's name beside its code, with a button to take it away.
        let row = done.split("data-officer=\"bank_py\"").nth(1).and_then(|rest| rest.split("</tr>").next()).expect("row");
        assert!(row.contains("地方361128100001") && row.contains("361128100001") && row.contains("value=\"unassign\""), "{row}");
        let officer = tokens.iter().find(|(name, _)| *name == "bank_py").map(|(_, auth)| auth).expect("officer");
        let villages = get(&base, "/api/field/villages", officer).await.json();
        assert_eq!(villages["villages"].as_array().map(Vec::len), Some(1), "{villages}");
        let undone = form("361128100001", "unassign").await.expect("send").text().await.expect("text");
        assert!(undone.contains("已取消分配走访村: bank_py"), "{undone}");
        assert!(!undone.contains("name=\"villages\" value=\"361128100001\""), "{undone}");
        // Not a village code at all: named too.
        let bad = form("3611281000", "assign").await.expect("send").text().await.expect("text");
        assert!(bad.contains("3611281000"), "{bad}");
    }

    async fn a_visit_posts_once_and_a_lost_device_is_signed_out(db) {
        seed_territory(&db).await;
        seed_users(&db).await;
        seed_households(&db).await;
        let base = start(&db, Config::default()).await;
        let officer = sign_in(&base, "bank_py").await;
        let villages = get(&base, "/api/field/villages", &officer).await.json();
        assert_eq!(villages["keep_days"], 7);
        let codes: Vec<&str> = villages["villages"].as_array().unwrap().iter().map(|v| v["code"].as_str().unwrap()).collect();
        assert_eq!(codes, ["361128100001"]);
        let other = get(&base, "/api/field/worklist?village=361125100001", &officer).await;
        assert_eq!(other.status, StatusCode::NOT_FOUND, "HFRCB's village");
        let list = get(&base, "/api/field/worklist?village=361128100001", &officer).await.json();
        let households = list["households"].as_array().unwrap();
        assert_eq!(households.len(), 2);
        let f1 = households.iter().find(|h| h["household_id"] == "F1").unwrap();
        assert_eq!(f1["members"][0]["id_number"], "3611**********0314".replace("0314", &resident_id("19750312", "031")[14..]));

        let visit = json!({
            "visit_id": "5a0c2f1e-9b7d-4e1a-8c3f-2d6b9e0a7f11",
            "household_id": "F1",
            "village_code": "361128100001",
            "visit_date": today(),
            "scorecard_version": list["scorecard_version"],
            "household_from": f1["version_from"],
            "household_status": f1["status"],
            "known_file": f1["known_file"],
            // 30 + 20 + 14 + 10 + 15 = 89 → AA → 30,000.
            "factors": {"integrity": "excellent", "labour": "skilled", "income": "medium", "assets": "fair", "project": "strong"},
            "line": {"amount": "30000", "expires_on": "2099-12-31"},
            "note": "在家",
        });
        let key = [("idempotency-key", "5a0c2f1e-9b7d-4e1a-8c3f-2d6b9e0a7f11")];
        let first = call(&base, Method::POST, "/api/field/visits", &officer, Some(&visit), &key).await;
        assert_eq!(first.status, StatusCode::OK, "{}", first.text);
        let body = first.json();
        assert_eq!((body["status"].as_str(), body["score"].as_i64(), body["grade"].as_str()), (Some("accepted"), Some(89), Some("AA")));
        assert_eq!(body["recommended_line"], "30000.00");
        // The same request again: the stored answer, marked a replay.
        let again = call(&base, Method::POST, "/api/field/visits", &officer, Some(&visit), &key).await;
        assert_eq!(again.header("idempotent-replayed"), Some("true"));
        assert_eq!(again.json(), body);
        // Another key, the same visit: the use case answers it as already accepted.
        let other_key = call(&base, Method::POST, "/api/field/visits", &officer, Some(&visit), &[("idempotency-key", "retry-2")]).await;
        assert_eq!(other_key.json()["replayed"], true);
        let files = fupin_store::credit::list_credit_files(&db, &fupin_store::credit::CreditFilter { limit: 100, ..Default::default() }).await.unwrap();
        let lines = fupin_store::credit::list_credit_lines(&db, &fupin_store::credit::CreditFilter { limit: 100, ..Default::default() }).await.unwrap();
        assert_eq!((files.len(), lines.len()), (1, 1), "posted once");

        // A malformed visit is a 422 naming its field.
        let mut bad = visit.clone();
        bad["line"]["amount"] = json!("lots");
        let answer = call(&base, Method::POST, "/api/field/visits", &officer, Some(&bad), &[]).await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", answer.text);
        assert_eq!(answer.json()["error"]["field"], "line.amount");

        // A refusal carries its reason's facts by name, for the app to word in Chinese.
        let mut future = visit.clone();
        future["visit_id"] = json!("visit-future-0001");
        future["visit_date"] = json!("2199-01-01");
        let answer = call(&base, Method::POST, "/api/field/visits", &officer, Some(&future), &[("idempotency-key", "visit-future-0001")]).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
        let body = answer.json();
        assert_eq!((body["status"].as_str(), body["reason_code"].as_str()), (Some("refused"), Some("future_date")));
        assert_eq!(body["reason_params"]["visit_date"], "2199-01-01");
        assert!(body["reason_params"]["today"].as_str().is_some_and(|t| t.len() == 10), "{body}");
        assert!(body["reason"].as_str().is_some_and(|r| r.contains("2199-01-01")), "{body}");

        // The credit rules' own refusal: each field named, its words in English and Chinese.
        let f2 = households.iter().find(|h| h["household_id"] != "F1").unwrap();
        let mut short = visit.clone();
        short["visit_id"] = json!("visit-short-line-0001");
        short["household_id"] = f2["household_id"].clone();
        short["household_from"] = f2["version_from"].clone();
        short["household_status"] = f2["status"].clone();
        short["known_file"] = f2["known_file"].clone();
        short["line"]["expires_on"] = json!(today());
        let answer = call(&base, Method::POST, "/api/field/visits", &officer, Some(&short), &[]).await;
        let body = answer.json();
        assert_eq!(body["reason_code"], "invalid", "{body}");
        let params = &body["reason_params"];
        assert_eq!(params["fields"], "expires_on", "{body}");
        let english = format!("expires on {0}, not after it is granted on {0}", today());
        assert_eq!(params["expires_on"], english.as_str());
        assert_eq!(params["expires_on_zh"], format!("到期日 {0} 应晚于授信日 {0}", today()).as_str());

        // The administrator assigns the officer a village, then revokes the lost phone's session.
        let admin = sign_in(&base, "admin").await;
        let assigned = post(&base, "/api/users/bank_py/villages", &admin, &json!({"add": ["361128100001"]})).await;
        assert_eq!(assigned.json()["villages"], json!(["361128100001"]));
        assert_eq!(post(&base, "/api/users/bank_py/villages", &officer, &json!({"add": ["361128100001"]})).await.status, StatusCode::FORBIDDEN);
        let revoked = post(&base, "/api/users/bank_py/revoke-sessions", &admin, &json!({})).await;
        assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.text);
        assert_eq!(revoked.json()["sessions_ended"], 1);
        assert_eq!(get(&base, "/api/field/villages", &officer).await.status, StatusCode::UNAUTHORIZED);
        sign_in(&base, "bank_py").await;
    }
}

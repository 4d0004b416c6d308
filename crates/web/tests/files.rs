//! Issue 24 through real HTTP, on both engines: claims name their loans (API and page), an
//! uploaded file is named once by its user's name, and a households file states what it
//! replaces and removes, refusing a partial file until the removals are confirmed (API and
//! page).

mod common;

use common::*;
use fupin_app::funds::{self, RiskFundSettings};
use fupin_app::fupin_core::date::Quarter;
use fupin_app::imports::ImportOptions;
use fupin_app::imports::upload::{Kind, Upload, import_upload};
use fupin_app::{Db, Role, users};
use fupin_web::Config;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn resident_id(birth: &str, sequence: &str) -> String {
    let body = format!("361128{birth}{sequence}");
    let check = fupin_app::fupin_core::resident_id::check_character(&body).expect("17 digits");
    format!("{body}{check}")
}

async fn load(db: &Db, kind: Kind, text: &str, as_of: Option<&str>) {
    let upload = Upload {
        kind,
        file_name: "fixture.csv",
        bytes: text.as_bytes(),
        options: ImportOptions::default(),
        as_of: as_of.map(date),
        confirm_warnings: true,
        today: date(AS_OF),
    };
    let outcome = import_upload(db, &operator(), &upload)
        .await
        .expect("import runs");
    assert!(
        outcome.report.applied,
        "{} refused: {:#?}",
        kind.as_str(),
        outcome.report.errors
    );
}

const HOUSEHOLDS_HEADER: &str = "household_id,village_code,name,id_number,relation,poverty_attribute,main_cause,status,identified_on,per_capita_income,labour\n";

fn household_row(id: &str, name: &str, id_number: &str) -> String {
    format!(
        "{id},361128100001,{name},{id_number},head,general,illness,poor,2015-10-01,2300,normal\n"
    )
}

/// Poyang's 东湖村 with households H1 (张三) and H2 (李四); PYRCB's covered, subsidised loan C1
/// to H1, unpaid from 15 February: a subsidy claim for 2017Q1 and a risk claim on 16 May.
async fn seed(db: &Db) -> (String, String) {
    let ctx = operator();
    fupin_app::regions::load_reference_data(db, &ctx)
        .await
        .expect("reference data");
    load(
        db,
        Kind::Regions,
        "code,name\n361128100,饶州街道\n361128100001,东湖村\n",
        None,
    )
    .await;
    load(
        db,
        Kind::Institutions,
        "code,name,type,region_code\nPYRCB,鄱阳农商银行,rural_cooperative,361128\n",
        None,
    )
    .await;
    let (zhang, li) = (
        resident_id("19770501", "001"),
        resident_id("19800303", "003"),
    );
    let households = format!(
        "{HOUSEHOLDS_HEADER}{}{}",
        household_row("H1", "张三", &zhang),
        household_row("H2", "李四", &li)
    );
    load(db, Kind::Households, &households, Some("2016-12-31")).await;
    load(
        db,
        Kind::Products,
        "code,name,category,borrower_type,max_amount,max_term_months,annual_rate,repayment,subsidy_rate,risk_fund_share,institution_code,counties\n\
         MC,扶贫小额信贷,poverty_microcredit,household,50000,36,4.75,monthly_interest,4.75,80%,PYRCB,361128\n",
        None,
    )
    .await;
    load(
        db,
        Kind::FundDeposits,
        "id,county_code,fund,deposited_on,amount\nD1,361128,risk_compensation,2017-01-05,100000\n\
         D2,361128,subsidy,2017-01-05,10000\n",
        None,
    )
    .await;
    let settings = RiskFundSettings {
        county_code: code("361128"),
        effective_from: date("2017-01-01"),
        leverage_multiple: 8,
        fund_share_ppm: 800_000,
        trigger_days: 90,
    };
    funds::set_risk_settings(db, &ctx, &settings)
        .await
        .expect("risk settings");
    load(
        db,
        Kind::Loans,
        "contract_no,institution_code,product_code,borrower_type,borrower_id,principal,annual_rate,start_on,maturity_on,repayment,purpose\n\
         C1,PYRCB,MC,household,H1,50000,4.75,2017-01-15,2018-01-15,monthly_interest,养殖\n",
        None,
    )
    .await;
    fupin_app::loans::eod::run(
        db,
        &ctx,
        date("2017-05-16"),
        Some(date("2017-01-15")),
        &mut |_| {},
    )
    .await
    .expect("end of day");
    funds::prepare_subsidy_claims(db, &ctx, Quarter::parse("2017Q1").expect("quarter"), None)
        .await
        .expect("subsidy claims");
    (zhang, li)
}

async fn token(db: &Db, name: &str, role: Role) -> Auth {
    add_user(db, name, role, "361128", None).await;
    let token = users::new_token(db, &operator(), name)
        .await
        .expect("token");
    Auth::Token(token.token)
}

/// Posts a raw file to the imports API.
async fn upload(base: &str, auth: &Auth, query: &str, file: &str) -> (StatusCode, Value) {
    let Auth::Token(token) = auth else {
        panic!("a token")
    };
    let answer = client()
        .post(format!("{base}/api/imports/households?{query}"))
        .bearer_auth(token)
        .body(file.to_string())
        .send()
        .await
        .expect("send");
    let status = answer.status();
    (status, answer.json().await.expect("JSON"))
}

fupin_store::on_both_engines! {
    async fn claims_uploads_and_removals_over_http(db) {
        let (zhang, _) = seed(&db).await;
        let base = start(&db, Config::default()).await;
        let finance = token(&db, "finance", Role::Finance).await;
        let poverty = token(&db, "poverty", Role::PovertyOffice).await;

        // Item 6: every claim line names its loan by institution, contract and borrower.
        let subsidy = get(&base, "/api/funds/subsidy-claims?quarter=2017Q1", &finance).await.json();
        let line = &subsidy["items"][0]["lines"][0];
        assert_eq!(
            (&line["institution_code"], &line["contract_no"], &line["borrower_name"], &line["borrower_id"]),
            (&json!("PYRCB"), &json!("C1"), &json!("张三"), &json!("H1")),
            "{subsidy}"
        );
        let risk = get(&base, "/api/funds/risk-claims", &finance).await.json();
        let claim = &risk["items"][0];
        assert_eq!((&claim["contract_no"], &claim["borrower_name"]), (&json!("C1"), &json!("张三")), "{risk}");
        let page = get(&base, "/funds?as_of=2017-05-31&quarter=2017Q1", &finance).await;
        assert_eq!(page.status, StatusCode::OK);
        let risk_table = &page.text[page.text.find("id=\"risk-claims\"").expect("risk claims table")..];
        assert!(risk_table.contains("C1") && risk_table.contains("张三"), "{}", page.text);
        let lines_table = &page.text[page.text.find("class=\"subsidy-claim-lines\"").expect("claim lines")..];
        assert!(lines_table.contains("C1") && lines_table.contains("张三"), "{}", page.text);
        let id = claim["id"].as_i64().expect("id");
        let approved = call(&base, Method::POST, &format!("/api/funds/risk-claims/{id}/approve"), &finance,
            Some(&json!({"on": "2017-05-20"})), &[("idempotency-key", "approve-c1")]).await;
        assert_eq!(approved.status, StatusCode::OK, "{}", approved.text);
        assert_eq!((approved.json()["contract_no"].clone(), approved.json()["borrower_name"].clone()), (json!("C1"), json!("张三")));

        // Item 9: a file that cannot be read is named once, by its user's name.
        let (status, empty) = upload(&base, &poverty, "as_of=2017-06-30&file_name=%E6%88%B7%E7%B1%8D.csv", "").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{empty}");
        assert_eq!(empty["error"]["message"], "户籍.csv: the file is empty: there is no header row");

        // Item 4: H1's rows alone would remove H2; the dry run states it, the import is refused.
        let partial = format!("{HOUSEHOLDS_HEADER}{}", household_row("H1", "张三", &zhang));
        let (status, dry) = upload(&base, &poverty, "as_of=2017-06-30&file_name=h.csv&dry_run=true", &partial).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(dry["applied"], false);
        assert_eq!(dry["removals"]["villages"], json!(["361128100001"]), "{dry}");
        assert_eq!((dry["removals"]["registered"].clone(), dry["removals"]["count"].clone()), (json!(2), json!(1)));
        assert_eq!(dry["removals"]["households"], json!([{"household_id": "H2", "village_code": "361128100001", "head_name": "李四"}]));
        assert!(dry["errors"][0]["message"].as_str().expect("message").starts_with("the file covers only part of village 361128100001"), "{dry}");
        let (_, refused) = upload(&base, &poverty, "as_of=2017-06-30&file_name=h.csv", &partial).await;
        assert_eq!((refused["applied"].clone(), refused["removed"].clone()), (json!(false), json!(0)), "{refused}");

        // The page's form: the count before confirming, then the checkbox confirms.
        let session = sign_in(&base, "poverty").await;
        let Auth::Session { cookie, csrf } = &session else { panic!("a session") };
        let boundary = "fupinBoundary24";
        let form = |fields: &[(&str, &str)]| {
            let mut body = String::new();
            for (name, value) in fields {
                body.push_str(&format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"));
            }
            body.push_str(&format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"h.csv\"\r\nContent-Type: text/csv\r\n\r\n{partial}\r\n--{boundary}--\r\n"));
            body
        };
        let post_form = |body: String| {
            client()
                .post(format!("{base}/imports/upload"))
                .header("cookie", format!("fupin_session={cookie}"))
                .header("x-csrf-token", csrf.as_str())
                .header("content-type", format!("multipart/form-data; boundary={boundary}"))
                .body(body)
                .send()
        };
        let shown = post_form(form(&[("kind", "households"), ("as_of", "2017-06-30"), ("dry_run", "true")])).await.expect("send").text().await.expect("html");
        assert!(shown.contains("id=\"removal-count\">1<"), "{shown}");
        assert!(shown.contains("id=\"removed-households\"") && shown.contains("李四"), "{shown}");
        assert!(shown.contains("allow removals"), "the refusal says how to confirm: {shown}");
        let applied = post_form(form(&[("kind", "households"), ("as_of", "2017-06-30"), ("allow_removals", "true")])).await.expect("send").text().await.expect("html");
        assert!(applied.contains("id=\"removal-count\">1<") && applied.contains("李四"), "{applied}");
        let households = get(&base, "/api/households?as_of=2017-06-30", &poverty).await.json();
        let ids: Vec<Value> = items(&households).iter().map(|h| h["household_id"].clone()).collect();
        assert_eq!(ids, [json!("H1")], "{households}");
        // The page's form has the checkbox.
        let imports = get(&base, "/imports?kind=households", &session).await;
        assert!(imports.text.contains("name=\"allow_removals\""), "{}", imports.text);
    }
}

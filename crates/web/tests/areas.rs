//! The API of the registry, loans, funds, returns, indicators, report and imports end to end: a
//! real server on port 0 per test, on SQLite and on PostgreSQL, with a small county data set
//! loaded through the same upload use case the API calls; every endpoint against every role and
//! scope.

use fupin_app::fupin_core::date::Quarter;
use fupin_app::fupin_core::resident_id::check_character;
use fupin_app::fupin_core::{BusinessDate, Fen};
use fupin_app::imports::ImportOptions;
use fupin_app::imports::upload::{Kind, Upload, import_upload};
use fupin_app::users::{self, NewUser};
use fupin_app::{Actor, Ctx, Db, Role};
use fupin_web::{AppState, Config};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

// ---- the server and a client -----------------------------------------------------------------

async fn start(db: &Db) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind port 0");
    let address = listener.local_addr().expect("address");
    let state = AppState::new(db.clone(), Config::default());
    tokio::spawn(async move {
        fupin_web::serve(state, listener).await.ok();
    });
    format!("http://{address}")
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

#[derive(Clone, Debug)]
enum Body {
    None,
    Json(Value),
    Raw(String),
}

struct Answer {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    bytes: Vec<u8>,
}

impl Answer {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).to_string()
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

async fn call(
    base: &str,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: &Body,
    headers: &[(&str, &str)],
) -> Answer {
    let mut request = client().request(method, format!("{base}{path}"));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request = match body {
        Body::None => request,
        Body::Json(value) => request.json(value),
        Body::Raw(text) => request
            .header("content-type", "text/csv")
            .body(text.clone()),
    };
    let response = request.send().await.expect("send");
    Answer {
        status: response.status(),
        headers: response.headers().clone(),
        bytes: response.bytes().await.expect("body").to_vec(),
    }
}

async fn get(base: &str, path: &str, token: &str) -> Answer {
    call(base, Method::GET, path, Some(token), &Body::None, &[]).await
}

// ---- the data set --------------------------------------------------------------------------

fn operator() -> Ctx {
    Ctx {
        actor: Actor::operator("tester"),
        now: "2017-07-01T09:00:00.000Z".into(),
        request_id: None,
    }
}

fn date(text: &str) -> BusinessDate {
    BusinessDate::parse(text).expect("date")
}

const PASSWORD: &str = "correct horse battery";
const AS_OF: &str = "2017-06-30";

fn resident_id(county: &str, birth: &str, sequence: &str) -> String {
    let body = format!("{county}{birth}{sequence}");
    let check = check_character(&body).expect("17 digits");
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

/// The households file of H1 (Poyang, 饶州街道, PYRCB's township), H2 (Poyang, 鸦鹊湖乡,
/// ABC-SR's township) and H3 (Hengfeng).
fn households_csv() -> String {
    format!(
        "household_id,village_code,name,id_number,relation,poverty_attribute,main_cause,status,identified_on,per_capita_income,labour\n\
         H1,361128100001,张三,{},head,general,illness,poor,2015-10-01,2300,normal\n\
         H1,361128100001,王芳,{},spouse,general,illness,poor,2015-10-01,2300,normal\n\
         H2,361128101001,李四,{},head,general,lack_funds,poor,2015-10-01,2100,normal\n\
         H3,361125100001,赵六,{},head,general,disability,poor,2015-10-01,1900,normal\n",
        resident_id("361128", "19770501", "001"),
        resident_id("361128", "19790202", "002"),
        resident_id("361128", "19800303", "003"),
        resident_id("361125", "19750404", "004"),
    )
}

/// Poyang and Hengfeng with three townships and their banks; households H1–H3; loans L1 (PYRCB
/// to H1), L2 (PYRCB to H2, outside its townships), L3 (HFRCB to H3); June returns of both
/// banks; subsidy funds and the first quarter's subsidy claims.
async fn seed(db: &Db) -> (i64, i64) {
    let ctx = operator();
    fupin_app::regions::load_reference_data(db, &ctx)
        .await
        .expect("reference data");
    fupin_app::territory::load_builtin_groups(db, &ctx)
        .await
        .expect("groups");
    fupin_app::indicators::load_builtin(db, &ctx)
        .await
        .expect("indicators");
    load(
        db,
        Kind::Regions,
        "code,name\n361128100,饶州街道\n361128101,鸦鹊湖乡\n361125100,岑阳镇\n\
         361128100001,东湖村\n361128101001,鸦鹊村\n361125100001,岑阳村\n",
        None,
    )
    .await;
    load(
        db,
        Kind::Institutions,
        "code,name,type,region_code\nPYRCB,鄱阳农商银行,rural_cooperative,361128\n\
         HFRCB,横峰农商银行,rural_cooperative,361125\nABC-SR,中国农业银行上饶分行,large_commercial,361100\n\
         GC,鄱阳县融资担保公司,other,361128\nGD,另一融资担保公司,other,361128\n",
        None,
    )
    .await;
    load(
        db,
        Kind::Assignments,
        "township_code,institution_code,effective_from\n361128100,PYRCB,2016-01-01\n\
         361128101,ABC-SR,2016-01-01\n361125100,HFRCB,2016-01-01\n",
        None,
    )
    .await;
    load(db, Kind::Households, &households_csv(), Some("2016-12-31")).await;
    load(
        db,
        Kind::Products,
        "code,name,category,borrower_type,max_amount,max_term_months,annual_rate,repayment,subsidy_rate,risk_fund_share,institution_code,counties\n\
         MC,扶贫小额信贷,poverty_microcredit,household,50000,36,4.75,equal_instalment,4.75,80%,PYRCB,361128\n\
         HFMC,横峰扶贫贷,poverty_microcredit,household,50000,36,4.75,equal_instalment,4.75,,HFRCB,361125\n",
        None,
    )
    .await;
    load(
        db,
        Kind::Loans,
        "contract_no,institution_code,product_code,borrower_type,borrower_id,principal,annual_rate,start_on,maturity_on,purpose,officer\n\
         L1,PYRCB,MC,household,H1,12000,4.75,2017-01-01,2019-01-01,养殖生猪,王芳\n\
         L2,PYRCB,MC,household,H2,6000,4.75,2017-01-01,2019-01-01,种植茶叶,\n\
         L3,HFRCB,HFMC,household,H3,8000,4.75,2017-01-01,2019-01-01,种植葛根,\n",
        None,
    )
    .await;
    load(
        db,
        Kind::Returns,
        "institution_code,region_code,period,element,value\n\
         PYRCB,361128,2017-06,loans_total,1000000\nPYRCB,361128,2017-06,loans_agriculture,600000\n\
         PYRCB,361128,2017-06,loans_poverty,100000\n\
         HFRCB,361125,2017-06,loans_total,800000\nHFRCB,361125,2017-06,loans_agriculture,500000\n\
         HFRCB,361125,2017-06,loans_poverty,90000\n",
        None,
    )
    .await;
    load(
        db,
        Kind::FundDeposits,
        "id,county_code,fund,deposited_on,amount\nD1,361128,subsidy,2017-01-01,100000\n\
         D2,361125,subsidy,2017-01-01,100000\nD3,361128,risk_compensation,2017-01-01,50000\n",
        None,
    )
    .await;
    seed_guarantees(db, &ctx).await;
    let claims = fupin_app::funds::prepare_subsidy_claims(
        db,
        &ctx,
        Quarter::parse("2017Q1").expect("quarter"),
        None,
    )
    .await
    .expect("claims");
    let id_of = |institution: &str| {
        claims
            .iter()
            .find(|(c, _)| c.institution_code == institution)
            .map(|(c, _)| c.id)
            .unwrap_or_else(|| panic!("a claim of {institution}: {claims:?}"))
    };
    (id_of("PYRCB"), id_of("HFRCB"))
}

/// Guarantee companies GC and GD (4-3-2-1), product MC open to company guarantees, and GC's
/// 30 % of L1.
async fn seed_guarantees(db: &Db, ctx: &Ctx) {
    use fupin_app::guarantees::{self, Company, GuarantorKind, NewGuarantee, ProductTerms};
    for code in ["GC", "GD"] {
        let company = Company {
            institution_code: code.into(),
            national_bps: 4_000,
            provincial_bps: 3_000,
            company_bps: 2_000,
            bank_bps: 1_000,
        };
        guarantees::set_company(db, ctx, &company)
            .await
            .expect("company");
    }
    let terms = ProductTerms {
        product_code: "MC".into(),
        kinds: vec!["company".into()],
        cap_bps: 10_000,
    };
    guarantees::set_product_terms(db, ctx, &terms)
        .await
        .expect("terms");
    let guarantee = NewGuarantee {
        institution_code: "PYRCB".into(),
        loan_contract_no: "L1".into(),
        kind: GuarantorKind::Company,
        guarantor_id: "GC".into(),
        contract_no: "DB-L1".into(),
        share_bps: 3_000,
        signed_on: date("2017-01-01"),
        fee_rate_bps: 100,
        fee_payer: "borrower".into(),
        fee_subsidy_bps: 0,
    };
    guarantees::add_guarantee_command(db, ctx, &guarantee)
        .await
        .expect("guarantee");
}

/// (name, role, region, institution)
const USERS: &[(&str, Role, &str, Option<&str>)] = &[
    ("reg_city", Role::Regulator, "3611", None),
    ("reg_poyang", Role::Regulator, "361128", None),
    ("bank_py", Role::Bank, "361128", Some("PYRCB")),
    ("bank_hf", Role::Bank, "361125", Some("HFRCB")),
    ("poverty", Role::PovertyOffice, "361128", None),
    ("finance", Role::Finance, "361128", None),
    ("admin", Role::Admin, "3611", None),
];

async fn seed_users(db: &Db) -> Vec<(&'static str, String)> {
    let mut tokens = Vec::new();
    for (name, role, region, institution) in USERS {
        users::add(
            db,
            &operator(),
            NewUser {
                name: (*name).into(),
                display_name: None,
                role: *role,
                region: fupin_app::fupin_core::RegionCode::parse(region).expect("region"),
                institution: institution.map(str::to_string),
                password: PASSWORD.into(),
            },
        )
        .await
        .expect("add user");
        let token = users::new_token(db, &operator(), name)
            .await
            .expect("token");
        tokens.push((*name, token.token));
    }
    tokens
}

fn multipart(boundary: &str, fields: &[(&str, &str)], file_name: &str, file: &str) -> String {
    let mut body = String::new();
    for (name, value) in fields {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    body.push_str(&format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: text/csv\r\n\r\n{file}\r\n--{boundary}--\r\n"
    ));
    body
}

// ---- tests -----------------------------------------------------------------------------------

fupin_store::on_both_engines! {
    async fn every_area_endpoint_answers_or_refuses_by_role_and_scope(db) {
        let (py_claim, hf_claim) = seed(&db).await;
        let users = seed_users(&db).await;
        let base = start(&db).await;
        let token_of = |name: &str| users.iter().find(|(n, _)| *n == name).map(|(_, t)| t.clone()).expect("user");
        let poyang_households = households_csv().lines().take(4).collect::<Vec<_>>().join("\n") + "\n";
        let all_households = households_csv();
        let hengfeng_households = {
            let lines: Vec<&str> = all_households.lines().collect();
            format!("{}\n{}\n", lines[0], lines[4])
        };
        let approve_on = json!({"on": "2017-04-10"});
        // (method, path, body, needs an Idempotency-Key, [reg_city, reg_poyang, bank_py, bank_hf, poverty, finance, admin])
        type Row = (Method, String, Body, bool, [u16; 7]);
        let rows: Vec<Row> = vec![
            // registry
            (Method::GET, format!("/api/households?as_of={AS_OF}"), Body::None, false, [200, 200, 200, 200, 200, 403, 403]),
            (Method::GET, format!("/api/households?as_of={AS_OF}&region=361125"), Body::None, false, [200, 404, 404, 200, 404, 403, 403]),
            (Method::GET, format!("/api/households?as_of={AS_OF}&show_ids=true"), Body::None, false, [403, 403, 200, 200, 200, 403, 403]),
            (Method::GET, "/api/households/H1".into(), Body::None, false, [200, 200, 200, 404, 200, 403, 403]),
            (Method::GET, "/api/households/H2".into(), Body::None, false, [200, 200, 200, 404, 200, 403, 403]),
            (Method::GET, "/api/households/H3".into(), Body::None, false, [200, 404, 404, 200, 404, 403, 403]),
            (Method::GET, "/api/households/NOPE".into(), Body::None, false, [404, 404, 404, 404, 404, 403, 403]),
            (Method::GET, "/api/feed?since=0".into(), Body::None, false, [200, 200, 200, 200, 200, 403, 403]),
            // loans
            (Method::GET, "/api/products".into(), Body::None, false, [200, 200, 200, 200, 200, 200, 403]),
            (Method::GET, "/api/loans".into(), Body::None, false, [200, 200, 200, 200, 403, 403, 403]),
            (Method::GET, "/api/loans?institution=HFRCB".into(), Body::None, false, [200, 200, 404, 200, 403, 403, 403]),
            (Method::GET, "/api/loans?region=361125".into(), Body::None, false, [200, 404, 404, 200, 403, 403, 403]),
            (Method::GET, "/api/loans/PYRCB/L1".into(), Body::None, false, [200, 200, 200, 404, 403, 403, 403]),
            (Method::GET, "/api/loans/HFRCB/L3".into(), Body::None, false, [200, 404, 404, 200, 403, 403, 403]),
            (Method::POST, "/api/loans/PYRCB/L1/repayments".into(), Body::Json(json!({"id": "R-{user}", "paid_on": "2017-02-01", "amount": "100"})), true, [403, 403, 201, 404, 403, 403, 403]),
            // servicing (#26): a partial prepayment, the maturity wall, renewal/extension
            // requests (grace and penalty are product fields: /api/products and a loan's detail)
            (Method::POST, "/api/loans/PYRCB/L1/repayments".into(), Body::Json(json!({"id": "P-{user}", "paid_on": "2017-02-02", "amount": "1000", "prepayment": true, "prepayment_option": "keep_instalment"})), true, [403, 403, 201, 404, 403, 403, 403]),
            (Method::GET, format!("/api/loans/maturity-wall?as_of={AS_OF}"), Body::None, false, [200, 200, 200, 200, 403, 403, 403]),
            (Method::GET, format!("/api/loans/maturity-wall?as_of={AS_OF}&region=361125"), Body::None, false, [200, 404, 404, 200, 403, 403, 403]),
            (Method::POST, "/api/loans/PYRCB/L1/requests".into(), Body::Json(json!({"kind": "renewal", "requested_on": "2017-06-01", "note": "{user}"})), true, [403, 403, 201, 404, 403, 403, 403]),
            (Method::POST, "/api/loans/HFRCB/L3/requests".into(), Body::Json(json!({"kind": "extension", "requested_on": "2017-06-02"})), true, [403, 403, 404, 201, 403, 403, 403]),
            (Method::GET, "/api/loan-requests".into(), Body::None, false, [200, 200, 200, 200, 403, 403, 403]),
            (Method::GET, "/api/loan-requests?region=361125".into(), Body::None, false, [200, 404, 404, 200, 403, 403, 403]),
            (Method::POST, "/api/loans/PYRCB/L1/requests/refuse".into(), Body::Json(json!({"kind": "renewal", "on": AS_OF})), true, [403, 403, 200, 404, 403, 403, 403]),
            (Method::POST, "/api/loans/PYRCB/L1/extension".into(), Body::Json(json!({"on": AS_OF, "maturity": "2019-07-01", "reason": "drought"})), false, [403, 403, 200, 404, 403, 403, 403]),
            (Method::POST, "/api/loans/PYRCB/L2/rollover".into(), Body::Json(json!({"new_contract": "L2R", "on": "2017-01-15", "maturity": "2019-01-15", "reason": "续贷"})), true, [403, 403, 201, 404, 403, 403, 403]),
            (Method::POST, "/api/loans/HFRCB/L3/write-off".into(), Body::Json(json!({"on": AS_OF, "reason": "borrower died"})), true, [403, 403, 404, 200, 403, 403, 403]),
            (Method::GET, "/api/eod".into(), Body::None, false, [403, 403, 403, 403, 403, 403, 200]),
            (Method::POST, "/api/eod".into(), Body::Json(json!({"through": "2017-01-31", "from": "2017-01-01"})), false, [403, 403, 403, 403, 403, 403, 200]),
            // funds
            (Method::GET, format!("/api/funds?as_of={AS_OF}"), Body::None, false, [200, 200, 403, 403, 403, 200, 403]),
            (Method::GET, format!("/api/funds?as_of={AS_OF}&region=361125"), Body::None, false, [200, 404, 403, 403, 403, 404, 403]),
            (Method::GET, format!("/api/funds?as_of={AS_OF}&group=state-poverty-counties"), Body::None, false, [200, 404, 403, 403, 403, 404, 403]),
            (Method::GET, "/api/funds/subsidy-claims?quarter=2017Q1".into(), Body::None, false, [200, 200, 200, 200, 403, 200, 403]),
            (Method::GET, "/api/funds/subsidy-claims?quarter=2017Q1&institution=HFRCB".into(), Body::None, false, [200, 200, 404, 200, 403, 200, 403]),
            (Method::POST, "/api/funds/subsidy-claims/prepare".into(), Body::Json(json!({"quarter": "2017Q1"})), false, [403, 403, 403, 403, 403, 200, 403]),
            (Method::POST, format!("/api/funds/subsidy-claims/{hf_claim}/approve"), Body::Json(approve_on.clone()), true, [403, 403, 403, 403, 403, 404, 403]),
            (Method::POST, format!("/api/funds/subsidy-claims/{py_claim}/approve"), Body::Json(approve_on.clone()), true, [403, 403, 403, 403, 403, 200, 403]),
            (Method::GET, "/api/funds/risk-claims".into(), Body::None, false, [200, 200, 200, 200, 403, 200, 403]),
            (Method::POST, "/api/funds/risk-claims/999/approve".into(), Body::Json(approve_on.clone()), true, [403, 403, 403, 403, 403, 404, 403]),
            (Method::POST, "/api/funds/deposits".into(), Body::Json(json!({"id": "D-{user}", "county": "361128", "fund": "risk_compensation", "on": AS_OF, "amount": "1000"})), true, [403, 403, 403, 403, 403, 201, 403]),
            (Method::POST, "/api/funds/deposits".into(), Body::Json(json!({"id": "E-{user}", "county": "361125", "fund": "subsidy", "on": AS_OF, "amount": "1000"})), true, [403, 403, 403, 403, 403, 404, 403]),
            // co-borrowers: read with the loan, named by its bank
            (Method::GET, "/api/loans/PYRCB/L1/co-borrowers".into(), Body::None, false, [200, 200, 200, 404, 403, 403, 403]),
            (Method::POST, "/api/loans/PYRCB/L1/co-borrowers".into(), Body::Json(json!({"id_number": resident_id("361128", "19790202", "002"), "name": "王芳", "relation": "配偶", "signed_on": "2017-01-01"})), false, [403, 403, 201, 404, 403, 403, 403]),
            (Method::GET, "/api/loans/HFRCB/L3/co-borrowers".into(), Body::None, false, [200, 404, 404, 200, 403, 403, 403]),
            // guarantees
            (Method::GET, "/api/loans/PYRCB/L1/guarantees".into(), Body::None, false, [200, 200, 200, 404, 403, 200, 403]),
            (Method::GET, "/api/loans/HFRCB/L3/guarantees".into(), Body::None, false, [200, 404, 404, 200, 403, 404, 403]),
            (Method::POST, "/api/loans/PYRCB/L2/guarantees".into(), Body::Json(json!({"guarantor_type": "company", "guarantor_id": "GD", "contract_no": "DB-{user}", "share": "20", "signed_on": "2017-01-01"})), true, [403, 403, 201, 404, 403, 403, 403]),
            (Method::GET, "/api/guarantees/claims".into(), Body::None, false, [200, 200, 200, 200, 403, 200, 403]),
            (Method::GET, "/api/guarantees/exposure?kind=company&guarantor=GC".into(), Body::None, false, [200, 200, 200, 200, 403, 200, 403]),
            (Method::GET, format!("/api/guarantees/figures?as_of={AS_OF}"), Body::None, false, [200, 200, 403, 403, 403, 200, 403]),
            (Method::POST, "/api/guarantees/claims/999/approve".into(), Body::Json(approve_on.clone()), true, [403, 403, 404, 404, 403, 404, 403]),
            // returns
            (Method::GET, "/api/returns".into(), Body::None, false, [200, 200, 200, 200, 403, 403, 403]),
            (Method::GET, "/api/returns/PYRCB/361128/2017-06".into(), Body::None, false, [200, 200, 200, 404, 403, 403, 403]),
            (Method::GET, "/api/returns/HFRCB/361125/2017-06".into(), Body::None, false, [200, 404, 404, 200, 403, 403, 403]),
            (Method::POST, "/api/returns/PYRCB/361128/2017-06/approve".into(), Body::Json(json!({})), false, [200, 409, 403, 403, 403, 403, 403]),
            (Method::POST, "/api/returns/HFRCB/361125/2017-06/approve".into(), Body::Json(json!({})), false, [200, 404, 403, 403, 403, 403, 403]),
            (Method::POST, "/api/returns/PYRCB/361128/2017-06/lock".into(), Body::Json(json!({})), false, [200, 409, 403, 403, 403, 403, 403]),
            (Method::POST, "/api/returns/PYRCB/361128/2017-06/reopen".into(), Body::Json(json!({"reason": "bank corrected June"})), false, [200, 409, 403, 403, 403, 403, 403]),
            // indicators and the report
            (Method::GET, format!("/api/indicators?as_of={AS_OF}&codes=loans_total_balance,poor_population"), Body::None, false, [200, 200, 200, 200, 200, 200, 403]),
            (Method::GET, format!("/api/indicators?as_of={AS_OF}&region=361125&codes=poor_population"), Body::None, false, [200, 404, 404, 200, 404, 404, 403]),
            (Method::GET, format!("/api/indicators?as_of={AS_OF}&group=state-poverty-counties&codes=poor_population"), Body::None, false, [200, 404, 404, 404, 404, 404, 403]),
            (Method::GET, "/api/indicators/definitions".into(), Body::None, false, [200, 200, 200, 200, 200, 200, 403]),
            (Method::GET, format!("/api/report?as_of={AS_OF}&format=json"), Body::None, false, [200, 200, 200, 200, 200, 200, 403]),
            // imports
            (Method::POST, format!("/api/imports/households?as_of={AS_OF}&dry_run=true&file_name=h.csv"), Body::Raw(poyang_households.clone()), false, [403, 403, 403, 403, 200, 403, 403]),
            (Method::POST, format!("/api/imports/households?as_of={AS_OF}&dry_run=true&file_name=h.csv"), Body::Raw(hengfeng_households.clone()), false, [403, 403, 403, 403, 200, 403, 403]),
            (Method::POST, "/api/imports/regions?file_name=r.csv".into(), Body::Raw("code,name\n361128102,莲花山乡\n".into()), false, [403; 7]),
            (Method::POST, "/api/imports/repayments?dry_run=true&file_name=r.csv".into(), Body::Raw("id,contract_no,institution_code,paid_on,amount\nX1,L1,PYRCB,2017-03-01,50\n".into()), false, [403, 403, 200, 200, 403, 403, 403]),
            (Method::POST, "/api/imports/nonsense".into(), Body::Raw("a\n".into()), false, [404; 7]),
            (Method::GET, "/api/imports/0123/errors.csv".into(), Body::None, false, [404; 7]),
        ];
        let mut key = 0;
        for (method, path, body, needs_key, expected) in &rows {
            for (index, (name, _, _, _)) in USERS.iter().enumerate() {
                let body = match body {
                    Body::Json(value) => Body::Json(serde_json::from_str(&value.to_string().replace("{user}", name)).expect("json")),
                    other => other.clone(),
                };
                key += 1;
                let key_text = format!("key-{key}");
                let headers: Vec<(&str, &str)> = match needs_key {
                    true => vec![("idempotency-key", key_text.as_str())],
                    false => vec![],
                };
                let answer = call(&base, method.clone(), path, Some(&token_of(name)), &body, &headers).await;
                assert_eq!(answer.status.as_u16(), expected[index], "{method} {path} as {name}: {}", answer.text());
                if answer.status.is_client_error() {
                    let error = answer.json();
                    assert!(error["error"]["code"].is_string() && error["error"]["message"].is_string(), "{}", answer.text());
                }
            }
            let answer = call(&base, method.clone(), path, None, body, &[]).await;
            assert_eq!(answer.status.as_u16(), 401, "{method} {path} anonymously");
        }

        // Requests: each sees its own, with the borrower's name; the refused renewal of L1 and
        // the pending extension of L3 (written off since, still listed).
        let requests = |name: &'static str| {
            let token = token_of(name);
            let base = base.clone();
            async move { get(&base, "/api/loan-requests?status=all", &token).await.json() }
        };
        let seen = |page: &Value| page.as_array().expect("requests").iter().map(|r| format!("{} {} {} {}", r["contract_no"].as_str().unwrap_or(""), r["borrower_name"].as_str().unwrap_or(""), r["request"]["kind"].as_str().unwrap_or(""), r["request"]["status"].as_str().unwrap_or(""))).collect::<Vec<_>>();
        assert_eq!(seen(&requests("reg_city").await), ["L1 张三 renewal refused", "L3 赵六 extension pending"]);
        assert_eq!(seen(&requests("bank_py").await), ["L1 张三 renewal refused"]);
        assert_eq!(seen(&requests("bank_hf").await), ["L3 赵六 extension pending"]);
        let wall = get(&base, &format!("/api/loans/maturity-wall?as_of={AS_OF}"), &token_of("bank_py")).await.json();
        let cells = wall["cells"].as_array().expect("cells");
        assert!(!cells.is_empty() && cells.iter().all(|c| c["county_code"] == "361128"), "{wall}");

        // The loans page lists the pending one with its borrower's name beside the id.
        let page = get(&base, "/loans", &token_of("bank_hf")).await.text();
        let listed = page.split("id=\"request-list\"").nth(1).and_then(|rest| rest.split("</table>").next()).unwrap_or_default();
        assert!(listed.contains("L3") && listed.contains("赵六 <span class=\"code muted\"><a href=\"/households/H3\">H3</a>"), "{listed}");

        // What each sees, not only whether.
        let households = |name: &'static str| {
            let token = token_of(name);
            let base = base.clone();
            async move { get(&base, &format!("/api/households?as_of={AS_OF}"), &token).await.json() }
        };
        let ids = |page: &Value| page["items"].as_array().expect("items").iter().map(|h| h["household_id"].as_str().expect("id").to_string()).collect::<Vec<_>>();
        assert_eq!(ids(&households("reg_city").await), ["H1", "H2", "H3"]);
        assert_eq!(ids(&households("reg_poyang").await), ["H1", "H2"]);
        assert_eq!(ids(&households("bank_py").await), ["H1"], "a bank lists the households of its townships");
        assert_eq!(ids(&households("bank_hf").await), ["H3"]);
        let listed = households("poverty").await;
        assert!(listed["items"][0]["head_id_number"].as_str().expect("id").contains("**********"), "{listed}");

        // ID numbers: masked by default, in full for the bank when asked, and that read audited.
        let masked = get(&base, "/api/households/H1", &token_of("bank_py")).await.json();
        assert!(masked["members"][0]["id_number"].as_str().expect("id").contains('*'));
        let full = get(&base, "/api/households/H1?show_ids=true", &token_of("bank_py")).await.json();
        assert_eq!(full["members"][0]["id_number"], resident_id("361128", "19770501", "001"));
        let recent = fupin_app::audit::recent(&db, &operator(), 20).await.expect("recent");
        assert!(recent.iter().any(|r| r.entry.action == "member.read_id" && r.entry.actor == "bank_py" && r.entry.entity_id == "H1"));
        assert_eq!(get(&base, "/api/households/H1?show_ids=true", &token_of("reg_city")).await.status, StatusCode::FORBIDDEN);

        // Loans on the household: in detail for the regulator and the bank, status only for
        // the poverty office.
        let regulator_view = get(&base, "/api/households/H1", &token_of("reg_city")).await.json();
        assert_eq!(regulator_view["loans"][0]["contract_no"], "L1", "{regulator_view}");
        assert_eq!(regulator_view["loan_statuses"], json!([]));
        let poverty_view = get(&base, "/api/households/H1", &token_of("poverty")).await.json();
        assert_eq!(poverty_view["loans"], json!([]));
        assert_eq!(poverty_view["loan_statuses"][0]["institution_code"], "PYRCB", "{poverty_view}");
        assert!(poverty_view["loan_statuses"][0].get("contract_no").is_none() && poverty_view["loan_statuses"][0].get("principal").is_none());
        assert!(poverty_view["history"].as_array().is_some_and(|h| !h.is_empty()), "the household's changes");
        let bank_hf_loans = get(&base, "/api/loans", &token_of("bank_hf")).await.json();
        assert!(bank_hf_loans["items"].as_array().expect("items").iter().all(|l| l["institution_code"] == "HFRCB"), "{bank_hf_loans}");

        // Loans by standing: overdue ones are exactly the active loans with overdue days; a class
        // lists its loans only; anything else is refused.
        let all = get(&base, "/api/loans", &token_of("reg_city")).await.json();
        let contracts = |page: &Value, keep: &dyn Fn(&Value) -> bool| -> Vec<String> {
            page["items"].as_array().expect("items").iter().filter(|l| keep(l)).map(|l| l["contract_no"].to_string()).collect()
        };
        let overdue = get(&base, "/api/loans?status=overdue", &token_of("reg_city")).await.json();
        assert_eq!(
            contracts(&overdue, &|_| true),
            contracts(&all, &|l| l["status"] == "active" && l["overdue_days"].as_i64() > Some(0)),
            "{overdue}"
        );
        for class in ["normal", "special_mention", "substandard", "doubtful", "loss"] {
            let listed = get(&base, &format!("/api/loans?class={class}"), &token_of("reg_city")).await.json();
            assert_eq!(contracts(&listed, &|_| true), contracts(&all, &|l| l["classification"] == class), "{class}: {listed}");
        }
        assert!(!contracts(&all, &|l| l["classification"] == "normal").is_empty(), "the fixture has normal loans");
        for refused in ["/api/loans?status=late", "/api/loans?class=bad"] {
            assert_eq!(get(&base, refused, &token_of("reg_city")).await.status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
        }

        // The feed's cursor.
        let feed = get(&base, "/api/feed?since=0&limit=2", &token_of("poverty")).await.json();
        assert_eq!((feed["events"].as_array().map(Vec::len), feed["more"].as_bool()), (Some(2), Some(true)), "{feed}");
        let next = feed["next"].as_i64().expect("next");
        let rest = get(&base, &format!("/api/feed?since={next}"), &token_of("poverty")).await.json();
        assert!(rest["events"].as_array().expect("events").iter().all(|e| e["seq"].as_i64() > Some(next)));
        let bank_feed = get(&base, "/api/feed?since=0", &token_of("bank_hf")).await.json();
        assert!(bank_feed["events"].as_array().expect("events").iter().all(|e| e["household_id"] == "H3"), "{bank_feed}");

        // One loan: schedule, repayments and transfers; the repayment of the matrix is there.
        let loan = get(&base, "/api/loans/PYRCB/L1", &token_of("bank_py")).await.json();
        assert_eq!(loan["repayments"][0]["id"], "R-bank_py", "{loan}");
        assert_eq!(loan["loan"]["maturity_on"], "2019-07-01");
        assert_eq!(loan["loan"]["officer"], "王芳", "the loans file's officer");
        let page = get(&base, "/loans/PYRCB/L1", &token_of("bank_py")).await;
        assert!(page.text().contains("<dd id=\"officer\">王芳</dd>"), "{}", page.text());
        let other = get(&base, "/api/loans/PYRCB/L2", &token_of("bank_py")).await.json();
        assert!(other["loan"].get("officer").is_none(), "{other}");
        assert!(loan["schedule"].as_array().is_some_and(|s| s.len() > 20));
        assert!(loan["transfers"].as_array().expect("transfers").iter().any(|t| t["code"] == "disbursement"));

        // Money-moving requests need a key; a retry with it replays and pays once.
        let order = Body::Json(json!({"id": "R-KEY", "paid_on": "2017-03-01", "amount": "200"}));
        let no_key = call(&base, Method::POST, "/api/loans/PYRCB/L1/repayments", Some(&token_of("bank_py")), &order, &[]).await;
        assert_eq!((no_key.status, no_key.json()["error"]["field"].clone()), (StatusCode::UNPROCESSABLE_ENTITY, json!("Idempotency-Key")));
        let first = call(&base, Method::POST, "/api/loans/PYRCB/L1/repayments", Some(&token_of("bank_py")), &order, &[("idempotency-key", "pay-1")]).await;
        assert_eq!(first.status, StatusCode::CREATED, "{}", first.text());
        assert_eq!(first.json()["outcome"], "applied");
        let replay = call(&base, Method::POST, "/api/loans/PYRCB/L1/repayments", Some(&token_of("bank_py")), &order, &[("idempotency-key", "pay-1")]).await;
        assert_eq!((replay.status, replay.header("idempotent-replayed")), (StatusCode::CREATED, Some("true")));
        assert_eq!(replay.bytes, first.bytes);
        let loan = get(&base, "/api/loans/PYRCB/L1", &token_of("bank_py")).await.json();
        // R-bank_py and P-bank_py of the matrix, and R-KEY once.
        assert_eq!(loan["repayments"].as_array().map(Vec::len), Some(3));

        // A partial prepayment: more than the whole loan is refused naming the settlement
        // figure; 5,000 (more than is due, less than what settles) repays principal ahead under
        // a new schedule version, the instalments kept.
        let too_much = Body::Json(json!({"id": "PRE-1", "paid_on": "2017-03-02", "amount": "1000000", "prepayment": true}));
        let refused = call(&base, Method::POST, "/api/loans/PYRCB/L1/repayments", Some(&token_of("bank_py")), &too_much, &[("idempotency-key", "pre-0")]).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.text());
        assert!(refused.text().contains("more than the settlement amount on 2017-03-02"), "{}", refused.text());
        let bad_option = Body::Json(json!({"id": "PRE-1", "paid_on": "2017-03-02", "amount": "5000", "prepayment_option": "keep_term"}));
        let refused = call(&base, Method::POST, "/api/loans/PYRCB/L1/repayments", Some(&token_of("bank_py")), &bad_option, &[("idempotency-key", "pre-00")]).await;
        assert_eq!((refused.status, refused.json()["error"]["field"].clone()), (StatusCode::UNPROCESSABLE_ENTITY, json!("prepayment_option")));
        let before = loan["principal_outstanding"].as_str().and_then(|t| Fen::parse_yuan(t).ok()).expect("principal");
        let prepay = Body::Json(json!({"id": "PRE-1", "paid_on": "2017-03-02", "amount": "5000", "prepayment": true, "prepayment_option": "keep_term"}));
        let paid = call(&base, Method::POST, "/api/loans/PYRCB/L1/repayments", Some(&token_of("bank_py")), &prepay, &[("idempotency-key", "pre-1")]).await;
        assert_eq!(paid.status, StatusCode::CREATED, "{}", paid.text());
        let principal = paid.json()["principal"].as_str().and_then(|t| Fen::parse_yuan(t).ok()).expect("principal");
        let interest = paid.json()["interest"].as_str().and_then(|t| Fen::parse_yuan(t).ok()).expect("interest");
        assert_eq!(principal.fen() + interest.fen(), 500_000, "all 5,000 applied");
        let loan = get(&base, "/api/loans/PYRCB/L1", &token_of("bank_py")).await.json();
        let after = loan["principal_outstanding"].as_str().and_then(|t| Fen::parse_yuan(t).ok()).expect("principal");
        assert_eq!(after.fen(), before.fen() - principal.fen(), "{loan}");
        let versions = loan["schedule_versions"].as_array().expect("versions");
        let last = versions.last().expect("a version");
        assert_eq!((last["kind"].clone(), last["prepayment_option"].clone(), last["repayment_id"].clone()), (json!("prepayment"), json!("keep_term"), json!("PRE-1")), "{loan}");
        assert_eq!(last["principal"], loan["principal_outstanding"], "the new schedule repays what is left: {loan}");
        assert_eq!(loan["penalty_outstanding"], "0.00");

        // Funds: the approved claim paid the bank from the county fund.
        let funds = get(&base, &format!("/api/funds?as_of={AS_OF}"), &token_of("finance")).await.json();
        assert_eq!(funds["region"], "361128000000");
        assert_ne!(funds["subsidy_paid"], "0.00", "{funds}");
        assert_eq!(funds["risk_deposits"], "51000.00", "the deposit of the matrix: {funds}");
        let claims = get(&base, "/api/funds/subsidy-claims?quarter=2017Q1", &token_of("bank_hf")).await.json();
        assert!(claims["items"].as_array().expect("claims").iter().all(|c| c["institution_code"] == "HFRCB"), "{claims}");

        // Returns: the regulator's approval moved it, with the reason kept.
        let shown = get(&base, "/api/returns/PYRCB/361128/2017-06", &token_of("bank_py")).await.json();
        assert_eq!((shown["return"]["state"].clone(), shown["return"]["reopen_reason"].clone()), (json!("reopened"), json!("bank corrected June")));
        assert!(shown["rules"].as_array().is_some_and(|r| !r.is_empty()));

        // Indicators: the scope's figures; a bank's are its own part.
        let figures = get(&base, &format!("/api/indicators?as_of={AS_OF}&codes=loans_total_balance,poor_population"), &token_of("reg_poyang")).await.json();
        let value = |doc: &Value, code: &str| doc["indicators"].as_array().expect("indicators").iter().find(|i| i["code"] == code).map(|i| i["value"].clone()).expect("indicator");
        assert_eq!(value(&figures, "loans_total_balance"), "1000000.00", "{figures}");
        assert_eq!(value(&figures, "poor_population"), "3", "{figures}");
        let bank = get(&base, &format!("/api/indicators?as_of={AS_OF}&codes=loans_total_balance"), &token_of("bank_py")).await.json();
        assert_eq!(bank["institution"], "PYRCB");

        // The report streams a file.
        let xlsx = get(&base, &format!("/api/report?as_of={AS_OF}&region=361128"), &token_of("reg_city")).await;
        assert_eq!(xlsx.status, StatusCode::OK);
        assert!(xlsx.header("content-type").is_some_and(|t| t.contains("spreadsheetml")));
        assert!(xlsx.header("content-disposition").is_some_and(|d| d.contains("fupin-report-361128000000-2017-06-30.xlsx")));
        assert!(xlsx.bytes.starts_with(b"PK"), "a zip archive");
        let csv = get(&base, &format!("/api/report?as_of={AS_OF}&format=csv"), &token_of("reg_city")).await;
        assert!(csv.bytes.starts_with("\u{feff}section,".as_bytes()));
        assert_eq!(get(&base, "/api/report?format=pdf", &token_of("reg_city")).await.json()["error"]["field"], "format");

        // Imports: a row outside the uploader's region refuses the file, named in the report and
        // in the CSV error report, which only the uploader may download.
        let refused = call(&base, Method::POST, &format!("/api/imports/households?as_of={AS_OF}&file_name=h.csv"), Some(&token_of("poverty")), &Body::Raw(hengfeng_households.clone()), &[]).await.json();
        assert_eq!((refused["applied"].clone(), refused["error_count"].clone()), (json!(false), json!(1)), "{refused}");
        assert!(refused["errors"][0]["message"].as_str().expect("message").contains("outside your region"));
        let link = refused["errors_csv"].as_str().expect("link").to_string();
        let report = get(&base, &link, &token_of("poverty")).await;
        assert_eq!(report.status, StatusCode::OK);
        assert!(report.bytes.starts_with("\u{feff}row,column,value,message".as_bytes()), "{}", report.text());
        assert_eq!(get(&base, &link, &token_of("reg_city")).await.status, StatusCode::NOT_FOUND);
        // A multipart form: the file and the options as fields.
        let boundary = "fupinBoundary42";
        let form = multipart(boundary, &[("dry_run", "true"), ("as_of", AS_OF)], "户.csv", &poyang_households);
        let content_type = format!("multipart/form-data; boundary={boundary}");
        let answer = client().post(format!("{base}/api/imports/households")).bearer_auth(token_of("poverty")).header("content-type", content_type).body(form).send().await.expect("send");
        let answer: Value = answer.json().await.expect("json");
        assert_eq!((answer["file"].clone(), answer["dry_run"].clone(), answer["error_count"].clone(), answer["applied"].clone()), (json!("户.csv"), json!(true), json!(0), json!(false)), "{answer}");
        assert_eq!(answer["unchanged"], 2, "{answer}");

        // Every new path is in the API document.
        let openapi = call(&base, Method::GET, "/api/openapi.json", None, &Body::None, &[]).await.json();
        for path in ["/api/households", "/api/households/{id}", "/api/feed", "/api/products", "/api/loans", "/api/loans/{institution}/{contract}", "/api/loans/{institution}/{contract}/repayments", "/api/eod", "/api/funds", "/api/funds/subsidy-claims", "/api/funds/risk-claims/{id}/approve", "/api/returns", "/api/returns/{institution}/{county}/{period}/approve", "/api/indicators", "/api/indicators/definitions", "/api/report", "/api/imports/{kind}", "/api/imports/{id}/errors.csv"] {
            assert!(openapi["paths"][path].is_object(), "{path} is documented");
        }
        let verified = fupin_app::audit::verify(&db).await.expect("verify");
        assert!(verified.problems.is_empty());

        // The pages answer by the same rules, in HTML (a token is enough to read them).
        let pages: Vec<(String, [u16; 7], &str)> = vec![
            (format!("/dashboard?as_of={AS_OF}&codes=poor_population"), [200, 200, 200, 200, 200, 200, 403], "indicator-table"),
            (format!("/worklist?as_of={AS_OF}"), [200, 200, 200, 200, 200, 403, 403], "work-list"),
            (format!("/households?as_of={AS_OF}"), [200, 200, 200, 200, 200, 403, 403], "results"),
            ("/households/H1".into(), [200, 200, 200, 404, 200, 403, 403], "members"),
            ("/loans".into(), [200, 200, 200, 200, 403, 403, 403], "results"),
            ("/loans/PYRCB/L1".into(), [200, 200, 200, 404, 403, 403, 403], "schedule"),
            (format!("/funds?as_of={AS_OF}&quarter=2017Q1"), [200, 200, 200, 200, 403, 200, 403], "subsidy-claims"),
            ("/returns".into(), [200, 200, 200, 200, 403, 403, 403], "returns"),
            ("/imports".into(), [200; 7], "import-report"),
        ];
        for (path, expected, marker) in &pages {
            for (index, (name, _, _, _)) in USERS.iter().enumerate() {
                let answer = get(&base, path, &token_of(name)).await;
                assert_eq!(answer.status.as_u16(), expected[index], "page {path} as {name}: {}", answer.text());
                assert!(answer.header("content-type").is_some_and(|t| t.starts_with("text/html")), "{path} as {name}");
                if answer.status == StatusCode::OK {
                    assert!(answer.text().contains(&format!("id=\"{marker}\"")), "{path} as {name}: {}", answer.text());
                }
            }
        }
        let funds_page = get(&base, &format!("/funds?as_of={AS_OF}&quarter=2017Q1"), &token_of("finance")).await.text();
        assert!(funds_page.contains("已审批拨付 2017-04-10"), "the claim approved above, in words");
        let regulator_funds = get(&base, &format!("/funds?as_of={AS_OF}&quarter=2017Q1"), &token_of("reg_city")).await.text();
        assert!(!regulator_funds.contains("/approve\""), "the regulator gets none");
        // Opened without a filter, the returns page shows what awaits approval; `state=` shows all.
        let awaiting = get(&base, "/returns", &token_of("reg_city")).await.text();
        assert!(!awaiting.contains("/lock\""), "approved returns are not what awaits approval");
        let returns_page = get(&base, "/returns?state=", &token_of("reg_city")).await.text();
        assert!(returns_page.contains("/approve\"") || returns_page.contains("/lock\""), "the regulator gets approval buttons");
        assert!(!get(&base, "/returns", &token_of("bank_py")).await.text().contains("/approve\""));
        // A button's form, as a page sends it (a token needs no CSRF field).
        let form = client().post(format!("{base}/returns/HFRCB/361125/2017-06/lock")).bearer_auth(token_of("reg_city")).form(&[("back", "/returns")]).send().await.expect("send");
        assert_eq!(form.status(), StatusCode::SEE_OTHER);
        let refused = client().post(format!("{base}/returns/HFRCB/361125/2017-06/reopen")).bearer_auth(token_of("bank_hf")).form(&[("reason", "x")]).send().await.expect("send");
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        let approve = client().post(format!("{base}/funds/risk-claims/999/approve")).bearer_auth(token_of("finance")).form(&[("on", AS_OF)]).send().await.expect("send");
        assert_eq!(approve.status(), StatusCode::NOT_FOUND);
    }

    async fn gap_to_the_city_fund_figures_and_user_scopes_are_one_rule_on_every_path(db) {
        seed(&db).await;
        // December returns, and a second bank in Poyang, so that a bank's own part differs from
        // the county's: Poyang 1,400,000 → 1,550,000 (10.71 %), PYRCB alone 900,000 → 1,000,000
        // (11.11 %), Hengfeng 700,000 → 800,000, the city 2,100,000 → 2,350,000 (11.90 %).
        load(&db, Kind::Returns, "institution_code,region_code,period,element,value\n\
            PYRCB,361128,2016-12,loans_total,900000\nHFRCB,361125,2016-12,loans_total,700000\n\
            ABC-SR,361128,2016-12,loans_total,500000\nABC-SR,361128,2017-06,loans_total,550000\n", None).await;
        let users = seed_users(&db).await;
        let base = start(&db).await;
        let token_of = |name: &str| users.iter().find(|(n, _)| *n == name).map(|(_, t)| t.clone()).expect("user");
        let indicators = async |name: &str| {
            let answer = get(&base, &format!("/api/indicators?as_of={AS_OF}&region=361128&codes=loans_total_growth_gap_pp,loans_total_growth,subsidy_fund_balance,risk_fund_balance"), &token_of(name)).await;
            let document = if answer.status == StatusCode::OK { answer.json() } else { Value::Null };
            let field = |code: &str, key: &str| document["indicators"].as_array().and_then(|all| all.iter().find(|i| i["code"] == code)).and_then(|i| i[key].as_str()).map(str::to_string);
            (answer.status.as_u16(), field("loans_total_growth_gap_pp", "value"), field("loans_total_growth", "value"), field("subsidy_fund_balance", "value"), field("subsidy_fund_balance", "problem"))
        };
        // Item 1: the same gap for every role that reads Poyang (10.71 − 11.90 = −1.19).
        let gap = Some("-1.19".to_string());
        for (name, status, growth) in [("reg_city", 200, "10.71"), ("reg_poyang", 200, "10.71"), ("bank_py", 200, "11.11"), ("poverty", 200, "10.71"), ("finance", 200, "10.71"), ("bank_hf", 404, ""), ("admin", 403, "")] {
            let (got, got_gap, got_growth, _, _) = indicators(name).await;
            assert_eq!(got, status, "{name}");
            if status == 200 {
                assert_eq!(got_gap, gap, "{name}: the gap to the city");
                assert_eq!(got_growth.as_deref(), Some(growth), "{name}: growth, a bank's own part");
            }
        }
        // Item 2: fund figures on every path — the funds API, indicators, the dashboard, the
        // report — for the finance bureau and the regulator only.
        let (_, _, _, balance, _) = indicators("finance").await;
        let balance = balance.expect("the finance bureau sees the subsidy fund");
        assert_eq!(indicators("reg_poyang").await.3.as_ref(), Some(&balance));
        // The dashboard's cell of an indicator, the report's fund rows.
        let dashboard_cell = async |name: &str| {
            let page = get(&base, &format!("/dashboard?as_of={AS_OF}&region=361128&codes=subsidy_fund_balance,risk_fund_balance"), &token_of(name)).await;
            assert_eq!(page.status, StatusCode::OK, "{name}");
            let text = page.text();
            let row = text.split("title=\"subsidy_fund_balance\"").nth(1).expect("the fund row").to_string();
            // `<td class="num" title="exact">shown</td>`: the figure as shown, in 万元 or 亿元.
            row.split("class=\"num\" title=\"").nth(1).and_then(|cell| cell.split('>').nth(1)).and_then(|cell| cell.split('<').next()).map(str::to_string).expect("the value cell")
        };
        let report_funds = async |name: &str| {
            let report = get(&base, &format!("/api/report?as_of={AS_OF}&region=361128&format=json"), &token_of(name)).await.json();
            let funds: Vec<Value> = report["indicators"].as_array().expect("indicators").iter().filter(|i| i["section"] == "funds").cloned().collect();
            assert!(!funds.is_empty());
            let csv = get(&base, &format!("/api/report?as_of={AS_OF}&region=361128&format=csv"), &token_of(name)).await.text();
            // The value is the cell after the unit (names before it may hold quoted commas).
            let value_of = |line: &str| {
                let cells: Vec<&str> = line.split(',').collect();
                let unit = cells.iter().position(|c| ["yuan", "times", "count", "percent", "pp"].contains(c)).expect("a unit");
                cells[unit + 1].to_string()
            };
            let csv_values: Vec<String> = csv.lines().filter(|l| l.starts_with("funds,")).map(value_of).collect();
            (funds, csv_values)
        };
        for name in ["bank_py", "poverty"] {
            assert_eq!(get(&base, &format!("/api/funds?as_of={AS_OF}&region=361128"), &token_of(name)).await.status, StatusCode::FORBIDDEN, "{name}");
            let (_, _, _, value, problem) = indicators(name).await;
            assert_eq!(value, None, "{name} sees the fund balance in /api/indicators");
            assert!(problem.as_deref().is_some_and(|p| p.starts_with("not shown: ")), "{name}: {problem:?}");
            assert_eq!(dashboard_cell(name).await, "—", "{name} sees the fund balance on the dashboard");
            let (funds, csv_values) = report_funds(name).await;
            for fund in &funds {
                assert!(fund["value"].is_null(), "{name} sees {fund} in the report");
                assert!(fund["problem"].as_str().is_some_and(|p| p.starts_with("not shown: ")), "{fund}");
            }
            assert!(!csv_values.is_empty() && csv_values.iter().all(String::is_empty), "{name}: {csv_values:?}");
        }
        let funds_page = get(&base, &format!("/funds?as_of={AS_OF}"), &token_of("bank_py")).await;
        assert!(!funds_page.text().contains("id=\"fund-figures\""), "the bank's funds page shows its claims only");
        for name in ["finance", "reg_poyang"] {
            assert_eq!(get(&base, &format!("/api/funds?as_of={AS_OF}&region=361128"), &token_of(name)).await.json()["subsidy_balance"], Value::String(balance.clone()), "{name}");
            assert_eq!(dashboard_cell(name).await, fupin_web::numbers::money_text(fupin_web::i18n::Lang::Zh, &balance), "{name}");
            let (funds, _) = report_funds(name).await;
            let subsidy = funds.iter().find(|f| f["code"] == "subsidy_fund_balance").expect("subsidy");
            assert_eq!(subsidy["value"], Value::String(balance.clone()), "{name}");
        }

        // Item 3: a bank user's region lies within its institution's (PYRCB: Poyang).
        let admin = token_of("admin");
        let new_user = |name: &str, region: &str| json!({"name": name, "role": "bank", "region": region, "institution": "PYRCB", "password": PASSWORD});
        let post = async |body: Value| call(&base, Method::POST, "/api/users", Some(&admin), &Body::Json(body), &[]).await;
        for region in ["361125", "3611", "361125100"] {
            let refused = post(new_user("outside", region)).await;
            assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{region}: {}", refused.text());
            assert_eq!(refused.json()["error"]["field"], "region", "{}", refused.text());
            assert!(refused.text().contains("outside the area of institution PYRCB"), "{}", refused.text());
        }
        assert_eq!(post(new_user("township", "361128100")).await.status, StatusCode::CREATED);
        assert_eq!(get(&base, "/api/users/outside", &admin).await.status, StatusCode::NOT_FOUND, "no user was made");

        // Item 8: a deposit into a county that does not exist names the field, never the
        // database's words (it was a 409 with the engine's foreign-key message).
        users::add(&db, &operator(), NewUser { name: "finance_city".into(), display_name: None, role: Role::Finance, region: fupin_app::fupin_core::RegionCode::parse("3611").expect("region"), institution: None, password: PASSWORD.into() }).await.expect("user");
        let token = users::new_token(&db, &operator(), "finance_city").await.expect("token").token;
        let answer = call(&base, Method::POST, "/api/funds/deposits", Some(&token), &Body::Json(json!({"id": "NOWHERE", "county": "361199", "fund": "subsidy", "on": AS_OF, "amount": "1000"})), &[("idempotency-key", "k-nowhere")]).await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", answer.text());
        assert_eq!(answer.json()["error"]["field"], "county", "{}", answer.text());
        for engine_words in ["constraint", "FOREIGN KEY", "violates", "fund_deposits"] {
            assert!(!answer.text().contains(engine_words), "{}", answer.text());
        }
    }

    async fn a_guarantor_sees_only_its_own_contracts(db) {
        seed(&db).await;
        let mut users = seed_users(&db).await;
        let no_institution = users::add(&db, &operator(), NewUser { name: "g0".into(), display_name: None, role: Role::Guarantor, region: fupin_app::fupin_core::RegionCode::parse("361128").expect("region"), institution: None, password: PASSWORD.into() }).await;
        assert!(no_institution.expect_err("a guarantor needs its company").to_string().contains("a guarantor user needs an institution"));
        users::add(&db, &operator(), NewUser { name: "guarantor_gc".into(), display_name: None, role: Role::Guarantor, region: fupin_app::fupin_core::RegionCode::parse("361128").expect("region"), institution: Some("GC".into()), password: PASSWORD.into() }).await.expect("guarantor");
        users.push(("guarantor_gc", users::new_token(&db, &operator(), "guarantor_gc").await.expect("token").token));
        let base = start(&db).await;
        let token_of = |name: &str| users.iter().find(|(n, _)| *n == name).map(|(_, t)| t.clone()).expect("user");
        let gc = token_of("guarantor_gc");
        // GC guarantees L1 (30 %); the bank names GD on L2 through the API.
        let added = call(&base, Method::POST, "/api/loans/PYRCB/L2/guarantees", Some(&token_of("bank_py")), &Body::Json(json!({"guarantor_type": "担保公司", "guarantor_id": "GD", "contract_no": "DB-L2", "share": "20%", "signed_on": "2017-01-01"})), &[("idempotency-key", "g-1")]).await;
        assert_eq!(added.status, StatusCode::CREATED, "{}", added.text());
        let over = call(&base, Method::POST, "/api/loans/PYRCB/L1/guarantees", Some(&token_of("bank_py")), &Body::Json(json!({"guarantor_type": "company", "guarantor_id": "GD", "contract_no": "DB-L1b", "share": "80", "signed_on": "2017-01-01"})), &[("idempotency-key", "g-2")]).await;
        assert_eq!(over.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", over.text());
        assert!(over.text().contains("would reach 110.00 %, above the cap of 100.00 % of product MC"), "{}", over.text());
        let seen = |path: &'static str| {
            let base = base.clone();
            let gc = gc.clone();
            async move { get(&base, path, &gc).await.status.as_u16() }
        };
        assert_eq!(seen("/api/loans/PYRCB/L1/guarantees").await, 200, "the loan it guarantees");
        assert_eq!(seen("/api/loans/PYRCB/L2/guarantees").await, 404, "another company's");
        assert_eq!(seen("/api/loans/HFRCB/L3/guarantees").await, 404, "outside its region");
        assert_eq!(seen("/api/guarantees/exposure?kind=company&guarantor=GC").await, 200);
        assert_eq!(seen("/api/guarantees/exposure?kind=company&guarantor=GD").await, 404);
        assert_eq!(seen("/api/guarantees/claims").await, 200);
        for path in ["/api/loans", "/api/loans/PYRCB/L1", "/api/funds/risk-claims", "/api/guarantees/figures?as_of=2017-06-30", "/api/households?as_of=2017-06-30"] {
            assert_eq!(seen(path).await, 403, "{path}");
        }
        let exposure = get(&base, "/api/guarantees/exposure?kind=company&guarantor=GC", &gc).await.json();
        // 30 % of L1's 12,000 outstanding.
        assert_eq!(exposure["guaranteed"], "3600.00", "{exposure}");
        let named = call(&base, Method::POST, "/api/loans/PYRCB/L1/guarantees", Some(&gc), &Body::Json(json!({"guarantor_type": "company", "guarantor_id": "GC", "contract_no": "X", "share": "10", "signed_on": "2017-01-01"})), &[("idempotency-key", "g-3")]).await;
        assert_eq!(named.status, StatusCode::FORBIDDEN, "a guarantor does not name guarantors");
        // The loan page shows its guarantors, in Chinese.
        let page = get(&base, "/loans/PYRCB/L1", &token_of("bank_py")).await.text();
        assert!(page.contains("id=\"guarantees\"") && page.contains("DB-L1") && page.contains("融资担保公司") && page.contains("鄱阳县融资担保公司"), "{page}");
        // The borrower's credit file (household page) shows its loans' guarantors.
        let household = get(&base, "/households/H1?as_of=2017-06-30", &token_of("bank_py")).await.text();
        assert!(household.contains("id=\"household-guarantees\"") && household.contains("贷款担保") && household.contains("DB-L1"), "{household}");
        let funds_page = get(&base, "/funds?as_of=2017-06-30", &token_of("finance")).await.text();
        assert!(funds_page.contains("id=\"waterfall\"") && funds_page.contains("损失分担") && funds_page.contains("风险补偿金"), "{funds_page}");
    }
}

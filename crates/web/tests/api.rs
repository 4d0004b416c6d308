//! The HTTP API end to end: a real server on port 0 per test, on SQLite and on PostgreSQL,
//! driven with a plain HTTP client for every role.

use std::time::Duration;

use fupin_app::audit::Trail;
use fupin_app::auth;
use fupin_app::fupin_core::{BusinessDate, RegionCode};
use fupin_app::regions::{ChangeCounts, Region};
use fupin_app::territory::Institution;
use fupin_app::users::{self, NewUser};
use fupin_app::{Actor, Ctx, Db, Role};
use fupin_store::institutions::Assignment;
use fupin_store::service_points::ServicePoint;
use fupin_web::{AppState, Config};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

// ---- the server and a client -----------------------------------------------------------------

async fn start(db: &Db, config: Config) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind port 0");
    let address = listener.local_addr().expect("address");
    let state = AppState::new(db.clone(), config);
    tokio::spawn(async move {
        axum_serve(state, listener).await;
    });
    format!("http://{address}")
}

async fn axum_serve(state: AppState, listener: tokio::net::TcpListener) {
    fupin_web::serve(state, listener).await.ok();
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// How a request authenticates.
#[derive(Clone, Debug)]
enum Auth {
    None,
    Token(String),
    Session { cookie: String, csrf: String },
}

struct Answer {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    text: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_string))
            .collect()
    }

    fn cookie(&self, name: &str) -> Option<String> {
        self.set_cookies().into_iter().find_map(|c| {
            c.split(';')
                .next()
                .and_then(|pair| pair.split_once('='))
                .filter(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        })
    }
}

async fn call(
    base: &str,
    method: Method,
    path: &str,
    auth: &Auth,
    body: Option<&Value>,
    headers: &[(&str, &str)],
) -> Answer {
    let mut request = client().request(method, format!("{base}{path}"));
    match auth {
        Auth::None => {}
        Auth::Token(token) => request = request.bearer_auth(token),
        Auth::Session { cookie, csrf } => {
            request = request
                .header("cookie", format!("fupin_session={cookie}"))
                .header("x-csrf-token", csrf);
        }
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if let Some(body) = body {
        request = request.json(body);
    }
    let response = request.send().await.expect("send");
    Answer {
        status: response.status(),
        headers: response.headers().clone(),
        text: response.text().await.expect("body"),
    }
}

async fn get(base: &str, path: &str, auth: &Auth) -> Answer {
    call(base, Method::GET, path, auth, None, &[]).await
}

async fn post(base: &str, path: &str, auth: &Auth, body: &Value) -> Answer {
    call(base, Method::POST, path, auth, Some(body), &[]).await
}

// ---- the territory and the users -------------------------------------------------------------

fn operator() -> Ctx {
    Ctx {
        actor: Actor::operator("tester"),
        now: "2017-07-01T09:00:00.000Z".into(),
        request_id: None,
    }
}

fn code(text: &str) -> RegionCode {
    RegionCode::parse(text).expect("region code")
}

fn date(text: &str) -> BusinessDate {
    BusinessDate::parse(text).expect("date")
}

const PASSWORD: &str = "correct horse battery";
const AS_OF: &str = "2017-06-30";

/// Townships and villages of Poyang (361128) and Hengfeng (361125); two rural banks and a city
/// bank; each township has a responsible bank except 361128102.
async fn seed_territory(db: &Db) {
    let ctx = operator();
    fupin_app::regions::load_reference_data(db, &ctx)
        .await
        .expect("reference data");
    let places = [
        ("361128100", "饶州街道", Some("361128000000")),
        ("361128101", "鸦鹊湖乡", Some("361128000000")),
        ("361128102", "莲花山乡", Some("361128000000")),
        ("361125100", "岑阳镇", Some("361125000000")),
        ("361128100001", "东湖村", None),
        ("361128101001", "鸦鹊村", None),
        ("361128102001", "莲花村", None),
        ("361125100001", "岑阳村", None),
    ];
    let mut tx = db.write().await.expect("tx");
    let mut counts = ChangeCounts::default();
    for (text, name, _) in places {
        let region = Region {
            code: code(text),
            name: name.to_string(),
            name_en: None,
            parent_code: code(text).parent(),
            population: Some(1000),
            poverty_county: false,
            poverty_village: text.len() == 12,
            valid_from: None,
            valid_to: None,
            successor_code: None,
            note: None,
        };
        fupin_app::regions::save(&mut tx, &ctx, &region, &mut counts, &mut Trail::default())
            .await
            .expect("save region");
    }
    for (code_text, name, kind, region, parent) in [
        ("PYRCB", "鄱阳农商银行", "rural_cooperative", "361128", None),
        (
            "PYRCB-1",
            "鄱阳农商银行饶州支行",
            "rural_cooperative",
            "361128100",
            Some("PYRCB"),
        ),
        ("HFRCB", "横峰农商银行", "rural_cooperative", "361125", None),
        (
            "ABC-SR",
            "中国农业银行上饶分行",
            "large_commercial",
            "3611",
            None,
        ),
    ] {
        fupin_store::institutions::upsert(
            &mut tx,
            &Institution {
                code: code_text.into(),
                name: name.into(),
                name_en: None,
                kind: kind.into(),
                parent_code: parent.map(str::to_string),
                region_code: code(region),
            },
        )
        .await
        .expect("institution");
    }
    for (township, institution) in [
        ("361128100", "PYRCB"),
        ("361128101", "ABC-SR"),
        ("361125100", "HFRCB"),
    ] {
        fupin_store::institutions::upsert_assignment(
            &mut tx,
            &Assignment {
                township_code: code(township),
                institution_code: institution.into(),
                effective_from: date("2016-01-01"),
                effective_to: None,
            },
        )
        .await
        .expect("assignment");
    }
    for (id, village, institution, kind) in [
        ("S1", "361128100001", "PYRCB", "outlet"),
        ("S2", "361125100001", "HFRCB", "withdrawal_point"),
    ] {
        fupin_store::service_points::upsert(
            &mut tx,
            &ServicePoint {
                id: id.into(),
                village_code: code(village),
                institution_code: institution.into(),
                kind: kind.into(),
                services: vec!["cash_withdrawal".into()],
                opened_on: date("2015-01-01"),
                closed_on: None,
            },
        )
        .await
        .expect("service point");
    }
    tx.commit().await.expect("commit");
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

async fn add_user(db: &Db, name: &str, role: Role, region: &str, institution: Option<&str>) {
    users::add(
        db,
        &operator(),
        NewUser {
            name: name.into(),
            display_name: None,
            role,
            region: code(region),
            institution: institution.map(str::to_string),
            password: PASSWORD.into(),
        },
    )
    .await
    .expect("add user");
}

/// Every user of [`USERS`] with an API token: (name, auth).
async fn seed_users(db: &Db) -> Vec<(&'static str, Auth)> {
    let mut tokens = Vec::new();
    for (name, role, region, institution) in USERS {
        add_user(db, name, *role, region, *institution).await;
        let token = users::new_token(db, &operator(), name)
            .await
            .expect("token");
        tokens.push((*name, Auth::Token(token.token)));
    }
    tokens
}

async fn sign_in(base: &str, name: &str) -> Auth {
    let answer = post(
        base,
        "/api/session",
        &Auth::None,
        &json!({"name": name, "password": PASSWORD}),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    Auth::Session {
        cookie: answer.cookie("fupin_session").expect("session cookie"),
        csrf: answer.json()["csrf_token"]
            .as_str()
            .expect("csrf")
            .to_string(),
    }
}

fn codes(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["code"].as_str().expect("code").to_string())
        .collect()
}

// ---- tests -----------------------------------------------------------------------------------

fupin_store::on_both_engines! {
    async fn every_endpoint_answers_or_refuses_by_role_and_scope(db) {
        seed_territory(&db).await;
        let users = seed_users(&db).await;
        let base = start(&db, Config::default()).await;
        let auth_of = |name: &str| users.iter().find(|(n, _)| *n == name).map(|(_, a)| a.clone()).expect("user");
        let townships = format!("/api/coverage/townships?as_of={AS_OF}");
        let villages = format!("/api/coverage/villages?as_of={AS_OF}");
        let townships_hf = format!("/api/coverage/townships?as_of={AS_OF}&region=361125");
        let new_institution = |code: &str, region: &str| json!({"code": code, "name": "新机构", "type": "village_bank", "region_code": region});
        let new_user = |name: &str| json!({"name": name, "role": "finance", "region": "361128", "password": PASSWORD});
        // (method, path, body, [status of reg_city, reg_poyang, bank_py, bank_hf, poverty, finance, admin], anonymous)
        type Row = (Method, String, Option<Value>, [u16; 7], u16);
        let matrix: Vec<Row> = vec![
            (Method::GET, "/api/session".into(), None, [200; 7], 401),
            (Method::GET, "/api/regions?level=county".into(), None, [200; 7], 401),
            (Method::GET, "/api/regions/361128".into(), None, [200; 7], 401),
            (Method::GET, "/api/institutions".into(), None, [200, 200, 200, 200, 403, 403, 403], 401),
            (Method::GET, "/api/institutions/HFRCB".into(), None, [200, 404, 404, 200, 403, 403, 403], 401),
            (Method::GET, "/api/institutions/PYRCB-1".into(), None, [200, 200, 200, 404, 403, 403, 403], 401),
            (Method::GET, townships.clone(), None, [200, 200, 200, 200, 403, 403, 403], 401),
            (Method::GET, townships_hf.clone(), None, [200, 404, 404, 200, 403, 403, 403], 401),
            (Method::GET, villages.clone(), None, [200, 200, 200, 200, 403, 403, 403], 401),
            (Method::POST, "/api/institutions".into(), Some(new_institution("VB-{user}", "361128")), [201, 201, 403, 403, 403, 403, 403], 401),
            (Method::POST, "/api/institutions".into(), Some(new_institution("VB2-{user}", "361125")), [201, 404, 403, 403, 403, 403, 403], 401),
            (Method::GET, "/api/users".into(), None, [403, 403, 403, 403, 403, 403, 200], 401),
            (Method::POST, "/api/users".into(), Some(new_user("u-{user}")), [403, 403, 403, 403, 403, 403, 201], 401),
            (Method::GET, "/api/users/bank_py".into(), None, [403, 403, 403, 403, 403, 403, 200], 401),
            (Method::POST, "/api/users/{user}/tokens".into(), Some(json!({})), [201; 7], 401),
            (Method::POST, "/api/users/finance/tokens".into(), Some(json!({})), [403, 403, 403, 403, 403, 201, 201], 401),
            (Method::GET, "/api/audit/verify".into(), None, [403, 403, 403, 403, 403, 403, 200], 401),
        ];
        for (method, path, body, expected, anonymous) in &matrix {
            for (index, (name, _, _, _)) in USERS.iter().enumerate() {
                let path = path.replace("{user}", name);
                let body = body.as_ref().map(|b| serde_json::from_str::<Value>(&b.to_string().replace("{user}", name)).expect("json"));
                let answer = call(&base, method.clone(), &path, &auth_of(name), body.as_ref(), &[]).await;
                assert_eq!(answer.status.as_u16(), expected[index], "{method} {path} as {name}: {}", answer.text);
                if answer.status.is_client_error() {
                    let error = answer.json();
                    assert!(error["error"]["code"].is_string() && error["error"]["message"].is_string(), "{}", answer.text);
                }
            }
            let answer = call(&base, method.clone(), path, &Auth::None, body.as_ref(), &[]).await;
            assert_eq!(answer.status.as_u16(), *anonymous, "{method} {path} anonymously");
        }

        // What each sees, not only whether.
        let list = |name: &'static str| {
            let auth = auth_of(name);
            let base = base.clone();
            async move { get(&base, "/api/institutions", &auth).await.json() }
        };
        assert_eq!(codes(&list("bank_py").await), ["PYRCB", "PYRCB-1"]);
        assert_eq!(codes(&list("bank_hf").await), ["HFRCB"]);
        let poyang = codes(&list("reg_poyang").await);
        assert!(poyang.contains(&"PYRCB".to_string()) && !poyang.contains(&"HFRCB".to_string()) && !poyang.contains(&"ABC-SR".to_string()), "{poyang:?}");
        assert!(codes(&list("reg_city").await).contains(&"ABC-SR".to_string()));

        let city = get(&base, &townships, &auth_of("reg_city")).await.json();
        assert_eq!((city["townships"].as_u64(), city["assigned"].as_u64()), (Some(4), Some(3)), "{city}");
        assert_eq!(city["unassigned_townships"]["items"][0]["code"], "361128102000");
        let county = get(&base, &townships, &auth_of("reg_poyang")).await.json();
        assert_eq!(county["townships"], 3, "{county}");
        let bank = get(&base, &townships, &auth_of("bank_py")).await.json();
        assert_eq!((bank["townships"].as_u64(), bank["assigned"].as_u64()), (Some(1), Some(1)), "{bank}");
        assert_eq!(bank["by_institution"][0]["code"], "PYRCB");
        let bank_villages = get(&base, &villages, &auth_of("bank_py")).await.json();
        assert_eq!((bank_villages["villages"].as_u64(), bank_villages["with_outlet"].as_u64()), (Some(1), Some(1)), "{bank_villages}");
        let city_villages = get(&base, &villages, &auth_of("reg_city")).await.json();
        assert_eq!(city_villages["villages"], 4);
        assert_eq!(city_villages["coverage_percent"], "50.00");

        // An admin of a region manages only users in it.
        let users_page = get(&base, "/api/users?limit=2", &auth_of("admin")).await.json();
        assert_eq!(users_page["items"].as_array().map(Vec::len), Some(2));
        assert_eq!(users_page["next_offset"], 2);

        // Every write above is in the audit trail, with who did it.
        let verified = get(&base, "/api/audit/verify", &auth_of("admin")).await.json();
        assert_eq!(verified["intact"], true, "{verified}");
        let recent = fupin_app::audit::recent(&db, &operator(), 1000).await.expect("recent");
        assert!(recent.iter().any(|r| r.entry.action == "institution.add" && r.entry.actor == "reg_poyang"));
        assert!(recent.iter().any(|r| r.entry.action == "user.add" && r.entry.actor == "admin"));
    }

    async fn sign_in_out_sessions_and_csrf(db) {
        seed_territory(&db).await;
        add_user(&db, "reg", Role::Regulator, "3611", None).await;
        let base = start(&db, Config::default()).await;

        // Wrong password and unknown user: the same 401, the same words.
        let wrong = post(&base, "/api/session", &Auth::None, &json!({"name": "reg", "password": "nope nope nope"})).await;
        let unknown = post(&base, "/api/session", &Auth::None, &json!({"name": "nobody", "password": "nope nope nope"})).await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
        assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
        assert_eq!(wrong.json()["error"], unknown.json()["error"]);

        let answer = post(&base, "/api/session", &Auth::None, &json!({"name": "reg", "password": PASSWORD})).await;
        assert_eq!(answer.status, StatusCode::OK);
        let set_cookie = answer.set_cookies().join("\n");
        assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Lax") && set_cookie.contains("Max-Age="), "{set_cookie}");
        let cookie = answer.cookie("fupin_session").expect("cookie");
        let csrf = answer.json()["csrf_token"].as_str().expect("csrf").to_string();
        let session = Auth::Session { cookie: cookie.clone(), csrf: csrf.clone() };
        assert_eq!(get(&base, "/api/session", &session).await.json()["user"]["name"], "reg");

        // A write with the cookie but without the CSRF token is refused; with it, done.
        let body = json!({"code": "NEW", "name": "新", "type": "other", "region_code": "361128"});
        let no_csrf = client().post(format!("{base}/api/institutions")).header("cookie", format!("fupin_session={cookie}")).json(&body).send().await.expect("send");
        assert_eq!(no_csrf.status(), StatusCode::FORBIDDEN);
        assert_eq!(no_csrf.json::<Value>().await.expect("json")["error"]["code"], "csrf");
        let wrong_csrf = Auth::Session { cookie: cookie.clone(), csrf: "0".repeat(64) };
        assert_eq!(post(&base, "/api/institutions", &wrong_csrf, &body).await.status, StatusCode::FORBIDDEN);
        assert_eq!(post(&base, "/api/institutions", &session, &body).await.status, StatusCode::CREATED);

        // Sign out ends the session for good.
        let out = call(&base, Method::DELETE, "/api/session", &session, None, &[]).await;
        assert_eq!(out.status, StatusCode::NO_CONTENT);
        assert_eq!(get(&base, "/api/session", &session).await.status, StatusCode::UNAUTHORIZED);

        // The pages: sign-in form with its own CSRF cookie, redirect back, sign out by form.
        let form_page = get(&base, "/signin?next=/coverage", &Auth::None).await;
        assert_eq!(form_page.status, StatusCode::OK);
        let form_token = form_page.cookie("fupin_signin_csrf").expect("sign-in csrf cookie");
        assert!(form_page.text.contains(&format!("value=\"{form_token}\"")));
        let submit = |token: &str| {
            client()
                .post(format!("{base}/signin"))
                .header("cookie", format!("fupin_signin_csrf={form_token}"))
                .form(&[("csrf", token), ("name", "reg"), ("password", PASSWORD), ("next", "/coverage")])
                .send()
        };
        assert_eq!(submit("forged").await.expect("send").status(), StatusCode::FORBIDDEN);
        let signed_in = submit(&form_token).await.expect("send");
        assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
        assert_eq!(signed_in.headers()["location"], "/coverage");
        let page_cookie = signed_in.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).find(|c| c.starts_with("fupin_session=")).expect("session cookie").split(';').next().expect("pair").to_string();
        let page = client().get(format!("{base}/coverage?as_of={AS_OF}")).header("cookie", &page_cookie).send().await.expect("send");
        assert_eq!(page.status(), StatusCode::OK);
        let html = page.text().await.expect("html");
        assert!(html.contains("乡镇包干责任银行") && html.contains("data-chart="), "{html}");
        let page_csrf = html.split("name=\"csrf\" value=\"").nth(1).and_then(|rest| rest.split('"').next()).expect("csrf field").to_string();
        let english = client().get(format!("{base}/coverage")).header("cookie", format!("{page_cookie}; fupin_lang=en")).send().await.expect("send").text().await.expect("html");
        assert!(english.contains("Townships and their responsible banks"));
        let signout = |token: String| client().post(format!("{base}/signout")).header("cookie", &page_cookie).form(&[("csrf", token)]).send();
        assert_eq!(signout("forged".into()).await.expect("send").status(), StatusCode::FORBIDDEN);
        let out = signout(page_csrf).await.expect("send");
        assert_eq!(out.status(), StatusCode::SEE_OTHER);
        let after = client().get(format!("{base}/coverage")).header("cookie", &page_cookie).send().await.expect("send");
        assert_eq!(after.status(), StatusCode::SEE_OTHER, "pages send strangers to sign in");
        assert_eq!(after.headers()["location"], "/signin?next=%2Fcoverage");
    }

    async fn sessions_expire(db) {
        seed_territory(&db).await;
        add_user(&db, "reg", Role::Regulator, "3611", None).await;
        // Long enough that a loaded machine still asks within it; the expiry is then awaited by
        // polling, not guessed by a fixed sleep.
        let ttl = Duration::from_secs(3);
        let config = Config { session_ttl: ttl, ..Config::default() };
        let base = start(&db, config).await;
        let before_sign_in = std::time::Instant::now();
        let session = sign_in(&base, "reg").await;
        assert_eq!(get(&base, "/api/session", &session).await.status, StatusCode::OK);
        let deadline = before_sign_in + ttl + Duration::from_secs(20);
        let expired = loop {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let answer = get(&base, "/api/session", &session).await;
            if answer.status != StatusCode::OK || std::time::Instant::now() > deadline {
                break answer;
            }
        };
        assert_eq!(expired.status, StatusCode::UNAUTHORIZED, "{}", expired.text);
        // Not before its lifetime: the session was made after `before_sign_in`.
        assert!(before_sign_in.elapsed() >= ttl, "expired after {:?}", before_sign_in.elapsed());
    }

    async fn failed_sign_ins_are_throttled_per_name(db) {
        seed_territory(&db).await;
        add_user(&db, "reg", Role::Regulator, "3611", None).await;
        let config = Config { max_failed_sign_ins: 3, sign_in_lockout: Duration::from_millis(700), ..Config::default() };
        let base = start(&db, config).await;
        for name in ["reg", "ghost"] {
            for _ in 0..3 {
                let answer = post(&base, "/api/session", &Auth::None, &json!({"name": name, "password": "wrong password"})).await;
                assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
            }
            // Locked: even the right password is refused, known user or not alike.
            let locked = post(&base, "/api/session", &Auth::None, &json!({"name": name, "password": PASSWORD})).await;
            assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS, "{name}: {}", locked.text);
            assert!(locked.header("retry-after").is_some());
            assert_eq!(locked.json()["error"]["code"], "too_many_requests");
        }
        tokio::time::sleep(Duration::from_millis(900)).await;
        let again = post(&base, "/api/session", &Auth::None, &json!({"name": "reg", "password": PASSWORD})).await;
        assert_eq!(again.status, StatusCode::OK, "{}", again.text);
    }

    async fn api_tokens_authenticate_until_disabled(db) {
        seed_territory(&db).await;
        add_user(&db, "reg", Role::Regulator, "3611", None).await;
        add_user(&db, "admin", Role::Admin, "3611", None).await;
        let base = start(&db, Config::default()).await;
        let token = users::new_token(&db, &operator(), "reg").await.expect("token").token;
        let stored = fupin_store::users::tokens_of(&db, "reg").await.expect("tokens");
        assert_eq!(stored.len(), 1);
        assert!(fupin_store::users::live_token(&db, &token).await.expect("lookup").is_none(), "the token itself is not stored");
        assert!(fupin_store::users::live_token(&db, &auth::secret_hash(&token)).await.expect("lookup").is_some());

        let reg = Auth::Token(token.clone());
        assert_eq!(get(&base, "/api/institutions", &reg).await.status, StatusCode::OK);
        // Programs need no CSRF token.
        let body = json!({"code": "T1", "name": "t", "type": "other", "region_code": "361128"});
        assert_eq!(post(&base, "/api/institutions", &reg, &body).await.status, StatusCode::CREATED);
        let bad = get(&base, "/api/institutions", &Auth::Token("fupin_0000_ffff".into())).await;
        assert_eq!(bad.status, StatusCode::UNAUTHORIZED);

        let admin = sign_in(&base, "admin").await;
        let disabled = post(&base, "/api/users/reg/disable", &admin, &json!({})).await;
        assert_eq!(disabled.status, StatusCode::OK, "{}", disabled.text);
        assert_eq!(disabled.json()["disabled"], true);
        assert_eq!(get(&base, "/api/institutions", &reg).await.status, StatusCode::UNAUTHORIZED);
        let refused = post(&base, "/api/session", &Auth::None, &json!({"name": "reg", "password": PASSWORD})).await;
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    }

    async fn idempotency_keys_replay_the_first_response(db) {
        seed_territory(&db).await;
        add_user(&db, "reg", Role::Regulator, "3611", None).await;
        add_user(&db, "reg2", Role::Regulator, "3611", None).await;
        let base = start(&db, Config::default()).await;
        let reg = sign_in(&base, "reg").await;
        let body = json!({"code": "IDEM", "name": "幂等银行", "type": "other", "region_code": "361128"});
        let audit_records = || async { fupin_app::audit::verify(&db).await.expect("verify").records };
        let before = audit_records().await;
        let first = call(&base, Method::POST, "/api/institutions", &reg, Some(&body), &[("idempotency-key", "k-1")]).await;
        assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
        assert!(first.header("idempotent-replayed").is_none());
        let replay = call(&base, Method::POST, "/api/institutions", &reg, Some(&body), &[("idempotency-key", "k-1")]).await;
        assert_eq!(replay.status, StatusCode::CREATED);
        assert_eq!(replay.text, first.text);
        assert_eq!(replay.header("idempotent-replayed"), Some("true"));
        assert_eq!(audit_records().await, before + 1, "the replay wrote nothing");

        // Without the key, the same request is a duplicate.
        let duplicate = post(&base, "/api/institutions", &reg, &body).await;
        assert_eq!(duplicate.status, StatusCode::CONFLICT);
        assert_eq!(duplicate.json()["error"]["code"], "conflict");
        // The same key for another request is refused, naming the header.
        let other = json!({"code": "IDEM2", "name": "x", "type": "other", "region_code": "361128"});
        let reused = call(&base, Method::POST, "/api/institutions", &reg, Some(&other), &[("idempotency-key", "k-1")]).await;
        assert_eq!(reused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(reused.json()["error"]["field"], "Idempotency-Key");
        // Keys are per user: another user's k-1 is a new request (and here a conflict).
        let reg2 = sign_in(&base, "reg2").await;
        let theirs = call(&base, Method::POST, "/api/institutions", &reg2, Some(&body), &[("idempotency-key", "k-1")]).await;
        assert_eq!(theirs.status, StatusCode::CONFLICT);
        // Refusals are kept too: a retry of a refused request gets the same refusal.
        let again = call(&base, Method::POST, "/api/institutions", &reg2, Some(&body), &[("idempotency-key", "k-1")]).await;
        assert_eq!((again.status, again.header("idempotent-replayed")), (StatusCode::CONFLICT, Some("true")));
    }

    async fn errors_limits_headers_and_operations(db) {
        seed_territory(&db).await;
        add_user(&db, "reg", Role::Regulator, "3611", None).await;
        let config = Config { body_limit: 4096, ..Config::default() };
        let base = start(&db, config).await;
        let reg = sign_in(&base, "reg").await;

        let too_many = get(&base, "/api/regions?limit=5000", &reg).await;
        assert_eq!(too_many.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(too_many.json()["error"]["field"], "limit");
        let bad_region = get(&base, "/api/institutions?region=12x", &reg).await;
        assert_eq!(bad_region.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(bad_region.json()["error"]["field"], "region");
        let bad_date = get(&base, "/api/coverage/villages?as_of=2017-02-30", &reg).await;
        assert_eq!(bad_date.json()["error"]["field"], "as_of");
        let bad_type = post(&base, "/api/institutions", &reg, &json!({"code": "B", "name": "b", "type": "bank", "region_code": "361128"})).await;
        assert_eq!((bad_type.status, bad_type.json()["error"]["field"].clone()), (StatusCode::UNPROCESSABLE_ENTITY, json!("type")));
        let malformed = client().post(format!("{base}/api/session")).header("content-type", "application/json").body("{").send().await.expect("send");
        assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
        assert_eq!(malformed.json::<Value>().await.expect("json")["error"]["code"], "bad_request");
        let huge = json!({"code": "H", "name": "x".repeat(10_000), "type": "other", "region_code": "361128"});
        assert_eq!(post(&base, "/api/institutions", &reg, &huge).await.status, StatusCode::PAYLOAD_TOO_LARGE);
        let missing = get(&base, "/api/nothing-here", &reg).await;
        assert_eq!((missing.status, missing.json()["error"]["code"].clone()), (StatusCode::NOT_FOUND, json!("not_found")));

        // Pages of every list.
        let first = get(&base, "/api/regions?limit=3", &reg).await.json();
        assert_eq!((first["items"].as_array().map(Vec::len), first["next_offset"].as_i64()), (Some(3), Some(3)));
        let second = get(&base, "/api/regions?limit=3&offset=3", &reg).await.json();
        assert_ne!(codes(&first), codes(&second));

        // Security headers on every answer; the request id comes back and lands in the audit.
        let answer = call(&base, Method::POST, "/api/institutions", &reg, Some(&json!({"code": "RID", "name": "r", "type": "other", "region_code": "361128"})), &[("x-request-id", "test-request-42")]).await;
        assert_eq!(answer.status, StatusCode::CREATED);
        assert_eq!(answer.header("x-request-id"), Some("test-request-42"));
        let csp = answer.header("content-security-policy").expect("csp");
        assert!(csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"), "{csp}");
        assert_eq!(answer.header("x-content-type-options"), Some("nosniff"));
        assert!(answer.header("referrer-policy").is_some());
        let recent = fupin_app::audit::recent(&db, &operator(), 5).await.expect("recent");
        let record = recent.iter().find(|r| r.entry.action == "institution.add").expect("audited");
        assert_eq!((record.entry.actor.as_str(), record.entry.request_id.as_deref()), ("reg", Some("test-request-42")));
        assert!(record.entry.after_json.as_deref().is_some_and(|j| j.contains("RID")));

        // Operations.
        assert_eq!(get(&base, "/healthz", &Auth::None).await.text, "ok\n");
        let metrics = get(&base, "/metrics", &Auth::None).await.text;
        assert!(metrics.contains("fupin_http_requests_total{method=\"GET\",route=\"/api/regions\",status=\"200\"} 2"), "{metrics}");
        assert!(metrics.contains("fupin_http_request_duration_seconds_bucket{route=\"/api/regions\",le=\"+Inf\"} 3"), "{metrics}");
        let openapi = get(&base, "/api/openapi.json", &Auth::None).await.json();
        assert_eq!(openapi["openapi"], "3.1.0");
        for path in ["/api/session", "/api/regions", "/api/institutions", "/api/institutions/{code}", "/api/coverage/townships", "/api/coverage/villages", "/api/users", "/api/users/{name}/tokens", "/api/audit/verify"] {
            assert!(openapi["paths"][path].is_object(), "{path} is documented");
        }
        let docs = get(&base, "/api/docs", &Auth::None).await;
        assert!(docs.text.contains("swagger-ui-bundle.js"));
        for asset in ["htmx.min.js", "echarts.min.js", "swagger-ui-bundle.js", "app.css", "app.js"] {
            assert_eq!(get(&base, &format!("/assets/{asset}"), &Auth::None).await.status, StatusCode::OK, "{asset}");
        }
    }
}

#[test]
fn language_comes_from_the_cookie_then_accept_language() {
    use fupin_web::i18n::Lang;
    assert_eq!(Lang::from_accept_language("en-GB,en;q=0.9"), Some(Lang::En));
    assert_eq!(Lang::parse("zh"), Some(Lang::Zh));
}

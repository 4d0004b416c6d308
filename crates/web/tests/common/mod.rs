//! A real server on port 0 and a plain HTTP client, for the security, concurrency and hostile
//! input tests (the same shape as `api.rs`, which keeps its own copy).
#![allow(dead_code)]

use fupin_app::audit::Trail;
use fupin_app::fupin_core::{BusinessDate, RegionCode};
use fupin_app::regions::{ChangeCounts, Region};
use fupin_app::territory::Institution;
use fupin_app::users::{self, NewUser};
use fupin_app::{Actor, Ctx, Db, Role};
use fupin_store::institutions::Assignment;
use fupin_web::{AppState, Config};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

pub const PASSWORD: &str = "correct horse battery";
pub const AS_OF: &str = "2017-06-30";

/// Starts a server on a free loopback port; returns its base URL.
pub async fn start(db: &Db, config: Config) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind port 0");
    let address = listener.local_addr().expect("address");
    let state = AppState::new(db.clone(), config);
    tokio::spawn(async move {
        fupin_web::serve(state, listener).await.ok();
    });
    format!("http://{address}")
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// How a request authenticates.
#[derive(Clone, Debug)]
pub enum Auth {
    None,
    Token(String),
    Session {
        cookie: String,
        csrf: String,
    },
    /// The session cookie alone, without the CSRF header.
    CookieOnly(String),
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|c| {
                c.split(';')
                    .next()
                    .and_then(|pair| pair.split_once('='))
                    .filter(|(k, _)| *k == name)
                    .map(|(_, v)| v.to_string())
            })
    }

    /// The error code of a JSON error answer.
    pub fn code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or("")
            .to_string()
    }
}

pub async fn call(
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
        Auth::CookieOnly(cookie) => {
            request = request.header("cookie", format!("fupin_session={cookie}"));
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

pub async fn get(base: &str, path: &str, auth: &Auth) -> Answer {
    call(base, Method::GET, path, auth, None, &[]).await
}

pub async fn post(base: &str, path: &str, auth: &Auth, body: &Value) -> Answer {
    call(base, Method::POST, path, auth, Some(body), &[]).await
}

pub fn operator() -> Ctx {
    Ctx {
        actor: Actor::operator("tester"),
        now: "2017-07-01T09:00:00.000Z".into(),
        request_id: None,
    }
}

pub fn code(text: &str) -> RegionCode {
    RegionCode::parse(text).expect("region code")
}

pub fn date(text: &str) -> BusinessDate {
    BusinessDate::parse(text).expect("date")
}

/// Townships and villages of Poyang (361128) and Hengfeng (361125); a Poyang bank with a
/// branch, a Hengfeng bank and a city bank; each township has a responsible bank except
/// 361128102.
pub async fn seed_territory(db: &Db) {
    let ctx = operator();
    fupin_app::regions::load_reference_data(db, &ctx)
        .await
        .expect("reference data");
    let places = [
        "361128100",
        "361128101",
        "361128102",
        "361125100",
        "361128100001",
        "361128101001",
        "361128102001",
        "361125100001",
    ];
    let mut tx = db.write().await.expect("tx");
    let mut counts = ChangeCounts::default();
    for text in places {
        let region = Region {
            code: code(text),
            name: format!("地方{text}"),
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
    for (code_text, kind, region, parent) in [
        ("PYRCB", "rural_cooperative", "361128", None),
        ("PYRCB-1", "rural_cooperative", "361128100", Some("PYRCB")),
        ("HFRCB", "rural_cooperative", "361125", None),
        ("HFRCB-1", "rural_cooperative", "361125100", Some("HFRCB")),
        ("ABC-SR", "large_commercial", "3611", None),
    ] {
        fupin_store::institutions::upsert(
            &mut tx,
            &Institution {
                code: code_text.into(),
                name: format!("银行{code_text}"),
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
    tx.commit().await.expect("commit");
}

/// (name, role, region, institution)
pub const USERS: &[(&str, Role, &str, Option<&str>)] = &[
    ("reg_city", Role::Regulator, "3611", None),
    ("reg_poyang", Role::Regulator, "361128", None),
    ("reg_hf", Role::Regulator, "361125", None),
    ("bank_py", Role::Bank, "361128", Some("PYRCB")),
    ("bank_hf", Role::Bank, "361125", Some("HFRCB")),
    ("poverty", Role::PovertyOffice, "361128", None),
    ("finance", Role::Finance, "361128", None),
    ("admin", Role::Admin, "3611", None),
    ("admin_py", Role::Admin, "361128", None),
    ("admin_hf", Role::Admin, "361125", None),
];

pub async fn add_user(db: &Db, name: &str, role: Role, region: &str, institution: Option<&str>) {
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
pub async fn seed_users(db: &Db) -> Vec<(&'static str, Auth)> {
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

pub async fn sign_in(base: &str, name: &str) -> Auth {
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

/// The `items` of a page.
pub fn items(page: &Value) -> Vec<Value> {
    page["items"].as_array().cloned().unwrap_or_default()
}

//! Hostile requests (stable-Rust mirror of `fuzz/fuzz_targets/json_bodies.rs`): random bytes,
//! random JSON and damaged valid bodies to every write endpoint, random query strings and path
//! segments to every read endpoint — against a real server on both engines. Nothing may answer
//! 5xx, and every refusal is the JSON error shape.

mod common;

use common::*;
use fupin_web::Config;
use fupin_web::areas::session::Credentials;
use fupin_web::areas::territory::InstitutionDto;
use fupin_web::areas::users::NewUserDto;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use reqwest::Method;
use serde_json::{Value, json};

/// Random JSON, with the strings a database dislikes.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        Just(json!(1e308)),
        Just(json!(u64::MAX)),
        any::<String>().prop_map(Value::String),
        prop::sample::select(vec![
            "\u{0}",
            "a\u{0}b",
            "361128",
            "3611",
            "PYRCB",
            "'; drop table users; --",
            "=cmd|' /C calc'!A0",
            "\u{202e}",
            "../../etc/passwd",
            "%00",
            "\u{feff}",
            "x",
        ])
        .prop_map(|s| Value::String(s.to_string())),
        "[a-z]{0,3}".prop_map(|s| Value::String(s.repeat(2000))),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                prop::sample::select(vec![
                    "name",
                    "password",
                    "code",
                    "type",
                    "region_code",
                    "parent_code",
                    "role",
                    "region",
                    "institution",
                    "display_name",
                    "name_en",
                    "x",
                ])
                .prop_map(str::to_string),
                inner,
                0..8
            )
            .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// A valid body with one field replaced by random JSON (or removed).
fn damaged(valid: Value) -> impl Strategy<Value = Value> {
    let mut keys: Vec<String> = valid
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    keys.push("unexpected".to_string());
    (prop::sample::select(keys), prop::option::of(json_value())).prop_map(move |(key, value)| {
        let mut body = valid.clone();
        match value {
            Some(value) => body[&key] = value,
            None => {
                if let Some(object) = body.as_object_mut() {
                    object.remove(&key);
                }
            }
        }
        body
    })
}

fn sample<S: Strategy>(runner: &mut TestRunner, strategy: &S) -> S::Value {
    strategy.new_tree(runner).expect("a value").current()
}

fn assert_answer(what: &str, answer: &Answer) {
    assert!(
        !answer.status.is_server_error(),
        "{what}: {} {}",
        answer.status,
        answer.text
    );
    if answer.status.is_client_error() {
        let body: Value = serde_json::from_str(&answer.text)
            .unwrap_or_else(|e| panic!("{what}: not JSON ({e}): {}", answer.text));
        assert!(body["error"]["code"].is_string(), "{what}: {}", answer.text);
    }
}

/// Requests per engine.
const CASES: usize = 160;

fupin_store::on_both_engines! {
    async fn hostile_requests_never_reach_a_server_error(db) {
        seed_territory(&db).await;
        let users = seed_users(&db).await;
        let base = start(&db, Config::default()).await;
        let admin = users.iter().find(|(n, _)| *n == "admin").map(|(_, a)| a.clone()).expect("admin");
        let regulator = users.iter().find(|(n, _)| *n == "reg_city").map(|(_, a)| a.clone()).expect("regulator");
        let mut runner = TestRunner::deterministic();
        let writes: Vec<(&str, Auth, Value)> = vec![
            ("/api/session", Auth::None, json!({"name": "admin", "password": "wrong password!"})),
            ("/api/institutions", regulator.clone(), json!({"code": "H1", "name": "h", "type": "other", "region_code": "361128", "parent_code": "PYRCB"})),
            ("/api/users", admin.clone(), json!({"name": "h1", "role": "bank", "region": "361128", "institution": "PYRCB", "password": PASSWORD})),
            ("/api/users/bank_py/tokens", admin.clone(), json!({})),
        ];
        let mut sent = 0;
        for case in 0..CASES {
            let (path, auth, valid) = &writes[case % writes.len()];
            let what = format!("POST {path} case {case}");
            let answer = match case % 3 {
                0 => {
                    let bytes = sample(&mut runner, &prop::collection::vec(any::<u8>(), 0..300));
                    let mut request = client().post(format!("{base}{path}")).header("content-type", "application/json").body(bytes);
                    if let Auth::Token(token) = auth {
                        request = request.bearer_auth(token);
                    }
                    let response = request.send().await.expect("send");
                    Answer { status: response.status(), headers: response.headers().clone(), text: response.text().await.expect("text") }
                }
                1 => call(&base, Method::POST, path, auth, Some(&sample(&mut runner, &json_value())), &[]).await,
                _ => call(&base, Method::POST, path, auth, Some(&sample(&mut runner, &damaged(valid.clone()))), &[]).await,
            };
            assert_answer(&what, &answer);
            sent += 1;
        }
        // Random query strings and path segments on the reads.
        let reads = ["/api/regions", "/api/institutions", "/api/coverage/townships", "/api/coverage/villages", "/api/users"];
        let query = prop_oneof![
            "[a-z_]{1,8}=[0-9a-zA-Z%&=._-]{0,30}",
            prop::collection::vec(prop::sample::select(vec!["limit=", "offset=", "region=", "as_of=", "level=", "-1", "0", "1001", "99999999999999999999", "%00", "%ff", "&", "2017-02-30", "3611", "village", "[]", "%E2%80%AE"]), 0..8).prop_map(|parts| parts.concat()),
        ];
        for case in 0..CASES {
            let path = reads[case % reads.len()];
            let query = sample(&mut runner, &query);
            let answer = get(&base, &format!("{path}?{query}"), &admin).await;
            assert_answer(&format!("GET {path}?{query}"), &answer);
            let segment: String = sample(&mut runner, &"[a-zA-Z0-9%._~-]{1,40}");
            for prefix in ["/api/regions/", "/api/institutions/", "/api/users/"] {
                let answer = get(&base, &format!("{prefix}{segment}"), &admin).await;
                assert_answer(&format!("GET {prefix}{segment}"), &answer);
                sent += 1;
            }
            sent += 1;
        }
        let audit = get(&base, "/api/audit/verify", &admin).await.json();
        assert_eq!(audit["intact"], true);
        println!("hostile requests: {sent}, none answered 5xx");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::with_cases(2048) })]

    #[test]
    fn request_bodies_deserialise_or_fail_from_any_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = serde_json::from_slice::<Credentials>(&bytes);
        let _ = serde_json::from_slice::<InstitutionDto>(&bytes);
        let _ = serde_json::from_slice::<NewUserDto>(&bytes);
    }

    #[test]
    fn request_bodies_deserialise_or_fail_from_any_json(value in json_value()) {
        let text = value.to_string();
        let _ = serde_json::from_str::<Credentials>(&text);
        let _ = serde_json::from_str::<InstitutionDto>(&text);
        let _ = serde_json::from_str::<NewUserDto>(&text);
    }
}

//! "No one gets in": the API end to end against a real server on port 0, on SQLite and
//! PostgreSQL — every list filter and page kept in scope, every id parameter (in paths and in
//! bodies) resisting insecure direct object references, session fixation, CSRF, expired and
//! revoked sessions, throttled sign-ins under a parallel burst, and one idempotency key sent
//! many times at once.

mod common;

use std::time::Duration;

use common::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn auth_of(users: &[(&'static str, Auth)], name: &str) -> Auth {
    users
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, a)| a.clone())
        .expect("user")
}

/// The user's region prefix (as a 12-digit code's significant digits) and institution family.
fn scope_of(name: &str) -> (&'static str, Option<&'static [&'static str]>) {
    let (_, _, region, institution) = USERS.iter().find(|(n, ..)| *n == name).expect("known user");
    let family: Option<&'static [&'static str]> = match institution {
        Some("PYRCB") => Some(&["PYRCB", "PYRCB-1"]),
        Some("HFRCB") => Some(&["HFRCB", "HFRCB-1"]),
        Some(other) => panic!("no family for {other}"),
        None => None,
    };
    (region, family)
}

fn assert_institutions_in_scope(name: &str, page: &Value) {
    let (region, family) = scope_of(name);
    for item in items(page) {
        let code = item["code"].as_str().expect("code");
        match family {
            Some(family) => assert!(family.contains(&code), "{name} sees {code}"),
            None => assert!(
                item["region_code"]
                    .as_str()
                    .expect("region")
                    .starts_with(region),
                "{name} sees {item}"
            ),
        }
    }
}

fupin_store::on_both_engines! {
    async fn every_list_filter_and_page_stays_in_scope(db) {
        seed_territory(&db).await;
        let users = seed_users(&db).await;
        let base = start(&db, Config::default()).await;
        let filters = ["", "region=36", "region=3611", "region=361128", "region=361125", "region=361128100", "region=361125100001"];
        let mut checked = 0;
        for (name, role, ..) in USERS {
            let auth = auth_of(&users, name);
            for filter in filters {
                for page in ["limit=1&offset=0", "limit=1&offset=1", "limit=1000"] {
                    let answer = get(&base, &format!("/api/institutions?{filter}&{page}"), &auth).await;
                    checked += 1;
                    match answer.status.as_u16() {
                        200 => assert_institutions_in_scope(name, &answer.json()),
                        403 => assert!(!matches!(role, fupin_app::Role::Regulator | fupin_app::Role::Bank), "{name}"),
                        404 => assert_eq!(answer.code(), "not_found"),
                        other => panic!("{name} /api/institutions?{filter}: {other} {}", answer.text),
                    }
                }
                // Coverage: a filter outside the caller's scope is 404; a wider one answers
                // no more than the caller's own scope.
                for area in ["townships", "villages"] {
                    let own = get(&base, &format!("/api/coverage/{area}?as_of={AS_OF}"), &auth).await;
                    let filtered = get(&base, &format!("/api/coverage/{area}?as_of={AS_OF}&{filter}"), &auth).await;
                    checked += 1;
                    match filtered.status.as_u16() {
                        200 => {
                            let (own, filtered) = (own.json(), filtered.json());
                            let key = if area == "townships" { "townships" } else { "villages" };
                            assert!(filtered[key].as_u64() <= own[key].as_u64(), "{name} {area}?{filter}: {filtered} beyond {own}");
                        }
                        403 => assert_eq!(own.status, StatusCode::FORBIDDEN),
                        404 => {}
                        other => panic!("{name} coverage {area}?{filter}: {other}"),
                    }
                }
                // Users: administrators see the users of their region only.
                let answer = get(&base, &format!("/api/users?{filter}&limit=1000"), &auth).await;
                checked += 1;
                match answer.status.as_u16() {
                    200 => {
                        let (region, _) = scope_of(name);
                        for item in items(&answer.json()) {
                            assert!(item["region"].as_str().expect("region").starts_with(region), "{name} sees user {item}");
                        }
                    }
                    403 => assert_ne!(*role, fupin_app::Role::Admin),
                    404 => {}
                    other => panic!("{name} /api/users?{filter}: {other}"),
                }
            }
        }
        // The pages filter the same way: another county's institutions are not found.
        let bank = sign_in(&base, "bank_py").await;
        let Auth::Session { cookie, .. } = &bank else { unreachable!() };
        let page = client().get(format!("{base}/institutions?region=361125")).header("cookie", format!("fupin_session={cookie}")).send().await.expect("send");
        assert_eq!(page.status(), StatusCode::NOT_FOUND);
        let html = client().get(format!("{base}/institutions")).header("cookie", format!("fupin_session={cookie}")).send().await.expect("send").text().await.expect("html");
        assert!(html.contains("PYRCB") && !html.contains("HFRCB"), "{html}");
        println!("scope checks: {checked} list requests");
    }

    async fn id_parameters_resist_direct_object_references(db) {
        seed_territory(&db).await;
        let users = seed_users(&db).await;
        let base = start(&db, Config::default()).await;
        // Another scope's object and a missing one answer alike: 404 with the same code.
        let probes: [(&str, &str, &str); 6] = [
            ("bank_py", "/api/institutions/HFRCB", "/api/institutions/NOPE"),
            ("bank_py", "/api/institutions/HFRCB-1", "/api/institutions/NOPE-1"),
            ("reg_poyang", "/api/institutions/HFRCB", "/api/institutions/NOPE"),
            ("reg_hf", "/api/institutions/PYRCB-1", "/api/institutions/NOPE"),
            ("admin_py", "/api/users/bank_hf", "/api/users/nobody"),
            ("admin_hf", "/api/users/admin", "/api/users/nobody"),
        ];
        for (name, other_scope, missing) in probes {
            let auth = auth_of(&users, name);
            let hidden = get(&base, other_scope, &auth).await;
            let absent = get(&base, missing, &auth).await;
            assert_eq!((hidden.status, absent.status), (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND), "{name} {other_scope}: {}", hidden.text);
            assert_eq!(hidden.code(), absent.code());
        }
        // Writes on another scope's ids change nothing.
        let disable = post(&base, "/api/users/bank_hf/disable", &auth_of(&users, "admin_py"), &json!({})).await;
        assert_eq!(disable.status, StatusCode::NOT_FOUND, "{}", disable.text);
        assert_eq!(get(&base, "/api/session", &auth_of(&users, "bank_hf")).await.status, StatusCode::OK, "still enabled");
        for (name, target, expected) in [("bank_py", "bank_hf", 403), ("reg_poyang", "admin", 403), ("admin_py", "bank_hf", 404), ("admin_py", "admin", 404)] {
            let answer = post(&base, &format!("/api/users/{target}/tokens"), &auth_of(&users, name), &json!({})).await;
            assert_eq!(answer.status.as_u16(), expected, "{name} makes a token for {target}: {}", answer.text);
        }
        assert_eq!(fupin_store::users::tokens_of(&db, "bank_hf").await.expect("tokens").len(), 1, "no token was made");
        // Ids inside bodies: a parent institution or a bank in another county is answered
        // exactly like one that does not exist; a region outside the caller's is not found.
        let new_institution = |code: &str, region: &str, parent: Option<&str>| json!({"code": code, "name": "新", "type": "village_bank", "region_code": region, "parent_code": parent});
        let bank_user = |name: &str, institution: &str| json!({"name": name, "role": "bank", "region": "361128", "institution": institution, "password": PASSWORD});
        let pairs = [
            ("reg_poyang", "/api/institutions", new_institution("X1", "361128", Some("HFRCB")), new_institution("X1", "361128", Some("NOPE"))),
            ("reg_hf", "/api/institutions", new_institution("X3", "361125", Some("PYRCB-1")), new_institution("X3", "361125", Some("NOPE-1"))),
            ("admin_py", "/api/users", bank_user("spy", "HFRCB"), bank_user("spy", "NOPE")),
            ("admin_py", "/api/users", bank_user("spy", "ABC-SR"), bank_user("spy", "NOPE")),
        ];
        for (name, path, hidden, absent) in &pairs {
            let auth = auth_of(&users, name);
            let (hidden_answer, absent_answer) = (post(&base, path, &auth, hidden).await, post(&base, path, &auth, absent).await);
            assert_eq!(hidden_answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{name} POST {path} {hidden}: {}", hidden_answer.text);
            let (hidden_error, absent_error) = (hidden_answer.json()["error"].clone(), absent_answer.json()["error"].clone());
            assert_eq!((hidden_answer.status, &hidden_error["code"], &hidden_error["field"]), (absent_answer.status, &absent_error["code"], &absent_error["field"]));
        }
        for (name, path, body) in [
            ("reg_poyang", "/api/institutions", new_institution("X2", "361125", None)),
            ("reg_poyang", "/api/institutions", new_institution("X2", "361199", None)),
            ("admin_py", "/api/users", json!({"name": "spy2", "role": "regulator", "region": "361125", "password": PASSWORD})),
            ("admin_py", "/api/users", json!({"name": "spy3", "role": "regulator", "region": "3611", "password": PASSWORD})),
        ] {
            let answer = post(&base, path, &auth_of(&users, name), &body).await;
            assert_eq!(answer.status, StatusCode::NOT_FOUND, "{name} POST {path} {body}: {}", answer.text);
        }
        assert!(get(&base, "/api/users/spy", &auth_of(&users, "admin")).await.status == StatusCode::NOT_FOUND, "no user was made");
        // Odd ids never reach a 500.
        let auth = auth_of(&users, "reg_city");
        for path in ["/api/institutions/..%2F..%2Fetc%2Fpasswd", "/api/institutions/%00", "/api/institutions/%E2%80%AE", "/api/regions/3611%27%20or%201=1--", "/api/regions/999999999999999999999999", "/api/users/%27%3B%20drop%20table%20users%3B--"] {
            let answer = get(&base, path, &auth).await;
            assert!(answer.status.is_client_error(), "{path}: {} {}", answer.status, answer.text);
        }
        for (path, body) in [
            ("/api/institutions", json!({"code": "N\u{0}UL", "name": "n", "type": "other", "region_code": "361128"})),
            ("/api/institutions", json!({"code": "NUL", "name": "n\u{0}", "type": "other", "region_code": "361128"})),
            ("/api/session", json!({"name": "reg\u{0}", "password": PASSWORD})),
        ] {
            let answer = post(&base, path, &auth, &body).await;
            assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{path} {body}: {}", answer.text);
        }
        assert_eq!(get(&base, "/api/institutions?region=%00", &auth).await.status, StatusCode::BAD_REQUEST);
        let long = format!("/api/institutions/{}", "A".repeat(5000));
        assert!(get(&base, &long, &auth).await.status.is_client_error());
        let audit = get(&base, "/api/audit/verify", &auth_of(&users, "admin")).await.json();
        assert_eq!(audit["intact"], true);
    }

    async fn session_ids_are_never_fixed_by_the_client(db) {
        seed_territory(&db).await;
        add_user(&db, "reg", fupin_app::Role::Regulator, "3611", None).await;
        let base = start(&db, Config::default()).await;
        let planted = "a".repeat(64);
        // API sign-in with a planted cookie: the server issues its own.
        let answer = client().post(format!("{base}/api/session")).header("cookie", format!("fupin_session={planted}")).json(&json!({"name": "reg", "password": PASSWORD})).send().await.expect("send");
        assert_eq!(answer.status(), StatusCode::OK);
        let issued = answer.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).find_map(|c| c.strip_prefix("fupin_session=")).and_then(|c| c.split(';').next()).expect("new session cookie").to_string();
        assert_ne!(issued, planted);
        assert_eq!(get(&base, "/api/session", &Auth::CookieOnly(planted.clone())).await.status, StatusCode::UNAUTHORIZED);
        assert_eq!(get(&base, "/api/session", &Auth::CookieOnly(issued.clone())).await.status, StatusCode::OK);
        // Page sign-in with a planted session cookie and a planted form token.
        let form = client().get(format!("{base}/signin")).header("cookie", format!("fupin_session={planted}")).send().await.expect("send");
        let token = form.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).find_map(|c| c.strip_prefix("fupin_signin_csrf=")).and_then(|c| c.split(';').next()).expect("form token").to_string();
        let signed = client().post(format!("{base}/signin")).header("cookie", format!("fupin_session={planted}; fupin_signin_csrf={token}")).form(&[("csrf", token.as_str()), ("name", "reg"), ("password", PASSWORD), ("next", "/")]).send().await.expect("send");
        assert_eq!(signed.status(), StatusCode::SEE_OTHER);
        let from_page = signed.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).find_map(|c| c.strip_prefix("fupin_session=")).and_then(|c| c.split(';').next()).expect("new cookie").to_string();
        assert_ne!(from_page, planted);
        assert_ne!(from_page, issued, "every sign-in gets a new session");
        // The stored value is a hash: the cookie itself is nowhere in the database.
        let stored = fupin_app::audit::recent(&db, &operator(), 100).await.expect("recent");
        assert!(stored.iter().all(|r| !r.entry.after_json.as_deref().unwrap_or("").contains(&issued)));
        // Sign-out kills the session for every holder of the cookie.
        let session = Auth::Session { cookie: issued.clone(), csrf: get(&base, "/api/session", &Auth::CookieOnly(issued.clone())).await.json()["csrf_token"].as_str().expect("csrf").to_string() };
        assert_eq!(call(&base, Method::DELETE, "/api/session", &session, None, &[]).await.status, StatusCode::NO_CONTENT);
        assert_eq!(get(&base, "/api/session", &Auth::CookieOnly(issued)).await.status, StatusCode::UNAUTHORIZED);
    }

    async fn cookie_writes_need_their_own_sessions_csrf_token(db) {
        seed_territory(&db).await;
        add_user(&db, "reg", fupin_app::Role::Regulator, "3611", None).await;
        add_user(&db, "admin", fupin_app::Role::Admin, "3611", None).await;
        let base = start(&db, Config::default()).await;
        let reg = sign_in(&base, "reg").await;
        let other = sign_in(&base, "admin").await;
        let (Auth::Session { cookie, csrf }, Auth::Session { csrf: other_csrf, .. }) = (&reg, &other) else { unreachable!() };
        let writes: [(Method, &str, Value); 4] = [
            (Method::POST, "/api/institutions", json!({"code": "C1", "name": "c", "type": "other", "region_code": "361128"})),
            (Method::POST, "/api/users/reg/tokens", json!({})),
            (Method::POST, "/api/users", json!({"name": "u1", "role": "finance", "region": "361128", "password": PASSWORD})),
            (Method::DELETE, "/api/session", Value::Null),
        ];
        let mut refused = 0;
        for (method, path, body) in &writes {
            let body = (!body.is_null()).then_some(body);
            let attempts: [(&str, Vec<(&str, String)>); 5] = [
                ("no token", vec![]),
                ("empty token", vec![("x-csrf-token", String::new())]),
                ("wrong token", vec![("x-csrf-token", "0".repeat(64))]),
                ("another session's token", vec![("x-csrf-token", other_csrf.clone())]),
                ("token as a cookie", vec![("cookie", format!("fupin_session={cookie}; csrf={csrf}"))]),
            ];
            for (what, headers) in attempts {
                let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
                let auth = match headers.iter().any(|(k, _)| *k == "cookie") {
                    true => Auth::None,
                    false => Auth::CookieOnly(cookie.clone()),
                };
                let answer = call(&base, method.clone(), path, &auth, body, &headers).await;
                assert_eq!((answer.status, answer.code().as_str()), (StatusCode::FORBIDDEN, "csrf"), "{method} {path} with {what}: {}", answer.text);
                refused += 1;
            }
            // A cross-site form can only send simple content types: refused the same way.
            let forged = client().request(method.clone(), format!("{base}{path}")).header("cookie", format!("fupin_session={cookie}")).header("content-type", "text/plain").body(body.map(Value::to_string).unwrap_or_default()).send().await.expect("send");
            assert_eq!(forged.status(), StatusCode::FORBIDDEN, "{method} {path} as text/plain");
            let form = client().request(method.clone(), format!("{base}{path}?csrf={csrf}")).header("cookie", format!("fupin_session={cookie}")).form(&[("code", "C9")]).send().await.expect("send");
            assert_eq!(form.status(), StatusCode::FORBIDDEN, "{method} {path}: the token in the query string does not count");
            refused += 2;
        }
        // Nothing above happened; with the right token each write goes through.
        assert_eq!(get(&base, "/api/institutions/C1", &reg).await.status, StatusCode::NOT_FOUND);
        assert_eq!(get(&base, "/api/session", &reg).await.status, StatusCode::OK, "still signed in");
        assert_eq!(post(&base, "/api/institutions", &reg, &writes[0].2).await.status, StatusCode::CREATED);
        // Bearer tokens need no CSRF token, but a cookie beside a bad bearer token does not rescue it.
        let bad_bearer = client().post(format!("{base}/api/institutions")).header("cookie", format!("fupin_session={cookie}")).header("x-csrf-token", csrf).bearer_auth("fupin_0_0").json(&writes[0].2).send().await.expect("send");
        assert_eq!(bad_bearer.status(), StatusCode::UNAUTHORIZED);
        println!("csrf refusals: {refused}");
    }

    async fn expired_and_revoked_sessions_open_nothing(db) {
        seed_territory(&db).await;
        add_user(&db, "reg", fupin_app::Role::Regulator, "3611", None).await;
        add_user(&db, "admin", fupin_app::Role::Admin, "3611", None).await;
        let config = Config { session_ttl: Duration::from_millis(700), ..Config::default() };
        let base = start(&db, config).await;
        let session = sign_in(&base, "reg").await;
        let Auth::Session { cookie, .. } = &session else { unreachable!() };
        let body = json!({"code": "E1", "name": "e", "type": "other", "region_code": "361128"});
        tokio::time::sleep(Duration::from_millis(900)).await;
        assert_eq!(get(&base, "/api/institutions", &session).await.status, StatusCode::UNAUTHORIZED);
        assert_eq!(post(&base, "/api/institutions", &session, &body).await.status, StatusCode::UNAUTHORIZED);
        let page = client().get(format!("{base}/coverage")).header("cookie", format!("fupin_session={cookie}")).send().await.expect("send");
        assert_eq!(page.status(), StatusCode::SEE_OTHER);
        assert_eq!(get(&base, "/api/institutions/E1", &sign_in(&base, "reg").await).await.status, StatusCode::NOT_FOUND, "the expired write did nothing");
        // Disabling a user ends their live sessions and tokens at once.
        let live = sign_in(&base, "reg").await;
        let token = Auth::Token(fupin_app::users::new_token(&db, &operator(), "reg").await.expect("token").token);
        let admin = sign_in(&base, "admin").await;
        assert_eq!(post(&base, "/api/users/reg/disable", &admin, &json!({})).await.status, StatusCode::OK);
        assert_eq!(get(&base, "/api/session", &live).await.status, StatusCode::UNAUTHORIZED);
        assert_eq!(get(&base, "/api/session", &token).await.status, StatusCode::UNAUTHORIZED);
    }

    async fn a_parallel_burst_of_guesses_is_throttled(db) {
        seed_territory(&db).await;
        add_user(&db, "reg", fupin_app::Role::Regulator, "3611", None).await;
        let config = Config { max_failed_sign_ins: 3, sign_in_lockout: Duration::from_secs(60), ..Config::default() };
        let base = start(&db, config).await;
        // Twelve guesses at once, the right password among them: at most three are checked.
        let mut tasks = Vec::new();
        for i in 0..12 {
            let base = base.clone();
            let password = if i == 11 { PASSWORD.to_string() } else { format!("guess number {i}") };
            tasks.push(tokio::spawn(async move {
                post(&base, "/api/session", &Auth::None, &json!({"name": "reg", "password": password})).await.status
            }));
        }
        let mut statuses = Vec::new();
        for task in tasks {
            statuses.push(task.await.expect("task").as_u16());
        }
        let checked = statuses.iter().filter(|s| **s != 429).count();
        println!("burst of 12 guesses: {statuses:?}");
        assert!(checked <= 3, "only max_failed_sign_ins guesses may be checked: {statuses:?}");
        assert!(statuses.iter().all(|s| [200, 401, 429].contains(s)), "{statuses:?}");
        // Now locked, even with the right password.
        let locked = post(&base, "/api/session", &Auth::None, &json!({"name": "reg", "password": PASSWORD})).await;
        if !statuses.contains(&200) {
            assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS, "{}", locked.text);
        }
    }

    async fn one_idempotency_key_sent_many_times_at_once_runs_once(db) {
        seed_territory(&db).await;
        let users = seed_users(&db).await;
        let base = start(&db, Config::default()).await;
        let reg = auth_of(&users, "reg_city");
        let records_before = fupin_app::audit::verify(&db).await.expect("verify").records;
        let body = json!({"code": "RACE", "name": "并发银行", "type": "other", "region_code": "361128"});
        let mut tasks = Vec::new();
        for _ in 0..16 {
            let (base, reg, body) = (base.clone(), reg.clone(), body.clone());
            tasks.push(tokio::spawn(async move {
                call(&base, Method::POST, "/api/institutions", &reg, Some(&body), &[("idempotency-key", "race-1")]).await
            }));
        }
        let (mut ran, mut replayed, mut in_flight) = (Vec::new(), 0, 0);
        for task in tasks {
            let answer = task.await.expect("task");
            match (answer.status.as_u16(), answer.header("idempotent-replayed")) {
                (201, None) => ran.push(answer.text),
                (201, Some("true")) => replayed += 1,
                (409, None) => {
                    assert_eq!(answer.code(), "conflict");
                    assert!(answer.text.contains("still being processed"), "{}", answer.text);
                    in_flight += 1;
                }
                (status, header) => panic!("unexpected {status} {header:?}: {}", answer.text),
            }
        }
        println!("16 requests with one key: 1 ran, {replayed} replayed, {in_flight} refused in flight");
        assert_eq!(ran.len(), 1, "exactly one request ran");
        assert_eq!(replayed + in_flight, 15);
        // Afterwards every retry replays the one response.
        let again = call(&base, Method::POST, "/api/institutions", &reg, Some(&body), &[("idempotency-key", "race-1")]).await;
        assert_eq!((again.status, again.header("idempotent-replayed")), (StatusCode::CREATED, Some("true")));
        assert_eq!(again.text, ran[0]);
        let records = fupin_app::audit::verify(&db).await.expect("verify");
        assert!(records.problems.is_empty());
        assert_eq!(records.records, records_before + 1, "one institution.add, nothing else");
        // The same key with different bodies at once: one runs, the others are refused.
        let mut tasks = Vec::new();
        for i in 0..8 {
            let (base, reg) = (base.clone(), reg.clone());
            tasks.push(tokio::spawn(async move {
                let body = json!({"code": format!("RACE{i}"), "name": "x", "type": "other", "region_code": "361128"});
                call(&base, Method::POST, "/api/institutions", &reg, Some(&body), &[("idempotency-key", "race-2")]).await.status.as_u16()
            }));
        }
        let mut statuses = Vec::new();
        for task in tasks {
            statuses.push(task.await.expect("task"));
        }
        assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
        assert!(statuses.iter().all(|s| [201, 409, 422].contains(s)), "{statuses:?}");

        // A claim left by a request that died (its server was killed, or it timed out) does
        // not block the key forever: once older than the request timeout, a retry runs (a live
        // claim keeps it: here the other request is refused as a different one).
        let ctx_at = |now: &str| fupin_app::Ctx { actor: fupin_app::Actor { name: "reg_city".into(), role: fupin_app::Role::Regulator, region: Some(code("3611")), institution: None }, now: now.into(), request_id: None };
        let timeout = Config::default().request_timeout;
        for (key, claimed_at, expected) in [("died", "2017-07-01T09:00:00.000Z", 201), ("running", &fupin_web::auth::now()[..], 422)] {
            let claim = fupin_app::idempotency::claim(&db, &ctx_at(claimed_at), key, "an earlier request", timeout).await.expect("claim");
            assert_eq!(claim, fupin_app::idempotency::Claim::New);
            let body = json!({"code": format!("K-{key}"), "name": "k", "type": "other", "region_code": "361128"});
            let answer = call(&base, Method::POST, "/api/institutions", &reg, Some(&body), &[("idempotency-key", key)]).await;
            assert_eq!(answer.status.as_u16(), expected, "{key}: {}", answer.text);
        }
    }
}

use fupin_web::Config;

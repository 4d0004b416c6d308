//! The user-management pages (issue 25, item 8) and the dashboard's summary cards (item 5),
//! black-box on a real server on port 0, on both engines.

mod common;

use common::*;
use fupin_web::Config;
use reqwest::StatusCode;
use serde_json::json;

/// A form post with the session cookie and the CSRF field; the answer's status and body.
async fn form(
    base: &str,
    path: &str,
    auth: &Auth,
    fields: &[(&str, &str)],
) -> (StatusCode, String) {
    let Auth::Session { cookie, csrf } = auth else {
        panic!("a session is needed")
    };
    let mut fields: Vec<(&str, &str)> = fields.to_vec();
    fields.push(("csrf", csrf.as_str()));
    let response = client()
        .post(format!("{base}{path}"))
        .header("cookie", format!("fupin_session={cookie}; fupin_lang=zh"))
        .form(&fields)
        .send()
        .await
        .expect("send");
    let status = response.status();
    (status, response.text().await.expect("body"))
}

async fn page(base: &str, path: &str, auth: &Auth) -> (StatusCode, String) {
    let Auth::Session { cookie, .. } = auth else {
        panic!("a session is needed")
    };
    let response = client()
        .get(format!("{base}{path}"))
        .header("cookie", format!("fupin_session={cookie}; fupin_lang=zh"))
        .send()
        .await
        .expect("send");
    let status = response.status();
    (status, response.text().await.expect("body"))
}

async fn signs_in(base: &str, name: &str, password: &str) -> bool {
    post(
        base,
        "/api/session",
        &Auth::None,
        &json!({"name": name, "password": password}),
    )
    .await
    .status
        == StatusCode::OK
}

fupin_store::on_both_engines! {
    async fn admins_manage_users_on_the_users_page(db) {
        seed_territory(&db).await;
        seed_users(&db).await;
        let base = start(&db, Config::default()).await;
        let admin = sign_in(&base, "admin").await;

        let (status, text) = page(&base, "/users", &admin).await;
        assert_eq!(status, StatusCode::OK, "{text}");
        assert!(text.contains("用户管理") && text.contains("reg_poyang") && text.contains("监管部门"), "{text}");
        // The admin imports no kind of file: no link to a page saying so.
        assert!(!text.contains("href=\"/imports\""), "{text}");

        // Add: the new user can sign in.
        let (status, text) = form(&base, "/users", &admin, &[
            ("name", "clerk"), ("display_name", "王会计"), ("role", "poverty_office"),
            ("region", "361128"), ("institution", ""), ("password", "first password 1"),
        ]).await;
        assert_eq!(status, StatusCode::OK, "{text}");
        assert!(text.contains("已添加用户") && text.contains("王会计"), "{text}");
        assert!(signs_in(&base, "clerk", "first password 1").await);

        // A refused add is shown on the page.
        let (status, text) = form(&base, "/users", &admin, &[
            ("name", "clerk2"), ("role", "bank"), ("region", "361128"), ("password", "first password 1"),
        ]).await;
        assert_eq!(status, StatusCode::OK, "{text}");
        assert!(text.contains("id=\"users-error\""), "{text}");
        assert!(!signs_in(&base, "clerk2", "first password 1").await);

        // Disable: no sign-in; enable: sign-in again.
        let (status, _) = form(&base, "/users/clerk/disable", &admin, &[]).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert!(!signs_in(&base, "clerk", "first password 1").await);
        let (_, text) = page(&base, "/users", &admin).await;
        assert!(text.contains("已停用"), "{text}");
        let (status, _) = form(&base, "/users/clerk/enable", &admin, &[]).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert!(signs_in(&base, "clerk", "first password 1").await);

        // Reset to a given password: the old one no longer works, the new one does.
        let (status, text) = form(&base, "/users/clerk/password", &admin, &[("password", "second password 2")]).await;
        assert_eq!(status, StatusCode::OK, "{text}");
        assert!(text.contains("已重置密码"), "{text}");
        assert!(!signs_in(&base, "clerk", "first password 1").await);
        assert!(signs_in(&base, "clerk", "second password 2").await);

        // Reset to a generated password, shown once.
        let (_, text) = form(&base, "/users/clerk/password", &admin, &[("password", "")]).await;
        let shown = text.split("<strong class=\"code\">").nth(1).and_then(|rest| rest.split('<').next()).expect("a generated password").to_string();
        assert!(shown.len() >= 10, "{shown}");
        assert!(signs_in(&base, "clerk", &shown).await);

        // Each action is audited.
        let actions: Vec<String> = fupin_app::audit::recent(&db, &operator(), 20).await.expect("audit").into_iter().map(|r| r.entry.action).collect();
        for action in ["user.add", "user.disable", "user.enable", "user.reset_password"] {
            assert!(actions.iter().any(|a| a == action), "{action} in {actions:?}");
        }

        // An admin of one county manages only its users.
        let admin_hf = sign_in(&base, "admin_hf").await;
        let (status, _) = form(&base, "/users/clerk/disable", &admin_hf, &[]).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(signs_in(&base, "clerk", &shown).await);
    }

    async fn only_admins_see_or_use_the_users_page(db) {
        seed_territory(&db).await;
        seed_users(&db).await;
        let base = start(&db, Config::default()).await;
        for name in ["reg_city", "bank_py", "poverty", "finance"] {
            let user = sign_in(&base, name).await;
            let (status, text) = page(&base, "/users", &user).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{name}: {text}");
            let (status, _) = form(&base, "/users", &user, &[
                ("name", "intruder"), ("role", "admin"), ("region", "3611"), ("password", "intruder password"),
            ]).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{name}");
            for action in ["disable", "enable", "password"] {
                let (status, _) = form(&base, &format!("/users/admin/{action}"), &user, &[("password", "taken over 123")]).await;
                assert_eq!(status, StatusCode::FORBIDDEN, "{name} {action}");
            }
            let (_, home) = page(&base, "/", &user).await;
            assert!(!home.contains("href=\"/users\""), "{name}");
        }
        assert!(!signs_in(&base, "intruder", "intruder password").await);
        assert!(signs_in(&base, "admin", PASSWORD).await);
    }

    async fn the_dashboard_leads_with_cards_matching_the_indicators_and_drills_down(db) {
        seed_territory(&db).await;
        fupin_app::indicators::load_builtin(&db, &operator()).await.expect("indicators");
        seed_users(&db).await;
        let base = start(&db, Config::default()).await;
        let reg = sign_in(&base, "reg_city").await;
        let (status, text) = page(&base, &format!("/dashboard?as_of={AS_OF}&region=3611"), &reg).await;
        assert_eq!(status, StatusCode::OK, "{text}");
        assert!(text.contains("id=\"summary-cards\"") && text.contains("比上月末") && text.contains("比年初"), "{text}");
        // Each card's value is the indicator's, as `fupin indicators` computes it, in words.
        let request = fupin_app::indicators::Request {
            scope: fupin_app::indicators::Scope::Region(code("3611")),
            as_of: date(AS_OF),
            base: None,
            institution: None,
            codes: None,
        };
        let values = fupin_app::indicators::evaluate(&db, &operator(), &request).await.expect("evaluate");
        let mut checked = 0;
        for card in fupin_web::areas::cards::CARD_CODES {
            let value = values.iter().find(|v| v.indicator.code == *card).expect("a card's indicator");
            let shown = text.split(&format!("data-code=\"{card}\"")).nth(1).expect("the card").split("class=\"figure\"").nth(1).expect("its figure");
            let shown = shown.split('>').nth(1).and_then(|rest| rest.split('<').next()).expect("figure text");
            let expected = value.text().map_or_else(|| "—".to_string(), |t| fupin_web::numbers::indicator_value(fupin_web::i18n::Lang::Zh, card, &value.indicator.unit, &t));
            assert_eq!(shown, expected, "{card}");
            checked += 1;
        }
        assert_eq!(checked, fupin_web::areas::cards::CARD_CODES.len());
        // Each county links to the dashboard scoped to it, which lists its townships.
        let link = format!("/dashboard?as_of={AS_OF}&#38;region=361128\"");
        assert!(text.contains(&link), "{text}");
        let (status, county) = page(&base, &format!("/dashboard?as_of={AS_OF}&region=361128"), &reg).await;
        assert_eq!(status, StatusCode::OK, "{county}");
        assert!(county.contains("各乡镇") && county.contains("地方361128100") && county.contains("region=361128100\""), "{county}");
        assert!(!county.contains("地方361125100"), "another county's township: {county}");
    }
}

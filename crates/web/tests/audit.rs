//! The audit page end to end, on SQLite and PostgreSQL: searched by action, actor, entity and
//! days in China, paged by record number, times in China, request ids whole, and the hash chain
//! verified only when asked — clean, then naming a record edited in the database.

mod common;

use common::*;
use fupin_store::audit::{AuditEntry, append};
use fupin_web::Config;
use reqwest::{Method, StatusCode};

/// A request id longer than any column would show uncut by default.
const LONG_REQUEST_ID: &str = "req-0123456789abcdef0123456789abcdef-0123456789abcdef";

/// 130 records: every third a read of an ID number by `bank_py` (44), the rest household
/// changes by `poverty`; stamped one minute apart from 2017-06-30 15:00 UTC (23:00 in China),
/// so the ones from the 61st minute on fall on 2017-07-01 in China.
fn entries() -> Vec<AuditEntry> {
    (0..130)
        .map(|i| {
            let (action, actor, entity) = match i % 3 {
                0 => ("member.read_id", "bank_py", "member"),
                _ => ("household.change", "poverty", "household"),
            };
            let minutes = i;
            let (hour, minute) = (15 + minutes / 60, minutes % 60);
            AuditEntry {
                at: format!("2017-06-30T{hour:02}:{minute:02}:00.000Z"),
                actor: actor.into(),
                action: action.into(),
                entity: entity.into(),
                entity_id: format!("H{i}"),
                before_json: None,
                after_json: None,
                request_id: Some(format!("{LONG_REQUEST_ID}-{i}")),
            }
        })
        .collect()
}

/// The record numbers of the rows of an audit page, in order.
fn seqs(html: &str) -> Vec<i64> {
    html.split("<tr class=\"record\"><td class=\"num\">")
        .skip(1)
        .map(|row| {
            row.split('<')
                .next()
                .and_then(|n| n.parse().ok())
                .expect("a record number")
        })
        .collect()
}

/// The rows of an audit page, as HTML.
fn rows(html: &str) -> Vec<&str> {
    html.split("<tr class=\"record\">")
        .skip(1)
        .map(|row| row.split("</tr>").next().unwrap_or(""))
        .collect()
}

/// The `before` of the page's link to older records.
fn older(html: &str) -> Option<String> {
    let link = html
        .split("id=\"older\"")
        .next()?
        .rsplit("href=\"")
        .next()?;
    html.contains("id=\"older\"")
        .then(|| link.split('"').next().unwrap_or("").replace("&#38;", "&"))
}

async fn page(base: &str, path: &str, auth: &Auth) -> String {
    let answer = get(base, path, auth).await;
    assert_eq!(answer.status, StatusCode::OK, "{path}: {}", answer.text);
    answer.text
}

/// Every page of a search, following the links to older records.
async fn all_pages(base: &str, first: &str, auth: &Auth) -> Vec<Vec<i64>> {
    let mut pages = Vec::new();
    let mut path = Some(first.to_string());
    while let Some(next) = path {
        let html = page(base, &next, auth).await;
        pages.push(seqs(&html));
        path = older(&html);
        assert!(pages.len() < 10, "paging ends");
    }
    pages
}

fupin_store::on_both_engines! {
    async fn the_audit_page_searches_pages_and_verifies_on_request(db) {
        seed_territory(&db).await;
        let users = seed_users(&db).await;
        let auth = |name: &str| users.iter().find(|(n, _)| *n == name).expect("user").1.clone();
        let admin = auth("admin");
        let first_seeded = fupin_store::audit::head_seq(&db).await.expect("head") + 1;
        let mut tx = db.write().await.expect("tx");
        for entry in entries() {
            append(&mut tx, &entry).await.expect("append");
        }
        tx.commit().await.expect("commit");
        let base = start(&db, Config::default()).await;
        let seeded = |i: i64| first_seeded + i;

        // Only administrators read the trail or verify it.
        for name in ["reg_city", "bank_py", "poverty", "finance"] {
            assert_eq!(get(&base, "/audit", &auth(name)).await.status, StatusCode::FORBIDDEN, "{name}");
            let verify = call(&base, Method::POST, "/audit/verify", &auth(name), None, &[]).await;
            assert_eq!(verify.status, StatusCode::FORBIDDEN, "{name}");
        }

        // By action: only those records, 50 a page, newest first, every one exactly once.
        let reads: Vec<i64> = (0..130).filter(|i| i % 3 == 0).map(seeded).rev().collect();
        let pages = all_pages(&base, "/audit?action=member.read_id", &admin).await;
        assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), vec![44], "one page of reads");
        assert_eq!(pages.concat(), reads);
        let first = page(&base, "/audit?action=member.read_id", &admin).await;
        assert!(rows(&first).iter().all(|row| row.contains("member.read_id") && row.contains("bank_py")));
        assert!(first.contains(&format!("{LONG_REQUEST_ID}-129")), "the request id is shown whole");

        // Everything, paged back through the seeded records and the users' before them.
        let pages = all_pages(&base, "/audit", &admin).await;
        let sizes: Vec<usize> = pages.iter().map(Vec::len).collect();
        let total = usize::try_from(seeded(129)).expect("count");
        assert!(sizes.iter().all(|n| *n <= 50) && sizes[0] == 50, "{sizes:?}");
        let everything = pages.concat();
        assert_eq!(everything, (1..=seeded(129)).rev().collect::<Vec<_>>(), "no record twice or missed");
        assert_eq!(everything.len(), total);

        // The next page keeps the search; actor, entity and days narrow.
        let changes = all_pages(&base, "/audit?actor=poverty&entity=household", &admin).await;
        let shown = page(&base, "/audit?actor=poverty&entity=household", &admin).await;
        assert_eq!(changes.iter().map(Vec::len).collect::<Vec<_>>(), vec![50, 36], "{}", rows(&shown).join("\n"));
        assert_eq!(changes.concat(), (0..130).filter(|i| i % 3 != 0).map(seeded).rev().collect::<Vec<_>>());
        let one = page(&base, "/audit?entity=H7", &admin).await;
        assert_eq!(seqs(&one), vec![seeded(7)]);
        // China's 2017-07-01 begins at 16:00 UTC: the records of minutes 60 to 129.
        let july = all_pages(&base, "/audit?action=household.change&from=2017-07-01&to=2017-07-01", &admin).await;
        assert_eq!(july.concat(), (60..130).filter(|i| i % 3 != 0).map(seeded).rev().collect::<Vec<_>>());
        let june = page(&base, "/audit?actor=bank_py&to=2017-06-30", &admin).await;
        assert_eq!(seqs(&june), (0..60).filter(|i| i % 3 == 0).map(seeded).rev().collect::<Vec<_>>());
        // Shown in China time: minute 60 is 16:00 UTC, midnight in China.
        assert!(page(&base, "/audit?entity=H60", &admin).await.contains("2017-07-01 00:00:00"));
        let bad = get(&base, "/audit?from=30.6.2017", &admin).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);
        assert!(bad.text.contains("from"), "the error names the field: {}", bad.text);

        // Verification only when asked: the page itself shows no result.
        assert!(!first.contains("audit-result"));
        let verified = call(&base, Method::POST, "/audit/verify", &admin, None, &[]).await;
        assert_eq!(verified.status, StatusCode::OK, "{}", verified.text);
        assert!(verified.text.contains(&format!("<p class=\"ok\">审计记录完整，已校验条数: {}</p>", total)), "{}", verified.text);

        // An edited record is named, and the page still loads without verifying.
        sqlx::query("update audit_log set actor = 'mallory' where seq = $1")
            .bind(seeded(42))
            .execute(db.pool())
            .await
            .expect("tamper");
        assert!(!page(&base, "/audit", &admin).await.contains("audit-result"));
        let broken = call(&base, Method::POST, "/audit/verify", &admin, None, &[]).await;
        assert_eq!(broken.status, StatusCode::OK, "{}", broken.text);
        assert!(broken.text.contains(&format!("id=\"first-bad\">#{}</a>", seeded(42))), "{}", broken.text);
        assert!(broken.text.contains(&format!("record {} was altered", seeded(42))));
        let english = call(&base, Method::POST, "/audit/verify", &admin, None, &[("accept-language", "en")]).await;
        assert!(english.text.contains("First bad record"), "{}", english.text);
    }
}

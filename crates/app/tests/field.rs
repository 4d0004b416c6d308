//! The field app's sync rules (issue #30), on both engines: a visit accepted once and replayed
//! by its device id; refusals for a village outside the officer's, a household that exited or
//! changed since the download, a rating made meanwhile (never overwritten), a scorecard version
//! no longer in force, and a future date; only bank staff may use it; sessions revoked for a
//! lost device. Expected scores are added up by hand from the default scorecard.

mod common;

use common::*;
use fupin_app::credit::{self, CoverageScope, GradeBand, RatingRequest, scoring};
use fupin_app::field::{self, AgreedLine, Outcome, Refusal, Visit};
use fupin_app::imports::ImportOptions;
use fupin_app::imports::registry::import_households;
use fupin_app::imports::territory::{AssignmentImporter, RegionImporter};
use fupin_app::users::{self, NewUser};
use fupin_app::{Actor, AppError, Ctx, Db, Role};
use fupin_core::RegionCode;

const TODAY: &str = "2017-06-30";

fn village(code: &str) -> RegionCode {
    RegionCode::parse(code).expect("code")
}

fn officer() -> Ctx {
    Ctx {
        actor: Actor {
            name: "officer".into(),
            role: Role::Bank,
            region: Some(village("361128")),
            institution: Some("PYRCB".into()),
        },
        now: "2017-06-30T02:00:00.000Z".into(),
        request_id: None,
    }
}

/// The common setup, a second village in the same township (PYRCB's), the officer's account.
async fn field_setup(db: &Db, dir: &std::path::Path) {
    setup(db, dir).await;
    let regions = write(dir, "regions2.csv", "code,name\n361128100002,西湖村\n");
    assert_applied(&import_file(db, &regions, RegionImporter::default()).await);
    let assignments = write(
        dir,
        "assignments.csv",
        "township_code,institution_code,effective_from\n361128100,PYRCB,2016-01-01\n",
    );
    assert_applied(&import_file(db, &assignments, AssignmentImporter::default()).await);
    users::add(
        db,
        &ctx(),
        NewUser {
            name: "officer".into(),
            display_name: Some("信贷员".into()),
            role: Role::Bank,
            region: village("361128"),
            institution: Some("PYRCB".into()),
            password: "correct horse battery".into(),
        },
    )
    .await
    .expect("officer");
}

/// A visit to `household` as downloaded in `list`: 24 + 15 + 20 + 10 + 10 = 79 → A → 10,000.
fn visit(list: &field::WorkList, household: &str, id: &str) -> Visit {
    let found = list
        .households
        .iter()
        .find(|h| h.version.household_id == household)
        .expect("household in the list");
    Visit {
        visit_id: id.into(),
        household_id: household.into(),
        village_code: found.version.facts.village_code,
        visit_date: date("2017-06-01"),
        scorecard_version: list.scorecard_version.clone(),
        household_from: found.version.valid_from,
        household_status: found.version.facts.status.clone(),
        known_file: field::file_token(found.latest_file.as_ref()),
        factors: scoring::parse_inputs(
            "integrity=good; labour=normal; income=high; assets=fair; project=viable",
        )
        .unwrap(),
        exempt_reason: None,
        line: Some(AgreedLine {
            amount: yuan("10000"),
            expires_on: date("2020-06-01"),
        }),
        note: Some("户主在家，种茶两亩".into()),
    }
}

fn refusal(outcome: Outcome) -> (&'static str, String) {
    let refusal = refused(outcome);
    (refusal.code, refusal.message)
}

fn refused(outcome: Outcome) -> Refusal {
    match outcome {
        Outcome::Refused(refusal) => refusal,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

async fn counts(db: &Db) -> (i64, i64, i64) {
    (
        count_rows(db, "select count(*) from credit_files").await,
        count_rows(db, "select count(*) from credit_lines").await,
        count_rows(db, "select count(*) from field_visits").await,
    )
}

fupin_store::on_both_engines! {
    async fn a_visit_is_accepted_once_and_a_resend_replays_it(db) {
        let dir = tempfile::tempdir().expect("dir");
        field_setup(&db, dir.path()).await;
        let officer = officer();
        let villages = field::villages(&db, &officer, date(TODAY)).await.expect("villages");
        let codes: Vec<String> = villages.iter().map(|v| v.code.to_string()).collect();
        assert_eq!(codes, ["361128100001", "361128100002"]);
        assert_eq!(villages[0].households, 2);
        let list = field::work_list(&db, &officer, village("361128100001"), date(TODAY)).await.expect("list");
        assert_eq!(list.households.len(), 2);
        assert!(list.households.iter().flat_map(|h| &h.members).all(|m| m.id_number.contains("**********")), "ID numbers masked");
        assert_eq!(list.scorecard, scoring::default_scorecard());

        let ask = visit(&list, "H1", "0b8f5a52-7d0e-4c3b-9a51-1f1f7c2a0001");
        let outcome = field::sync_visit(&db, &officer, &ask, date(TODAY)).await.expect("sync");
        let Outcome::Accepted { replayed, score, grade, recommended_line, visit: done } = outcome else {
            panic!("refused: {outcome:?}");
        };
        assert!(!replayed);
        assert_eq!((score, grade.as_deref(), recommended_line), (Some(79), Some("A"), Some(yuan("10000"))));
        assert!(done.credit_line_id.is_some());
        assert_eq!(counts(&db).await, (1, 1, 1));

        // The same visit again (a lost answer, a double tap): answered the same, written once.
        let again = field::sync_visit(&db, &officer, &ask, date(TODAY)).await.expect("again");
        let Outcome::Accepted { replayed, visit: second, .. } = again else { panic!("{again:?}") };
        assert!(replayed);
        assert_eq!(second.credit_file_id, done.credit_file_id);
        assert_eq!(counts(&db).await, (1, 1, 1));

        // The coverage figures count it: 2 registered, 1 rated, 1 with a line (by hand).
        let scope = CoverageScope { institution: Some("PYRCB".into()), ..CoverageScope::default() };
        let coverage = credit::credit_coverage(&db, date(TODAY), &scope).await.expect("coverage");
        assert_eq!((coverage.registered, coverage.rated, coverage.with_line), (2, 1, 1));
        let work = credit::credit_work_list(&db, date(TODAY), &scope, credit::WorkListSort::Village).await.expect("work list");
        let left: Vec<&str> = work.iter().map(|h| h.household_id.as_str()).collect();
        assert_eq!(left, ["H2"]);

        // H2 has no need of a loan: an exemption, no score, no line, whatever the scorecard.
        let mut exempt = visit(&list, "H2", "visit-exempt-1");
        exempt.factors.clear();
        exempt.line = None;
        exempt.exempt_reason = Some("no_need".into());
        exempt.scorecard_version = "stale".into();
        let outcome = field::sync_visit(&db, &officer, &exempt, date(TODAY)).await.expect("exempt");
        assert!(matches!(outcome, Outcome::Accepted { score: None, grade: None, .. }), "{outcome:?}");
        assert_eq!(counts(&db).await, (2, 1, 2));
        let mut both = visit(&list, "H2", "visit-exempt-2");
        both.exempt_reason = Some("no_need".into());
        let filter = credit::CreditFilter { household: Some("H2".into()), ..credit::CreditFilter::default() };
        let stored = credit::list_files(&db, &ctx(), &filter).await.expect("files");
        both.known_file = field::file_token(stored.last());
        let invalid = refused(field::sync_visit(&db, &officer, &both, date(TODAY)).await.expect("sync"));
        assert_eq!(invalid.code, "invalid", "an exemption with factors: {}", invalid.message);
        // Each refused field named, with the rules' words about it.
        let fields = invalid.param("fields").expect("fields").split(',').collect::<Vec<_>>();
        assert!(!fields.is_empty() && fields.iter().all(|f| !f.is_empty()), "{invalid:?}");
        for field in fields {
            let words = invalid.param(field).expect("words of the field");
            assert!(invalid.message.contains(&format!("{field}: {words}")) || words.contains("; "), "{invalid:?}");
        }

        // Another officer cannot take the id over.
        let mut stolen = ask.clone();
        stolen.household_id = "H2".into();
        assert!(matches!(field::sync_visit(&db, &officer, &stolen, date(TODAY)).await, Err(AppError::Conflict(_))));
    }

    async fn a_visit_is_refused_with_its_reason_and_writes_nothing(db) {
        let dir = tempfile::tempdir().expect("dir");
        field_setup(&db, dir.path()).await;
        let officer = officer();
        let list = field::work_list(&db, &officer, village("361128100001"), date(TODAY)).await.expect("list");

        // A village not the officer's: assigned only 361128100001 by the administrator.
        field::assign(&db, &ctx(), "officer", &[village("361128100001")]).await.expect("assign");
        let villages = field::villages(&db, &officer, date(TODAY)).await.expect("villages");
        assert_eq!(villages.len(), 1);
        let mut elsewhere = visit(&list, "H1", "visit-out-of-scope-1");
        elsewhere.village_code = village("361128100002");
        let (code, message) = refusal(field::sync_visit(&db, &officer, &elsewhere, date(TODAY)).await.expect("sync"));
        assert_eq!(code, "out_of_scope", "{message}");
        assert!(matches!(
            field::work_list(&db, &officer, village("361128100002"), date(TODAY)).await,
            Err(AppError::NotFound(_))
        ));

        // Someone rated H1 after the download: refused, the other rating stays.
        let other = RatingRequest {
            household_id: "H1".into(),
            institution_code: "PYRCB".into(),
            assessed_on: date("2017-05-01"),
            factors: Vec::new(),
            score: Some(95),
            grade: None,
            recommended_line: None,
            exempt_reason: None,
        };
        credit::rate(&db, &ctx(), &other).await.expect("rated meanwhile");
        let conflict = refused(field::sync_visit(&db, &officer, &visit(&list, "H1", "visit-conflict-1"), date(TODAY)).await.expect("sync"));
        assert_eq!(conflict.code, "rated_since_download");
        let message = &conflict.message;
        assert!(message.contains("2017-05-01") && message.contains("AAA"), "{message}");
        // The app words the reason from these, in Chinese or English.
        assert_eq!(conflict.param("household"), Some("H1"));
        assert_eq!(conflict.param("assessed_on"), Some("2017-05-01"));
        assert_eq!(conflict.param("grade"), Some("AAA"));
        assert_eq!(counts(&db).await, (1, 0, 0));

        // H2 exited poverty in a registry extract of 2017-05-31, after the download.
        let header = "household_id,village_code,name,id_number,relation,poverty_attribute,main_cause,status,identified_on,per_capita_income,labour,exited_year\n";
        let exited = format!(
            "{header}H1,361128100001,张三,{},head,general,illness,poor,2015-10-01,2300,normal,\n\
             H2,361128100001,李四,{},head,general,lack_funds,exited,2015-10-01,4100,weak,2017\n",
            resident_id("19770501", "001"),
            resident_id("19470301", "002"),
        );
        let path = write(dir.path(), "exited.csv", &exited);
        let report = import_households(&db, &ctx(), &path, &ImportOptions::default(), date("2017-05-31")).await.expect("import");
        assert_applied(&report);
        let exited = refused(field::sync_visit(&db, &officer, &visit(&list, "H2", "visit-exited-1"), date(TODAY)).await.expect("sync"));
        assert_eq!(exited.code, "household_exited", "{}", exited.message);
        assert!(exited.message.contains("2017"), "{}", exited.message);
        assert_eq!(exited.param("household"), Some("H2"));
        assert_eq!(exited.param("exited_year"), Some("2017"));
        assert_eq!(exited.param("registry_from"), Some("2017-05-31"));

        // A visit dated after today.
        let mut early = visit(&list, "H2", "visit-future-1");
        early.visit_date = date("2017-07-01");
        let future = refused(field::sync_visit(&db, &officer, &early, date(TODAY)).await.expect("sync"));
        assert_eq!(future.code, "future_date");
        assert_eq!(future.param("visit_date"), Some("2017-07-01"));
        assert_eq!(future.param("today"), Some(TODAY));
        assert_eq!(counts(&db).await, (1, 0, 0));

        // A bad device id is a bad request, not a refusal.
        let bad = visit(&list, "H2", "x y");
        assert!(matches!(field::sync_visit(&db, &officer, &bad, date(TODAY)).await, Err(AppError::Field { ref field, .. }) if field == "visit_id"));
    }

    async fn a_scorecard_replaced_after_the_download_refuses_the_visit(db) {
        let dir = tempfile::tempdir().expect("dir");
        field_setup(&db, dir.path()).await;
        let officer = officer();
        let list = field::work_list(&db, &officer, village("361128100001"), date(TODAY)).await.expect("list");
        let mut card = scoring::default_scorecard();
        card.institution_code = Some("PYRCB".into());
        card.effective_from = date("2017-02-01");
        card.name = "鄱阳农商行评分表".into();
        card.grades = vec![
            GradeBand { grade: "AAA".into(), min_score: 85, line: yuan("50000") },
            GradeBand { grade: "B".into(), min_score: 0, line: yuan("0") },
        ];
        credit::set_scorecard(&db, &ctx(), &card).await.expect("new version");
        let (code, message) = refusal(field::sync_visit(&db, &officer, &visit(&list, "H1", "visit-card-1"), date(TODAY)).await.expect("sync"));
        assert_eq!(code, "scorecard_changed");
        assert!(message.contains("PYRCB/2017-02-01"), "{message}");
        assert_eq!(counts(&db).await, (0, 0, 0));

        // Downloaded again, the same visit is rated with the new version: 79 → B, no line.
        let list = field::work_list(&db, &officer, village("361128100001"), date(TODAY)).await.expect("list");
        let mut ask = visit(&list, "H1", "visit-card-2");
        let (code, message) = refusal(field::sync_visit(&db, &officer, &ask, date(TODAY)).await.expect("sync"));
        assert_eq!(code, "invalid", "a line above grade B's nothing: {message}");
        ask.line = None;
        let outcome = field::sync_visit(&db, &officer, &ask, date(TODAY)).await.expect("sync");
        assert!(matches!(outcome, Outcome::Accepted { ref grade, .. } if grade.as_deref() == Some("B")), "{outcome:?}");
    }

    async fn only_bank_staff_use_the_field_app_and_sessions_can_be_revoked(db) {
        let dir = tempfile::tempdir().expect("dir");
        field_setup(&db, dir.path()).await;
        for role in [Role::Regulator, Role::PovertyOffice, Role::Finance, Role::Admin] {
            let mut other = officer();
            other.actor.role = role;
            other.actor.institution = None;
            assert!(matches!(field::villages(&db, &other, date(TODAY)).await, Err(AppError::Forbidden(_))), "{role:?}");
            assert!(matches!(field::work_list(&db, &other, village("361128100001"), date(TODAY)).await, Err(AppError::Forbidden(_))), "{role:?}");
        }
        // Assignments go to bank staff only, and only villages.
        assert!(field::assign(&db, &ctx(), "officer", &[village("361128100")]).await.is_err());
        assert!(field::assign(&db, &officer(), "officer", &[village("361128100001")]).await.is_err(), "not the officer's own to change");
        // A code that names no village is refused by its code, and nothing of the batch is kept.
        let unknown = field::assign(&db, &ctx(), "officer", &[village("361128100002"), village("361128100099")]).await;
        match unknown {
            Err(AppError::Field { field, message }) => {
                assert_eq!(field, "village");
                assert!(message.contains("361128100099") && message.contains("does not exist"), "{message}");
            }
            other => panic!("expected a refusal naming the village, got {other:?}"),
        }
        assert!(field::assigned(&db, &ctx(), "officer").await.expect("assigned").is_empty(), "nothing assigned");
        assert_eq!(field::assign(&db, &ctx(), "officer", &[village("361128100002")]).await.expect("assign"), 1);
        assert_eq!(field::assigned(&db, &ctx(), "officer").await.expect("assigned"), [village("361128100002")]);
        assert_eq!(field::unassign(&db, &ctx(), "officer", &[village("361128100002")]).await.expect("unassign"), 1);
        assert!(field::assigned(&db, &ctx(), "officer").await.expect("assigned").is_empty());

        let policy = fupin_app::auth::AuthPolicy::default();
        let now = "2017-06-30T02:00:00.000Z";
        let signed = fupin_app::auth::sign_in(&db, "officer", "correct horse battery", now, None, &policy).await.expect("sign in");
        assert!(fupin_app::auth::session(&db, &signed.session_secret, now).await.expect("session").is_some());
        let revoked = users::revoke_sessions(&db, &ctx(), "officer").await.expect("revoke");
        assert_eq!(revoked.sessions, 1);
        assert!(fupin_app::auth::session(&db, &signed.session_secret, now).await.expect("session").is_none());
        let user = users::get(&db, &ctx(), "officer").await.expect("user");
        assert!(!user.disabled, "the account stays enabled");
        fupin_app::auth::sign_in(&db, "officer", "correct horse battery", now, None, &policy).await.expect("signs in again");
    }
}

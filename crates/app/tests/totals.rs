//! The running totals (`fupin_app::totals`) give exactly what the reference queries give, for
//! every region (the city, its counties and townships), every group and every month-end of a
//! small demo, on both engines; `totals check` finds them consistent, before and after writes.

use fupin_app::demo::{self, DemoOptions};
use fupin_app::progress::Progress;
use fupin_app::regions::RegionQuery;
use fupin_app::{Actor, Ctx, Db};
use fupin_core::{BusinessDate, RegionCode, RegionLevel};
use fupin_store::credit::{self, HouseholdScope};
use fupin_store::indicators as reference;

fn ctx() -> Ctx {
    Ctx {
        actor: Actor::operator("tester"),
        now: "2017-07-01T09:00:00.000Z".into(),
        request_id: None,
    }
}

fn date(text: &str) -> BusinessDate {
    BusinessDate::parse(text).expect("date")
}

/// Every month-end from January 2014 (before the demo's first extract) to December 2017.
fn month_ends() -> Vec<BusinessDate> {
    (2014..=2017)
        .flat_map(|year| (1..=12).map(move |month| (year, month)))
        .filter_map(|(year, month)| BusinessDate::from_ymd(year, month, 1))
        .map(BusinessDate::end_of_month)
        .collect()
}

/// The counts as the reference queries compute them, summed over the regions as the indicators
/// sum a group's members.
async fn reference_counts(db: &Db, regions: &[RegionCode], on: BusinessDate) -> [i64; 5] {
    let mut sum = [0i64; 5];
    for region in regions {
        let scope = HouseholdScope {
            within: vec![*region],
            institution: None,
        };
        let counts = credit::household_counts(db, on, &scope)
            .await
            .expect("coverage");
        let one = [
            reference::poor_households(db, region.prefix(), on)
                .await
                .expect("households"),
            reference::poor_population(db, region.prefix(), on)
                .await
                .expect("people"),
            counts.eligible,
            counts.rated,
            counts.with_line,
        ];
        for (s, n) in sum.iter_mut().zip(one) {
            *s += n;
        }
    }
    sum
}

async fn total_counts(db: &Db, regions: &[RegionCode], on: BusinessDate) -> [i64; 5] {
    let mut sum = [0i64; 5];
    for region in regions {
        let c = fupin_app::totals::counts(db, Some(*region), on)
            .await
            .expect("totals");
        for (s, n) in sum.iter_mut().zip([
            c.poor_households,
            c.poor_people,
            c.eligible,
            c.rated,
            c.with_line,
        ]) {
            *s += n;
        }
    }
    sum
}

async fn regions(db: &Db, level: RegionLevel) -> Vec<RegionCode> {
    let query = RegionQuery {
        level: Some(level),
        within: RegionCode::parse("3611").ok(),
        as_of: Some(date("2017-06-30")),
        limit: None,
    };
    let listed = fupin_app::regions::list(db, &query).await.expect("regions");
    listed.iter().map(|r| r.code).collect()
}

async fn assert_clean(db: &Db) {
    let check = fupin_app::totals::check(db).await.expect("check");
    assert!(check.is_clean(), "{check:#?}");
}

/// Every region, group and month-end: the totals equal the reference queries.
async fn assert_same_as_reference(db: &Db) {
    let city = RegionCode::parse("361100").expect("city");
    let mut scopes: Vec<Vec<RegionCode>> = vec![vec![city]];
    for level in [RegionLevel::County, RegionLevel::Township] {
        scopes.extend(regions(db, level).await.into_iter().map(|r| vec![r]));
    }
    let mut compared = 0;
    for on in month_ends() {
        let mut all = scopes.clone();
        for group in fupin_store::groups::list_groups(db).await.expect("groups") {
            let members = fupin_app::territory::group_members_on(db, &group.name, on)
                .await
                .expect("members");
            if !members.is_empty() {
                all.push(members);
            }
        }
        for scope in &all {
            let want = reference_counts(db, scope, on).await;
            let have = total_counts(db, scope, on).await;
            assert_eq!(
                have, want,
                "{scope:?} on {on}: [poor households, poor people, eligible, rated, with line]"
            );
            compared += 1;
        }
    }
    assert!(compared > 200 * 48, "{compared} comparisons");
    let end = reference_counts(db, &[city], date("2017-06-30")).await;
    assert!(
        end.iter().all(|n| *n > 0),
        "the demo has every count: {end:?}"
    );
}

fupin_store::on_both_engines! {
    async fn totals_equal_the_reference_queries_for_every_region_group_and_month(db) {
        let dir = tempfile::tempdir().expect("dir");
        let options = DemoOptions {
            seed: 7,
            scale: 0.01,
            workdir: dir.path().to_path_buf(),
            live: Progress::default(),
        };
        demo::run(&db, &ctx(), &options, &mut |_| {}).await.expect("the demo runs");
        assert_clean(&db).await;
        assert_same_as_reference(&db).await;

        // A rebuild changes nothing.
        fupin_app::totals::rebuild(&db).await.expect("rebuild");
        assert_clean(&db).await;

        // A command's write keeps them: an exemption after a household's rating makes it
        // ineligible from that day, in the totals as in the reference.
        let filter = fupin_store::credit::CreditFilter { limit: 50, ..Default::default() };
        let files = fupin_app::credit::list_files(&db, &ctx(), &filter).await.expect("files");
        let file = &files.iter().find(|f| f.file.exempt_reason.is_none()).expect("a rating").file;
        let day = date("2017-06-30");
        let request = fupin_app::credit::RatingRequest {
            household_id: file.household_id.clone(),
            institution_code: file.institution_code.clone(),
            assessed_on: day,
            factors: Vec::new(),
            score: None,
            grade: None,
            recommended_line: None,
            exempt_reason: Some("no_need".to_string()),
        };
        let city = [RegionCode::parse("361100").expect("city")];
        let before = total_counts(&db, &city, day).await;
        fupin_app::credit::rate(&db, &ctx(), &request).await.expect("exemption");
        assert_clean(&db).await;
        let after = total_counts(&db, &city, day).await;
        assert_eq!(after, reference_counts(&db, &city, day).await);
        assert_eq!(after[2], before[2] - 1, "{before:?} → {after:?}");
    }
}

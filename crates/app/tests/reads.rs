//! Listings built from the filters given (a range of codes, no catch-all conditions) return
//! exactly the rows of the old patterns: on the demo at a hundredth, every filtered listing of
//! households, enterprises, credit files, credit lines and loans equals the unfiltered listing filtered here
//! by the old rule (a code starts with the region's prefix; a missing filter keeps every row).

use fupin_app::demo::{self, DemoOptions};
use fupin_app::progress::Progress;
use fupin_app::{Actor, Ctx, Db};
use fupin_core::{BusinessDate, RegionCode, RegionLevel};
use fupin_store::credit::{self, CreditFilter};
use fupin_store::loans::{self, LoanFilter};
use fupin_store::registry::{self, RegistryFilter};

const ALL: i64 = 1_000_000;

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

async fn load_demo(db: &Db) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("dir");
    let options = DemoOptions {
        seed: 11,
        scale: 0.01,
        workdir: dir.path().to_path_buf(),
        live: Progress::default(),
    };
    demo::run(db, &ctx(), &options, &mut |_| {})
        .await
        .expect("the demo runs");
    dir
}

/// The regions a listing is filtered by: none, the city, the county, township and village of
/// `village`, and a county with no rows of its own in the sample if the data has one.
fn regions_of(village: RegionCode) -> Vec<Option<RegionCode>> {
    let mut regions = vec![None, RegionCode::parse("361100000000").ok()];
    for level in [
        RegionLevel::County,
        RegionLevel::Township,
        RegionLevel::Village,
    ] {
        regions.push(village.ancestor_at(level));
    }
    regions.push(RegionCode::parse("361200000000").ok());
    regions
}

fn under(code: RegionCode, within: Option<RegionCode>) -> bool {
    within.is_none_or(|region| code.as_str().starts_with(region.prefix()))
}

fn keeps(value: &str, filter: Option<&str>) -> bool {
    filter.is_none_or(|wanted| wanted == value)
}

fupin_store::on_both_engines! {
    async fn filtered_listings_return_the_rows_of_the_old_patterns(db) {
        let _files = load_demo(&db).await;
        check_households(&db).await;
        check_credit(&db).await;
        check_loans(&db).await;
    }
}

async fn check_households(db: &Db) {
    let on = date("2017-06-30");
    let everyone = registry::households_on(db, on, &RegistryFilter::default(), ALL)
        .await
        .expect("households");
    assert!(everyone.len() > 100, "the sample has households");
    let sample = everyone[everyone.len() / 2].version.facts.village_code;
    for within in regions_of(sample) {
        let filter = RegistryFilter {
            within,
            institution: None,
        };
        let listed = registry::households_on(db, on, &filter, ALL)
            .await
            .expect("households");
        let expected: Vec<_> = everyone
            .iter()
            .filter(|h| under(h.version.facts.village_code, within))
            .cloned()
            .collect();
        assert_eq!(listed, expected, "households within {within:?}");
        let counted = registry::count_households_on(db, on, within, &["poor", "relapsed"])
            .await
            .expect("count");
        let poor = expected
            .iter()
            .filter(|h| ["poor", "relapsed"].contains(&h.version.facts.status.as_str()))
            .count();
        assert_eq!(counted, poor as i64, "poor households within {within:?}");
    }
    let enterprises = registry::list_enterprises(db, None, ALL)
        .await
        .expect("enterprises");
    assert!(!enterprises.is_empty(), "the sample has enterprises");
    for within in regions_of(enterprises[enterprises.len() / 2].village_code) {
        let listed = registry::list_enterprises(db, within, ALL)
            .await
            .expect("enterprises");
        let expected: Vec<_> = enterprises
            .iter()
            .filter(|e| under(e.village_code, within))
            .cloned()
            .collect();
        assert_eq!(listed, expected, "enterprises within {within:?}");
    }
}

async fn check_credit(db: &Db) {
    let every = CreditFilter {
        limit: ALL,
        ..CreditFilter::default()
    };
    let files = credit::list_credit_files(db, &every).await.expect("files");
    let lines = credit::list_credit_lines(db, &every).await.expect("lines");
    assert!(
        files.len() > 10 && lines.len() > 10,
        "the sample has credit files and lines"
    );
    let sample = &files[files.len() / 2].file;
    let households = [None, Some(sample.household_id.clone())];
    let institutions = [None, Some(sample.institution_code.clone())];
    let dates = [None, Some(sample.assessed_on)];
    for within in regions_of(sample.village_code) {
        for household in &households {
            for institution in &institutions {
                for on_or_before in dates {
                    let filter = CreditFilter {
                        household: household.clone(),
                        institution: institution.clone(),
                        within,
                        on_or_before,
                        limit: ALL,
                    };
                    let kept = |village: RegionCode, id: &str, bank: &str, day: BusinessDate| {
                        under(village, within)
                            && keeps(id, household.as_deref())
                            && keeps(bank, institution.as_deref())
                            && on_or_before.is_none_or(|last| day <= last)
                    };
                    let listed = credit::list_credit_files(db, &filter).await.expect("files");
                    let expected: Vec<_> = files
                        .iter()
                        .filter(|f| {
                            let f = &f.file;
                            kept(
                                f.village_code,
                                &f.household_id,
                                &f.institution_code,
                                f.assessed_on,
                            )
                        })
                        .collect();
                    assert_eq!(
                        listed.iter().collect::<Vec<_>>(),
                        expected,
                        "files {filter:?}"
                    );
                    let listed = credit::list_credit_lines(db, &filter).await.expect("lines");
                    let expected: Vec<_> = lines
                        .iter()
                        .filter(|l| {
                            let l = &l.line;
                            kept(
                                l.village_code,
                                &l.household_id,
                                &l.institution_code,
                                l.granted_on,
                            )
                        })
                        .collect();
                    assert_eq!(
                        listed.iter().collect::<Vec<_>>(),
                        expected,
                        "lines {filter:?}"
                    );
                }
            }
        }
    }
}

async fn check_loans(db: &Db) {
    let every = LoanFilter {
        limit: ALL,
        ..LoanFilter::default()
    };
    let all = loans::list_loans(db, &every).await.expect("loans");
    assert!(all.len() > 10, "the sample has loans");
    let sample = &all[all.len() / 2];
    let borrowers = [None, Some(sample.terms.borrower_id.clone())];
    let statuses = [None, Some(sample.status.clone())];
    let dates = [None, Some(date("2016-12-31"))];
    for within in regions_of(sample.terms.village_code) {
        for borrower_id in &borrowers {
            for status in &statuses {
                for as_of in dates {
                    let filter = LoanFilter {
                        within,
                        institution: Some(sample.terms.institution_code.clone()),
                        borrower_id: borrower_id.clone(),
                        status: status.clone(),
                        as_of,
                        limit: ALL,
                        ..LoanFilter::default()
                    };
                    let listed = loans::list_loans(db, &filter).await.expect("loans");
                    let expected: Vec<_> = all
                        .iter()
                        .filter(|loan| {
                            under(loan.terms.village_code, within)
                                && keeps(
                                    &loan.terms.institution_code,
                                    filter.institution.as_deref(),
                                )
                                && keeps(&loan.terms.borrower_id, borrower_id.as_deref())
                                && keeps(&loan.status, status.as_deref())
                                && as_of.is_none_or(|day| {
                                    loan.terms.start_on <= day
                                        && loan.closed_on.is_none_or(|closed| closed > day)
                                })
                        })
                        .collect();
                    assert_eq!(
                        listed.iter().collect::<Vec<_>>(),
                        expected,
                        "loans {filter:?}"
                    );
                }
            }
        }
    }
    let paged = LoanFilter {
        limit: 5,
        offset: 3,
        ..LoanFilter::default()
    };
    let page = loans::list_loans(db, &paged).await.expect("page");
    assert_eq!(page, all[3..8].to_vec(), "limit and offset");
}

//! The registry end to end through files, on both engines: household imports (every encoding,
//! every refusal, `load_valid`, full-list removals, re-imports), the history as of past dates,
//! the change feed, privacy, and enterprises.
//!
//! The registry below is a table of facts written out as files; expectations are stated by hand
//! from the same facts, not computed with Fupin's code.

use std::path::{Path, PathBuf};

use fupin_app::imports::registry::{
    CAUSES, EnterpriseImporter, EnterpriseLinkImporter, LABOUR, POVERTY_ATTRIBUTES, RELATIONS,
    STATUSES, import_households,
};
use fupin_app::imports::territory::{AssignmentImporter, InstitutionImporter, RegionImporter};
use fupin_app::imports::upload::{Kind, Upload, UploadOutcome, import_upload};
use fupin_app::imports::{self, ImportOptions, ImportReport};
use fupin_app::registry::{self as use_cases, FeedQuery, HouseholdQuery};
use fupin_app::{Actor, AppError, Ctx, Db, Role};
use fupin_core::resident_id::check_character;
use fupin_core::{BusinessDate, RegionCode};

fn ctx() -> Ctx {
    Ctx {
        actor: Actor::operator("tester"),
        now: "2018-01-05T09:00:00.000Z".into(),
        request_id: None,
    }
}

fn ctx_as(role: Role, region: Option<&str>, institution: Option<&str>) -> Ctx {
    Ctx {
        actor: Actor {
            name: format!("{}-user", role.as_str()),
            role,
            region: region.map(code),
            institution: institution.map(str::to_string),
        },
        ..ctx()
    }
}

fn date(text: &str) -> BusinessDate {
    BusinessDate::parse(text).expect("test date")
}

fn code(text: &str) -> RegionCode {
    RegionCode::parse(text).expect("test region code")
}

const AS_OF_1: &str = "2017-06-30";
const AS_OF_2: &str = "2017-12-31";

const V1: &str = "361128100001";
const V2: &str = "361128100002";
const V3: &str = "361128101001";
/// A village of another county, which the base files never cover.
const V4: &str = "361125100001";

// ---- the territory ---------------------------------------------------------------------------

const REGIONS: &str = "code,name\n\
    361128100,饶州街道\n361128100001,东湖村\n361128100002,西湖村\n\
    361128101,鸦鹊湖乡\n361128101001,鸦鹊村\n\
    361125100,岑阳镇\n361125100001,岑阳村\n";
const INSTITUTIONS: &str = "code,name,type,region_code\n\
    PYRCB,鄱阳农村商业银行,rural_cooperative,361128\n\
    ABC-SR,中国农业银行上饶分行,large_commercial,361100\n";
const ASSIGNMENTS: &str = "township_code,institution_code,effective_from\n\
    361128100,PYRCB,2016-01-01\n361128101,ABC-SR,2016-01-01\n361125100,PYRCB,2016-01-01\n";

async fn setup(db: &Db, dir: &Path) {
    fupin_app::regions::load_reference_data(db, &ctx())
        .await
        .expect("reference data");
    let options = ImportOptions::default();
    let path = write_text(dir, "regions.csv", REGIONS);
    let report = imports::run(db, &ctx(), &path, &options, RegionImporter::default())
        .await
        .expect("regions");
    assert!(report.applied, "{:?}", report.errors);
    let path = write_text(dir, "institutions.csv", INSTITUTIONS);
    let report = imports::run(db, &ctx(), &path, &options, InstitutionImporter::default())
        .await
        .expect("institutions");
    assert!(report.applied, "{:?}", report.errors);
    let path = write_text(dir, "assignments.csv", ASSIGNMENTS);
    let report = imports::run(db, &ctx(), &path, &options, AssignmentImporter::default())
        .await
        .expect("assignments");
    assert!(report.applied, "{:?}", report.errors);
}

fn write_text(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write file");
    path
}

/// An upload of a households file as of `AS_OF_1`.
fn upload_of<'a>(file_name: &'a str, bytes: &'a [u8], options: ImportOptions) -> Upload<'a> {
    Upload {
        kind: Kind::Households,
        file_name,
        bytes,
        options,
        as_of: Some(date(AS_OF_1)),
        confirm_warnings: false,
        today: date(AS_OF_1),
    }
}

// ---- the registry as facts -------------------------------------------------------------------

/// An ID number born `days` days after 1950-01-01 in Poyang (361128), valid check character.
fn person_id(days: i64, male: bool) -> String {
    let birth = date("1950-01-01").add_days(days).expect("birth date");
    let sex_digit = if male { 1 } else { 2 };
    let first17 = format!(
        "361128{:04}{:02}{:02}00{sex_digit}",
        birth.year(),
        birth.month(),
        birth.day()
    );
    let check = check_character(&first17).expect("17 digits");
    format!("{first17}{check}")
}

#[derive(Clone, Debug)]
struct Person {
    name: String,
    id: String,
    relation: &'static str,
    labour: &'static str,
    phone: String,
    /// Column values of this row that differ from the household's (to test disagreement).
    overrides: Vec<(&'static str, String)>,
}

fn person(name: &str, days: i64, male: bool, relation: &'static str) -> Person {
    Person {
        name: name.to_string(),
        id: person_id(days, male),
        relation,
        labour: if relation == "child" {
            "none"
        } else {
            "normal"
        },
        phone: String::new(),
        overrides: Vec::new(),
    }
}

#[derive(Clone, Debug)]
struct Household {
    id: String,
    village: String,
    attribute: &'static str,
    main_cause: &'static str,
    other_causes: String,
    status: &'static str,
    identified_on: String,
    exited_year: String,
    income: String,
    members: Vec<Person>,
}

fn household(id: &str, village: &str, identified_on: &str, members: Vec<Person>) -> Household {
    Household {
        id: id.to_string(),
        village: village.to_string(),
        attribute: "general",
        main_cause: "illness",
        other_causes: String::new(),
        status: "poor",
        identified_on: identified_on.to_string(),
        exited_year: String::new(),
        income: "3200.00".to_string(),
        members,
    }
}

/// Six households in three villages of two townships; 13 people.
fn base() -> Vec<Household> {
    let mut h01 = household(
        "H01",
        V1,
        "2014-05-01",
        vec![
            person("张伟", 8000, true, "head"),
            person("李娜", 8400, false, "spouse"),
            person("张小明", 20000, true, "child"),
        ],
    );
    h01.other_causes = "lack_funds;lack_skills".into();
    h01.members[0].phone = "13800138000".into();
    let h02 = household(
        "H02",
        V1,
        "2014-05-01",
        vec![
            person("王芳", 9000, false, "head"),
            person("王大爷", 1000, true, "parent"),
        ],
    );
    let mut h03 = household(
        "H03",
        V2,
        "2015-03-10",
        vec![person("刘洋", 10000, true, "head")],
    );
    h03.status = "exited";
    h03.exited_year = "2016".into();
    h03.attribute = "low_income";
    let mut h04 = household(
        "H04",
        V2,
        "2016-02-01",
        vec![
            person("陈静", 11000, false, "head"),
            person("陈一", 19000, true, "child"),
            person("陈二", 19500, false, "child"),
        ],
    );
    h04.main_cause = "education";
    h04.members[1].phone = "0793-6221234".into();
    let h05 = household(
        "H05",
        V3,
        "2014-09-01",
        vec![
            person("杨帆", 12000, true, "head"),
            person("赵敏", 12500, false, "spouse"),
        ],
    );
    let mut h06 = household(
        "H06",
        V3,
        "2015-11-20",
        vec![
            person("黄磊", 13000, true, "head"),
            person("黄小", 21000, false, "child"),
        ],
    );
    h06.status = "relapsed";
    h06.exited_year = "2016".into();
    h06.attribute = "five_guarantee";
    vec![h01, h02, h03, h04, h05, h06]
}

fn find<'a>(households: &'a mut [Household], id: &str) -> &'a mut Household {
    households
        .iter_mut()
        .find(|h| h.id == id)
        .expect("household in the facts")
}

// ---- writing files ---------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Debug)]
enum Style {
    Utf8,
    Utf8Bom,
    /// GB18030, Chinese headers and Chinese values.
    Gb18030,
    Xlsx,
}

const ENGLISH: [&str; 14] = [
    "household_id",
    "village_code",
    "name",
    "id_number",
    "relation",
    "poverty_attribute",
    "main_cause",
    "other_causes",
    "status",
    "identified_on",
    "exited_year",
    "per_capita_income",
    "labour",
    "phone",
];
const CHINESE: [&str; 14] = [
    "户编号",
    "行政村代码",
    "姓名",
    "证件号码",
    "与户主关系",
    "贫困户属性",
    "主要致贫原因",
    "其他致贫原因",
    "脱贫状态",
    "识别时间",
    "脱贫年度",
    "人均纯收入",
    "劳动能力",
    "联系电话",
];

fn chinese(value: &str, choices: &[(&str, &str, &str)]) -> String {
    choices
        .iter()
        .find(|(english, _, _)| *english == value)
        .map_or(value.to_string(), |(_, chinese, _)| chinese.to_string())
}

/// The data rows of a file, members interleaved across households (the first member of every
/// household, then every second member, …) so that households are not contiguous.
fn rows(households: &[Household], chinese_values: bool) -> Vec<Vec<String>> {
    let deepest = households
        .iter()
        .map(|h| h.members.len())
        .max()
        .unwrap_or(0);
    let mut rows = Vec::new();
    for index in 0..deepest {
        for h in households {
            let Some(p) = h.members.get(index) else {
                continue;
            };
            let translate = |value: &str, choices: &[(&str, &str, &str)]| match chinese_values {
                true => chinese(value, choices),
                false => value.to_string(),
            };
            let causes: Vec<String> = h
                .other_causes
                .split(';')
                .filter(|c| !c.is_empty())
                .map(|c| translate(c, CAUSES))
                .collect();
            let separator = if chinese_values { "、" } else { ";" };
            let mut row = vec![
                h.id.clone(),
                h.village.clone(),
                p.name.clone(),
                p.id.clone(),
                translate(p.relation, RELATIONS),
                translate(h.attribute, POVERTY_ATTRIBUTES),
                translate(h.main_cause, CAUSES),
                causes.join(separator),
                translate(h.status, STATUSES),
                h.identified_on.clone(),
                h.exited_year.clone(),
                h.income.clone(),
                translate(p.labour, LABOUR),
                p.phone.clone(),
            ];
            for (column, value) in &p.overrides {
                let index = ENGLISH.iter().position(|c| c == column).expect("column");
                row[index] = value.clone();
            }
            rows.push(row);
        }
    }
    rows
}

/// The line (header = 1) of a person's row in a file written from `households`.
fn line_of(households: &[Household], id_number: &str) -> u64 {
    let index = rows(households, false)
        .iter()
        .position(|row| row[3] == id_number)
        .expect("person in the file");
    index as u64 + 2
}

fn csv_text(households: &[Household], style: Style) -> String {
    let chinese_values = style == Style::Gb18030;
    let headers = if chinese_values { CHINESE } else { ENGLISH };
    let mut text = headers.join(",") + "\n";
    for row in rows(households, chinese_values) {
        let cells: Vec<String> = row
            .iter()
            .map(|cell| match cell.contains([',', '"']) {
                true => format!("\"{}\"", cell.replace('"', "\"\"")),
                false => cell.clone(),
            })
            .collect();
        text.push_str(&cells.join(","));
        text.push('\n');
    }
    text
}

fn write_households(dir: &Path, name: &str, households: &[Household], style: Style) -> PathBuf {
    match style {
        Style::Xlsx => write_xlsx(dir, name, households),
        Style::Utf8 => write_text(dir, &format!("{name}.csv"), &csv_text(households, style)),
        Style::Utf8Bom => {
            let mut bytes = b"\xEF\xBB\xBF".to_vec();
            bytes.extend_from_slice(csv_text(households, style).as_bytes());
            let path = dir.join(format!("{name}.csv"));
            std::fs::write(&path, bytes).expect("write");
            path
        }
        Style::Gb18030 => {
            let text = csv_text(households, style);
            let (bytes, _, unmappable) = encoding_rs::GB18030.encode(&text);
            assert!(!unmappable);
            let path = dir.join(format!("{name}.csv"));
            std::fs::write(&path, bytes).expect("write");
            path
        }
    }
}

fn write_xlsx(dir: &Path, name: &str, households: &[Household]) -> PathBuf {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("households").expect("sheet name");
    for (column, header) in CHINESE.iter().enumerate() {
        sheet
            .write_string(0, column as u16, *header)
            .expect("header");
    }
    for (index, row) in rows(households, false).iter().enumerate() {
        for (column, cell) in row.iter().enumerate() {
            let (row_index, column_index) = (index as u32 + 1, column as u16);
            if cell.is_empty() {
                continue;
            }
            // Incomes and exit years as number cells, as Excel users type them.
            if ENGLISH[column] == "per_capita_income" || ENGLISH[column] == "exited_year" {
                let number: f64 = cell.parse().expect("number");
                sheet
                    .write_number(row_index, column_index, number)
                    .expect("number cell");
            } else {
                sheet
                    .write_string(row_index, column_index, cell)
                    .expect("text cell");
            }
        }
    }
    let path = dir.join(format!("{name}.xlsx"));
    workbook.save(&path).expect("save xlsx");
    path
}

// ---- driving ---------------------------------------------------------------------------------

/// Imports an extract whose removals are confirmed: the tests of removals' confirmation use
/// [`import_households`] directly.
async fn import(db: &Db, path: &Path, as_of: &str, load_valid: bool) -> ImportReport {
    let options = ImportOptions {
        load_valid,
        allow_removals: true,
        ..ImportOptions::default()
    };
    import_households(db, &ctx(), path, &options, date(as_of))
        .await
        .expect("import runs")
}

async fn import_facts(db: &Db, dir: &Path, households: &[Household], as_of: &str) -> ImportReport {
    let path = write_households(dir, &format!("households-{as_of}"), households, Style::Utf8);
    let report = import(db, &path, as_of, false).await;
    assert_eq!(report.errors, vec![], "import as of {as_of}");
    assert!(report.applied);
    report
}

async fn list(db: &Db, as_of: &str, region: Option<&str>) -> Vec<(String, String, i64)> {
    let query = HouseholdQuery {
        as_of: date(as_of),
        region: region.map(code),
        institution: None,
        limit: None,
        show_ids: false,
        today: date(AS_OF_2),
    };
    use_cases::list_households(db, &ctx(), &query)
        .await
        .expect("list")
        .into_iter()
        .map(|h| (h.version.household_id, h.version.facts.status, h.members))
        .collect()
}

fn ids(listing: &[(String, String, i64)]) -> Vec<&str> {
    listing.iter().map(|(id, _, _)| id.as_str()).collect()
}

async fn feed_since(db: &Db, since: i64) -> use_cases::FeedPage {
    let query = FeedQuery {
        since,
        region: None,
        institution: None,
        limit: None,
        show_ids: false,
        today: date(AS_OF_2),
    };
    use_cases::feed(db, &ctx(), &query).await.expect("feed")
}

async fn last_seq(db: &Db) -> i64 {
    fupin_store::registry::last_event_seq(db)
        .await
        .expect("last seq")
}

fn kinds(page: &use_cases::FeedPage) -> Vec<(String, String)> {
    let mut kinds: Vec<(String, String)> = page
        .events
        .iter()
        .map(|e| (e.household_id.clone(), e.kind.clone()))
        .collect();
    kinds.sort();
    kinds
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = expected
        .iter()
        .map(|(h, k)| (h.to_string(), k.to_string()))
        .collect();
    pairs.sort();
    pairs
}

/// The second extract: H07 added (identified 2017-09-01), H03 gone, H02 exited in 2017, H04's
/// income and a child's phone changed, H05's spouse left and a child was born; H01 and H06 as
/// before.
fn second() -> Vec<Household> {
    let mut households = base();
    households.retain(|h| h.id != "H03");
    let h02 = find(&mut households, "H02");
    h02.status = "exited";
    h02.exited_year = "2017".into();
    let h04 = find(&mut households, "H04");
    h04.income = "4100.50".into();
    h04.members[1].phone = "13900000001".into();
    let h05 = find(&mut households, "H05");
    h05.members.remove(1);
    h05.members.push(person("杨小", 24000, true, "child"));
    households.push(household(
        "H07",
        V3,
        "2017-09-01",
        vec![person("周强", 14000, true, "head")],
    ));
    households
}

// ---- tests -----------------------------------------------------------------------------------

/// The working table is analyzed once filled, inside the import: committed statistics describe
/// the file's 13 rows, not "never analyzed" (-1) nor an empty table, whatever autovacuum does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgresql_an_import_leaves_statistics_of_its_staged_rows() {
    let test_db = fupin_store::testing::TestDb::postgres().await;
    let db = test_db.db.clone();
    let dir = tempfile::tempdir().expect("dir");
    setup(&db, dir.path()).await;
    let reltuples = || async {
        sqlx::query_scalar::<_, f64>(
            "select cast(reltuples as float8) from pg_class where relname = 'registry_import_rows'",
        )
        .fetch_one(db.pool())
        .await
        .expect("pg_class")
    };
    assert_eq!(
        reltuples().await,
        -1.0,
        "never analyzed before the first import"
    );
    import_facts(&db, dir.path(), &base(), AS_OF_1).await;
    assert_eq!(reltuples().await, 13.0);
}

fupin_store::on_both_engines! {
    async fn a_good_file_loads_alike_in_every_encoding(db) {
        let dir = tempfile::tempdir().expect("dir");
        setup(&db, dir.path()).await;
        let facts = base();
        let path = write_households(dir.path(), "utf8", &facts, Style::Utf8);
        let report = import(&db, &path, AS_OF_1, false).await;
        assert_eq!(report.errors, vec![]);
        assert!(report.applied);
        assert_eq!((report.rows, report.encoding), (13, "UTF-8"));
        assert_eq!(
            (report.counts.added, report.counts.changed, report.counts.removed, report.counts.unchanged),
            (6, 0, 0, 0)
        );
        // The same registry in every other encoding and format: nothing to change.
        for (style, encoding) in [
            (Style::Utf8Bom, "UTF-8 (BOM)"),
            (Style::Gb18030, "GB18030"),
            (Style::Xlsx, "XLSX (UTF-8)"),
        ] {
            let path = write_households(dir.path(), &format!("{style:?}"), &facts, style);
            let report = import(&db, &path, AS_OF_1, false).await;
            assert_eq!(report.errors, vec![], "{style:?}");
            assert_eq!(report.encoding, encoding);
            assert_eq!(
                (report.counts.added, report.counts.changed, report.counts.removed, report.counts.unchanged),
                (0, 0, 0, 6),
                "{style:?} reads as the same registry"
            );
        }
        let listing = list(&db, AS_OF_1, None).await;
        assert_eq!(ids(&listing), ["H01", "H02", "H03", "H04", "H05", "H06"]);
        assert_eq!(listing[0], ("H01".into(), "poor".into(), 3));
        assert_eq!(listing[2], ("H03".into(), "exited".into(), 1));

        // Sex and birth date come from the ID number; listings mask it.
        let detail = use_cases::show_household(&db, &ctx(), "H01", date(AS_OF_1), false, date(AS_OF_1))
            .await
            .expect("show");
        let version = detail.version.expect("version on the date");
        assert_eq!(version.facts.other_causes, ["lack_funds", "lack_skills"]);
        assert_eq!(version.facts.per_capita_income.fen(), 320_000);
        assert_eq!(version.valid_from, date("2014-05-01"), "first version from identification");
        let head = &detail.members[0].member;
        assert_eq!((head.name.as_str(), head.relation.as_str(), head.sex.as_str()), ("张伟", "head", "male"));
        assert_eq!(head.birth_date, date("1971-11-27"));
        assert_eq!(head.id_number, format!("3611**********{}", &facts[0].members[0].id[14..]));
        assert_eq!(head.phone.as_deref(), Some("13800138000"));
        assert_eq!(detail.members[1].member.sex, "female");

        let page = feed_since(&db, 0).await;
        assert_eq!(page.events.len(), 6);
        assert!(page.events.iter().all(|e| e.kind == "added" && e.as_of == date(AS_OF_1)));
        assert_eq!(page.next, last_seq(&db).await);
        let members = &page.events[0].after.as_ref().expect("after")["members"];
        assert_eq!(members[0]["id_number"], format!("3611**********{}", &facts[0].members[0].id[14..]));
    }

    async fn a_second_extract_adds_changes_and_removes_and_the_feed_shows_exactly_that(db) {
        let dir = tempfile::tempdir().expect("dir");
        setup(&db, dir.path()).await;
        import_facts(&db, dir.path(), &base(), AS_OF_1).await;
        let cursor = feed_since(&db, 0).await.next;
        let records = audit_records(&db).await;

        let report = import_facts(&db, dir.path(), &second(), AS_OF_2).await;
        let counts = report.counts;
        assert_eq!(
            (counts.added, counts.changed, counts.removed, counts.unchanged),
            (1, 3, 1, 2)
        );
        // One audit record per changed household, plus the import's.
        assert_eq!(audit_records(&db).await, records + 5 + 1);

        let page = feed_since(&db, cursor).await;
        assert_eq!(
            kinds(&page),
            pairs(&[
                ("H02", "status_changed"),
                ("H03", "removed"),
                ("H04", "changed"),
                ("H04", "member_changed"),
                ("H05", "member_added"),
                ("H05", "member_removed"),
                ("H07", "added"),
            ])
        );
        assert!(page.events.windows(2).all(|w| w[0].seq < w[1].seq));
        assert!(page.events.iter().all(|e| e.as_of == date(AS_OF_2)));
        let status = page.events.iter().find(|e| e.kind == "status_changed").expect("status");
        assert_eq!(status.before.as_ref().expect("before")["status"], "poor");
        assert_eq!(status.after.as_ref().expect("after")["status"], "exited");
        assert_eq!(status.after.as_ref().expect("after")["exited_year"], 2017);
        let changed = page.events.iter().find(|e| e.kind == "changed").expect("changed");
        assert_eq!(changed.before.as_ref().expect("before")["per_capita_income"], "3200.00");
        assert_eq!(changed.after.as_ref().expect("after")["per_capita_income"], "4100.50");
        assert_eq!(changed.after.as_ref().expect("after").as_object().expect("object").len(), 1);
        let member = page.events.iter().find(|e| e.kind == "member_changed").expect("member");
        assert_eq!(member.after.as_ref().expect("after")["phone"], "13900000001");
        assert_eq!(member.before.as_ref().expect("before")["phone"], "0793-6221234");

        // Nothing more after the cursor.
        let rest = feed_since(&db, page.next).await;
        assert!(rest.events.is_empty());
        assert_eq!(rest.next, page.next);

        // By region and by responsible institution (ABC-SR has township 361128101: H05, H07).
        let by_region = use_cases::feed(&db, &ctx(), &FeedQuery {
            since: cursor, region: Some(code("361128101")), institution: None, limit: None,
            show_ids: false, today: date(AS_OF_2),
        }).await.expect("feed");
        assert_eq!(
            kinds(&by_region),
            pairs(&[("H05", "member_added"), ("H05", "member_removed"), ("H07", "added")])
        );
        let by_bank = use_cases::feed(&db, &ctx(), &FeedQuery {
            since: cursor, region: None, institution: Some("ABC-SR".into()), limit: None,
            show_ids: false, today: date(AS_OF_2),
        }).await.expect("feed");
        assert_eq!(kinds(&by_bank), kinds(&by_region));
        // Paging: two at a time, cursors chain without gaps.
        let mut since = cursor;
        let mut seen = Vec::new();
        loop {
            let page = use_cases::feed(&db, &ctx(), &FeedQuery {
                since, region: None, institution: None, limit: Some(2), show_ids: false,
                today: date(AS_OF_2),
            }).await.expect("feed");
            seen.extend(page.events.iter().map(|e| e.seq));
            if !page.more { break; }
            since = page.next;
        }
        assert_eq!(seen, page.events.iter().map(|e| e.seq).collect::<Vec<_>>());

        // The registry as of past dates follows the extracts and the identification dates.
        let first = list(&db, AS_OF_1, None).await;
        assert_eq!(ids(&first), ["H01", "H02", "H03", "H04", "H05", "H06"]);
        assert_eq!(first[1].1, "poor");
        assert_eq!(first[4].2, 2, "H05 before its change");
        let latest = list(&db, AS_OF_2, None).await;
        assert_eq!(ids(&latest), ["H01", "H02", "H04", "H05", "H06", "H07"]);
        assert_eq!(latest[1].1, "exited");
        assert_eq!(latest[3].2, 2);
        let between = list(&db, "2017-09-30", None).await;
        assert_eq!(ids(&between), ["H01", "H02", "H03", "H04", "H05", "H06", "H07"]);
        let early = list(&db, "2016-01-01", None).await;
        assert_eq!(ids(&early), ["H01", "H02", "H03", "H05", "H06"], "H04 identified 2016-02-01");
        let august = list(&db, "2017-08-01", None).await;
        assert!(!ids(&august).contains(&"H07"), "identified 2017-09-01");
        assert_eq!(ids(&list(&db, AS_OF_2, Some("361128100")).await), ["H01", "H02", "H04"]);
        let poor_now = use_cases::count_households(&db, date(AS_OF_2), Some(code("361128")), &["poor", "relapsed"])
            .await
            .expect("count");
        assert_eq!(poor_now, 5);

        let removed = use_cases::show_household(&db, &ctx(), "H03", date(AS_OF_2), false, date(AS_OF_2))
            .await
            .expect("show");
        assert_eq!(removed.identity.removed_on, Some(date(AS_OF_2)));
        assert!(removed.version.is_none() && removed.members.is_empty());
        let before = use_cases::show_household(&db, &ctx(), "H03", date(AS_OF_1), false, date(AS_OF_2))
            .await
            .expect("show");
        assert_eq!(before.members.len(), 1);

        // The same extract again changes nothing.
        let records = audit_records(&db).await;
        let seq = last_seq(&db).await;
        let again = import_facts(&db, dir.path(), &second(), AS_OF_2).await;
        assert_eq!(
            (again.counts.added, again.counts.changed, again.counts.removed, again.counts.unchanged),
            (0, 0, 0, 6)
        );
        assert_eq!((audit_records(&db).await, last_seq(&db).await), (records, seq));
    }

    async fn every_refusal_names_row_and_column_and_changes_nothing(db) {
        let dir = tempfile::tempdir().expect("dir");
        setup(&db, dir.path()).await;
        import_facts(&db, dir.path(), &base(), AS_OF_1).await;
        let records = audit_records(&db).await;
        let seq = last_seq(&db).await;
        for (index, (case, households, as_of, expected)) in refusal_cases().into_iter().enumerate() {
            let path = write_households(dir.path(), &format!("refusal-{index}"), &households, Style::Utf8);
            let report = import(&db, &path, as_of, false).await;
            assert!(!report.applied, "{case}");
            let messages: Vec<String> = report.errors.iter().map(|e| e.to_string()).collect();
            for (line, column, fragment) in &expected {
                assert!(
                    report.errors.iter().any(|e| e.line == *line && e.column == *column && e.message.contains(fragment)),
                    "{case}: expected line {line} column {column} {fragment:?} in {messages:#?}"
                );
            }
            for message in &messages {
                assert!(
                    !households.iter().flat_map(|h| &h.members).any(|p| message.contains(&p.id)),
                    "{case}: a full ID number in {message}"
                );
            }
        }
        assert_eq!((audit_records(&db).await, last_seq(&db).await), (records, seq));
        assert_eq!(ids(&list(&db, AS_OF_1, None).await), ["H01", "H02", "H03", "H04", "H05", "H06"]);
    }

    async fn a_file_with_errors_changes_nothing_unless_valid_households_are_loaded(db) {
        let dir = tempfile::tempdir().expect("dir");
        setup(&db, dir.path()).await;
        import_facts(&db, dir.path(), &base(), AS_OF_1).await;
        // H04 disagrees with itself, H05 has a bad ID, H03 and H06 are gone, H02 changed.
        let mut facts = base();
        facts.retain(|h| h.id != "H03" && h.id != "H06");
        find(&mut facts, "H02").income = "5000".into();
        find(&mut facts, "H04").members[2].overrides.push(("per_capita_income", "3300".into()));
        let bad_id = {
            let h05 = find(&mut facts, "H05");
            let mut id = h05.members[1].id.clone();
            let last = if id.ends_with('1') { "2" } else { "1" };
            id.replace_range(17.., last);
            h05.members[1].id = id.clone();
            id
        };
        let path = write_households(dir.path(), "partly-bad", &facts, Style::Utf8);
        let seq = last_seq(&db).await;
        let refused = import(&db, &path, AS_OF_2, false).await;
        assert!(!refused.applied);
        assert_eq!(refused.error_count(), 2, "{:#?}", refused.errors);
        assert_eq!(last_seq(&db).await, seq);

        let loaded = import(&db, &path, AS_OF_2, true).await;
        assert!(loaded.applied);
        assert_eq!(loaded.error_count(), 2);
        assert!(loaded.errors.iter().any(|e| e.line == line_of(&facts, &bad_id) && e.message.contains("check character")));
        assert_eq!(
            (loaded.counts.added, loaded.counts.changed, loaded.counts.removed, loaded.counts.unchanged),
            (0, 1, 2, 1),
            "H02 changed, H03 and H06 removed, H01 unchanged; H04 and H05 refused"
        );
        let latest = list(&db, AS_OF_2, None).await;
        assert_eq!(ids(&latest), ["H01", "H02", "H04", "H05"], "refused households are kept");
        let h04 = use_cases::show_household(&db, &ctx(), "H04", date(AS_OF_2), false, date(AS_OF_2))
            .await
            .expect("show");
        assert_eq!(h04.version.expect("kept").facts.per_capita_income.fen(), 320_000);
        assert_eq!(
            kinds(&feed_since(&db, seq).await),
            pairs(&[("H02", "changed"), ("H03", "removed"), ("H06", "removed")])
        );
    }

    async fn an_id_number_typed_into_excel_as_a_number_is_refused(db) {
        let dir = tempfile::tempdir().expect("dir");
        setup(&db, dir.path()).await;
        let facts = vec![household("H01", V1, "2014-05-01", vec![person("张伟", 8000, true, "head")])];
        let mut workbook = rust_xlsxwriter::Workbook::new();
        let sheet = workbook.add_worksheet();
        for (column, header) in ENGLISH.iter().enumerate() {
            sheet.write_string(0, column as u16, *header).expect("header");
        }
        for (column, cell) in rows(&facts, false)[0].iter().enumerate() {
            if ENGLISH[column] == "id_number" {
                // Excel keeps 15 significant digits: the number no longer is the ID.
                let number: f64 = cell[..17].parse().expect("digits");
                sheet.write_number(1, column as u16, number).expect("number");
            } else if !cell.is_empty() {
                sheet.write_string(1, column as u16, cell).expect("text");
            }
        }
        let path = dir.path().join("numbers.xlsx");
        workbook.save(&path).expect("save");
        let report = import(&db, &path, AS_OF_1, false).await;
        assert!(!report.applied);
        let error = report.errors.iter().find(|e| e.column == "id_number").expect("id error");
        assert!(error.message.contains("must be a text cell"), "{error}");
        assert!(error.value.contains('*'), "shown masked: {error}");
    }

    async fn a_dry_run_reports_and_changes_nothing(db) {
        let dir = tempfile::tempdir().expect("dir");
        setup(&db, dir.path()).await;
        let path = write_households(dir.path(), "dry", &base(), Style::Utf8);
        let options = ImportOptions { dry_run: true, ..ImportOptions::default() };
        let report = import_households(&db, &ctx(), &path, &options, date(AS_OF_1)).await.expect("import");
        assert!(!report.applied);
        assert_eq!(report.counts.added, 6);
        assert!(list(&db, AS_OF_1, None).await.is_empty());
        assert_eq!(last_seq(&db).await, 0);
    }

    async fn people_move_between_households_of_the_file_or_from_removed_ones(db) {
        let dir = tempfile::tempdir().expect("dir");
        setup(&db, dir.path()).await;
        import_facts(&db, dir.path(), &base(), AS_OF_1).await;
        let seq = last_seq(&db).await;
        let mut facts = base();
        // H01's child marries into H02; H03 is dissolved and its head joins H04.
        let child = find(&mut facts, "H01").members.remove(2);
        find(&mut facts, "H02").members.push(Person { relation: "spouse", ..child.clone() });
        let lone = facts.iter().find(|h| h.id == "H03").expect("H03").members[0].clone();
        facts.retain(|h| h.id != "H03");
        find(&mut facts, "H04").members.push(Person { relation: "other", ..lone.clone() });
        let report = import_facts(&db, dir.path(), &facts, AS_OF_2).await;
        assert_eq!((report.counts.changed, report.counts.removed), (3, 1));
        assert_eq!(
            kinds(&feed_since(&db, seq).await),
            pairs(&[
                ("H01", "member_removed"),
                ("H02", "member_added"),
                ("H03", "removed"),
                ("H04", "member_added"),
            ])
        );
        let h02 = use_cases::show_household(&db, &ctx(), "H02", date(AS_OF_2), true, date(AS_OF_2))
            .await
            .expect("show");
        assert!(h02.members.iter().any(|m| m.member.id_number == child.id));
        let h01_before = use_cases::show_household(&db, &ctx(), "H01", date(AS_OF_1), true, date(AS_OF_2))
            .await
            .expect("show");
        assert!(h01_before.members.iter().any(|m| m.member.id_number == child.id));
    }

    async fn extracts_are_loaded_across_many_chunks(db) {
        let dir = tempfile::tempdir().expect("dir");
        setup(&db, dir.path()).await;
        let villages = [V1, V2, V3];
        let mut facts: Vec<Household> = (0..1_200)
            .map(|n| {
                let members = (0..3)
                    .map(|m| {
                        let relation = if m == 0 { "head" } else { "child" };
                        person(&format!("村民{n}-{m}"), i64::from(n * 3 + m), m % 2 == 0, relation)
                    })
                    .collect();
                household(&format!("B{n:05}"), villages[n as usize % 3], "2015-01-01", members)
            })
            .collect();
        let first = import_facts(&db, dir.path(), &facts, AS_OF_1).await;
        assert_eq!((first.rows, first.counts.added), (3_600, 1_200));
        for h in facts.iter_mut().step_by(10) {
            h.income = "9999.99".into();
        }
        facts.truncate(1_150);
        let second = import_facts(&db, dir.path(), &facts, AS_OF_2).await;
        assert_eq!(
            (second.counts.added, second.counts.changed, second.counts.removed, second.counts.unchanged),
            (0, 115, 50, 1_035)
        );
        assert_eq!(list(&db, AS_OF_2, None).await.len(), 1_150);
        assert_eq!(list(&db, AS_OF_1, None).await.len(), 1_200);
        let again = import_facts(&db, dir.path(), &facts, AS_OF_2).await;
        assert_eq!(again.counts.unchanged, 1_150);
        let audit = fupin_app::audit::verify(&db).await.expect("verify");
        assert_eq!(audit.problems, vec![], "batched audit appends keep the chain");
    }

    async fn a_large_file_whose_last_row_is_bad_changes_nothing_and_again_is_all_unchanged(db) {
        // 10,002 rows: several staging batches and apply chunks before the bad row is read.
        let dir = tempfile::tempdir().expect("dir");
        setup(&db, dir.path()).await;
        let villages = [V1, V2, V3];
        let mut facts: Vec<Household> = (0..3_334)
            .map(|n| {
                let members = (0..3)
                    .map(|m| {
                        let relation = if m == 0 { "head" } else { "child" };
                        person(&format!("村民{n}-{m}"), i64::from(n * 3 + m), m % 2 == 0, relation)
                    })
                    .collect();
                household(&format!("L{n:05}"), villages[n as usize % 3], "2015-01-01", members)
            })
            .collect();
        let (seq, audited) = (last_seq(&db).await, audit_records(&db).await);
        let good = facts[3_333].members[2].id.clone();
        let wrong = if good.ends_with('0') { '1' } else { '0' };
        facts[3_333].members[2].id = format!("{}{wrong}", &good[..17]);
        let path = write_households(dir.path(), "bad-last", &facts, Style::Utf8);
        let refused = import(&db, &path, AS_OF_1, false).await;
        assert!(!refused.applied);
        assert_eq!(refused.rows, 10_002);
        let lines: Vec<u64> = refused.errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![10_003], "the last row (after the header) is named");
        assert_eq!(list(&db, AS_OF_1, None).await.len(), 0, "a failed file changes nothing");
        assert_eq!((last_seq(&db).await, audit_records(&db).await), (seq, audited));

        facts[3_333].members[2].id = good;
        let first = import_facts(&db, dir.path(), &facts, AS_OF_1).await;
        assert_eq!((first.rows, first.counts.added), (10_002, 3_334));
        let (seq, audited) = (last_seq(&db).await, audit_records(&db).await);
        let again = import_facts(&db, dir.path(), &facts, AS_OF_1).await;
        assert_eq!(
            (again.counts.added, again.counts.changed, again.counts.removed, again.counts.unchanged),
            (0, 0, 0, 3_334)
        );
        assert_eq!(
            (last_seq(&db).await, audit_records(&db).await),
            (seq, audited),
            "the same file again writes no event and no audit record"
        );

        // A phone where there was none, a member gone, a household field: three changed.
        facts[10].members[1].phone = "13900000000".into();
        facts[20].members.pop();
        facts[30].income = "100.00".into();
        let third = import_facts(&db, dir.path(), &facts, AS_OF_2).await;
        assert_eq!(
            (third.counts.added, third.counts.changed, third.counts.removed, third.counts.unchanged),
            (0, 3, 0, 3_331)
        );
        let changes = kinds(&feed_since(&db, seq).await);
        assert_eq!(
            changes,
            pairs(&[("L00010", "member_changed"), ("L00020", "member_removed"), ("L00030", "changed")])
        );
    }

    async fn full_id_numbers_are_for_allowed_roles_and_every_read_is_audited(db) {
        let dir = tempfile::tempdir().expect("dir");
        setup(&db, dir.path()).await;
        let facts = base();
        import_facts(&db, dir.path(), &facts, AS_OF_1).await;
        let head_id = facts[0].members[0].id.clone();
        let mut query = HouseholdQuery {
            as_of: date(AS_OF_1), region: None, institution: None, limit: None,
            show_ids: false, today: date(AS_OF_1),
        };
        let records = audit_records(&db).await;
        let masked = use_cases::list_households(&db, &ctx(), &query).await.expect("list");
        assert_eq!(masked[0].head_id_number.as_deref(), Some(format!("3611**********{}", &head_id[14..]).as_str()));
        assert_eq!(audit_records(&db).await, records, "masked reads are not audited");

        query.show_ids = true;
        let full = use_cases::list_households(&db, &ctx(), &query).await.expect("list");
        assert_eq!(full[0].head_id_number.as_deref(), Some(head_id.as_str()));
        let latest = fupin_store::audit::recent(&db, 1).await.expect("recent");
        assert_eq!((latest[0].entry.action.as_str(), latest[0].entry.entity.as_str()), ("member.read_id", "households"));
        assert_eq!(audit_records(&db).await, records + 1);
        use_cases::show_household(&db, &ctx(), "H01", date(AS_OF_1), true, date(AS_OF_1)).await.expect("show");
        let latest = fupin_store::audit::recent(&db, 1).await.expect("recent");
        assert_eq!((latest[0].entry.action.as_str(), latest[0].entry.entity_id.as_str()), ("member.read_id", "H01"));
        let page = use_cases::feed(&db, &ctx(), &FeedQuery {
            since: 0, region: None, institution: None, limit: None, show_ids: true, today: date(AS_OF_1),
        }).await.expect("feed");
        assert_eq!(page.events[0].after.as_ref().expect("after")["members"][0]["id_number"], head_id.as_str());
        assert_eq!(audit_records(&db).await, records + 3);

        // A regulator sees masked numbers only; finance does not read the registry.
        let regulator = ctx_as(Role::Regulator, Some("361128"), None);
        assert!(matches!(
            use_cases::list_households(&db, &regulator, &query).await,
            Err(AppError::Forbidden(_))
        ));
        query.show_ids = false;
        assert_eq!(use_cases::list_households(&db, &regulator, &query).await.expect("list").len(), 6);
        let finance = ctx_as(Role::Finance, None, None);
        assert!(matches!(use_cases::list_households(&db, &finance, &query).await, Err(AppError::Forbidden(_))));
        // A regulator of another county sees nothing of Poyang.
        let elsewhere = ctx_as(Role::Regulator, Some("361125"), None);
        assert!(use_cases::list_households(&db, &elsewhere, &query).await.expect("list").is_empty());
        // A bank sees the townships it is responsible for.
        let bank = ctx_as(Role::Bank, None, Some("ABC-SR"));
        let visible = use_cases::list_households(&db, &bank, &query).await.expect("list");
        assert_eq!(visible.iter().map(|h| h.version.household_id.as_str()).collect::<Vec<_>>(), ["H05", "H06"]);
        assert!(matches!(
            use_cases::show_household(&db, &bank, "H01", date(AS_OF_1), false, date(AS_OF_1)).await,
            Err(AppError::NotFound(_))
        ));
        use_cases::show_household(&db, &bank, "H05", date(AS_OF_1), true, date(AS_OF_1)).await.expect("own area");
    }

    async fn enterprises_and_the_people_they_lift(db) {
        let dir = tempfile::tempdir().expect("dir");
        setup(&db, dir.path()).await;
        import_facts(&db, dir.path(), &base(), AS_OF_1).await;
        let (leading, cooperative, farm) = (credit_code("91361128MA35000001"), credit_code("93361128MA35000002"), credit_code("92361128MA35000003"));
        let enterprises = format!(
            "credit_code,name,kind,industry,village_code,leading_level\n\
             {leading},鄱阳湖茶业有限公司,leading_enterprise,茶叶,{V1},provincial\n\
             {cooperative},东湖养猪专业合作社,农民专业合作社,生猪,{V2},\n\
             {farm},鸦鹊家庭农场,family_farm,水稻,{V3},\n"
        );
        let path = write_text(dir.path(), "enterprises.csv", &enterprises);
        let options = ImportOptions::default();
        let audited = audit_records(&db).await;
        let report = imports::run(&db, &ctx(), &path, &options, EnterpriseImporter::new(date(AS_OF_1)))
            .await
            .expect("enterprises");
        assert_eq!(report.errors, vec![]);
        assert_eq!(report.counts.added, 3);
        // The import holds its audit records and appends them before it commits: one a row, in
        // row order, on an intact chain.
        assert_eq!(audit_records(&db).await, audited + 3);
        assert_eq!(latest_audit(&db, 3).await, [
            format!("enterprise.save {leading}"),
            format!("enterprise.save {cooperative}"),
            format!("enterprise.save {farm}"),
        ]);
        let links = format!(
            "credit_code,household_id,link,people,since,until\n\
             {leading},H01,employment,2,2016-03-01,\n\
             {leading},H02,就业,1,2017-01-01,\n\
             {cooperative},H01,dividend,3,2016-06-01,\n\
             {cooperative},H04,purchase,1,2015-01-01,2017-01-01\n\
             {farm},H05,land_lease,2,2017-05-01,\n"
        );
        let path = write_text(dir.path(), "links.csv", &links);
        let report = imports::run(&db, &ctx(), &path, &options, EnterpriseLinkImporter::new(date(AS_OF_1)))
            .await
            .expect("links");
        assert_eq!(report.errors, vec![]);
        assert_eq!(report.counts.added, 5);
        assert_eq!(audit_records(&db).await, audited + 8);
        assert_eq!(latest_audit(&db, 2).await, [
            format!("enterprise_link.save {cooperative}/H04/purchase"),
            format!("enterprise_link.save {farm}/H05/land_lease"),
        ]);

        let summary = use_cases::enterprise_summary(&db, &ctx(), Some(code("361128")), date(AS_OF_1))
            .await
            .expect("summary");
        let kind = |name: &str| summary.by_kind.iter().find(|k| k.kind == name).expect("kind").clone();
        assert_eq!(summary.enterprises(), 3);
        assert_eq!((kind("leading_enterprise").enterprises, kind("leading_enterprise").people), (1, 3));
        assert_eq!((kind("cooperative").links, kind("cooperative").people), (1, 3), "H04's link ended");
        assert_eq!(kind("breeding_base").enterprises, 0);
        assert_eq!((summary.households_lifted, summary.people_lifted), (3, 3 + 1 + 2));
        let township = use_cases::enterprise_summary(&db, &ctx(), Some(code("361128100")), date("2016-12-31"))
            .await
            .expect("summary");
        assert_eq!(township.enterprises(), 0, "listed from the extract of {AS_OF_1}");
        let later = use_cases::enterprise_summary(&db, &ctx(), Some(code("361128100")), date(AS_OF_2))
            .await
            .expect("summary");
        assert_eq!((later.enterprises(), later.households_lifted, later.people_lifted), (2, 2, 4));

        // Again: nothing changes. Refusals name row and column.
        let path = write_text(dir.path(), "enterprises.csv", &enterprises);
        let again = imports::run(&db, &ctx(), &path, &options, EnterpriseImporter::new(date(AS_OF_1))).await.expect("again");
        assert_eq!(again.counts.unchanged, 3);
        let bad_code = wrong_check("91361128MA35000009");
        let bad = format!(
            "credit_code,name,kind,industry,village_code,leading_level\n\
             {bad_code},坏码公司,other,茶叶,{V1},\n\
             {farm},鸦鹊家庭农场,family_farm,水稻,{V3},national\n\
             {leading},无村公司,other,茶叶,361128100099,\n"
        );
        let path = write_text(dir.path(), "bad-enterprises.csv", &bad);
        let report = imports::run(&db, &ctx(), &path, &options, EnterpriseImporter::new(date(AS_OF_1))).await.expect("bad");
        assert!(!report.applied);
        let has = |line: u64, column: &str, fragment: &str| report.errors.iter().any(|e| e.line == line && e.column == column && e.message.contains(fragment));
        assert!(has(2, "credit_code", "check character"), "{:#?}", report.errors);
        assert!(has(3, "leading_level", "only a leading enterprise"), "{:#?}", report.errors);
        assert!(has(4, "village_code", "does not exist"), "{:#?}", report.errors);
        let bad_links = format!(
            "credit_code,household_id,link,people,since\n\
             {leading},H99,employment,1,2016-01-01\n\
             {leading},H05,employment,0,2016-01-01\n"
        );
        let path = write_text(dir.path(), "bad-links.csv", &bad_links);
        let report = imports::run(&db, &ctx(), &path, &options, EnterpriseLinkImporter::new(date(AS_OF_1))).await.expect("bad");
        assert!(!report.applied);
        assert!(report.errors.iter().any(|e| e.line == 2 && e.message.contains("not in the registry")), "{:#?}", report.errors);
        assert!(report.errors.iter().any(|e| e.line == 3 && e.column == "people"), "{:#?}", report.errors);
        assert_eq!(audit_records(&db).await, audited + 8, "unchanged and refused rows are not audited");
    }

    async fn a_partial_file_is_refused_naming_the_households_it_would_remove(db) {
        let dir = tempfile::tempdir().expect("dir");
        setup(&db, dir.path()).await;
        import_facts(&db, dir.path(), &base(), AS_OF_1).await;
        let seq = last_seq(&db).await;
        let records = audit_records(&db).await;
        // H01's rows alone: the file replaces 东湖村 (V1), where the registry also has H02.
        let mut partial = base();
        partial.retain(|h| h.id == "H01");
        let path = write_households(dir.path(), "one-household", &partial, Style::Utf8);
        let expected_villages = vec![imports::ReplacedVillage { village_code: code(V1), registered: 2, listed: 1, removed: 1 }];
        let expected_households = vec![imports::RemovedHousehold { household_id: "H02".into(), village_code: code(V1), head_name: "王芳".into() }];
        let message = "the file covers only part of village 361128100001: it lists 1 household(s) there and \
            would remove the other 1 of its 2 (H02 王芳); nothing was imported; check that the file is the \
            whole extract of these villages, and confirm the removals to apply them (--allow-removals; on \
            the imports page, \"allow removals\")";
        for dry_run in [true, false] {
            let options = ImportOptions { dry_run, ..ImportOptions::default() };
            let report = import_households(&db, &ctx(), &path, &options, date(AS_OF_2)).await.expect("import runs");
            assert!(!report.applied);
            let removals = report.removals.clone().expect("the removals are stated");
            assert_eq!((removals.villages, removals.households), (expected_villages.clone(), expected_households.clone()));
            let messages: Vec<(u64, &str)> = report.errors.iter().map(|e| (e.line, e.message.as_str())).collect();
            assert_eq!(messages, [(0, message)], "dry run {dry_run}");
        }
        // Refused even when loading the valid households.
        let options = ImportOptions { load_valid: true, ..ImportOptions::default() };
        let report = import_households(&db, &ctx(), &path, &options, date(AS_OF_2)).await.expect("import runs");
        assert!(!report.applied);
        assert_eq!((last_seq(&db).await, audit_records(&db).await), (seq, records), "nothing changed");
        assert_eq!(ids(&list(&db, AS_OF_2, None).await), ["H01", "H02", "H03", "H04", "H05", "H06"]);

        // Confirmed, the removal is applied and stated.
        let options = ImportOptions { allow_removals: true, ..ImportOptions::default() };
        let report = import_households(&db, &ctx(), &path, &options, date(AS_OF_2)).await.expect("import runs");
        assert!(report.applied, "{:#?}", report.errors);
        assert_eq!((report.counts.removed, report.counts.unchanged), (1, 1));
        assert_eq!(report.removals.expect("stated").households, expected_households);
        assert_eq!(ids(&list(&db, AS_OF_2, None).await), ["H01", "H03", "H04", "H05", "H06"]);
    }

    async fn a_full_file_with_ordinary_churn_needs_no_confirmation(db) {
        let dir = tempfile::tempdir().expect("dir");
        setup(&db, dir.path()).await;
        // 120 one-person households, 60 in each of 东湖村 and 西湖村.
        let many: Vec<Household> = (0..120)
            .map(|n| {
                let village = if n < 60 { V1 } else { V2 };
                household(&format!("H{:03}", 100 + n), village, "2014-05-01", vec![person(&format!("户主{n}"), 15_000 + n, true, "head")])
            })
            .collect();
        import_facts(&db, dir.path(), &many, AS_OF_1).await;
        // One household gone (0.83 %), one new: applied without confirmation, the removal named.
        let mut churn = many.clone();
        churn.retain(|h| h.id != "H105");
        churn.push(household("H300", V1, "2017-08-01", vec![person("新户", 16_000, false, "head")]));
        let path = write_households(dir.path(), "churn", &churn, Style::Utf8);
        let report = import_households(&db, &ctx(), &path, &ImportOptions::default(), date(AS_OF_2)).await.expect("import runs");
        assert!(report.applied, "{:#?}", report.errors);
        assert_eq!((report.counts.added, report.counts.removed, report.counts.unchanged), (1, 1, 119));
        let removals = report.removals.expect("stated");
        assert_eq!(removals.villages.iter().map(|v| (v.village_code.to_string(), v.registered, v.listed, v.removed)).collect::<Vec<_>>(),
            [(V1.to_string(), 60, 60, 1), (V2.to_string(), 60, 60, 0)]);
        assert_eq!(removals.households.iter().map(|h| (h.household_id.as_str(), h.head_name.as_str())).collect::<Vec<_>>(), [("H105", "户主5")]);

        // Two more gone of the 120 now registered (1.66 %): refused until confirmed.
        let mut fewer = churn.clone();
        fewer.retain(|h| h.id != "H110" && h.id != "H170");
        let path = write_households(dir.path(), "fewer", &fewer, Style::Utf8);
        let as_of = "2018-06-30";
        let refused = import_households(&db, &ctx(), &path, &ImportOptions::default(), date(as_of)).await.expect("import runs");
        assert!(!refused.applied);
        let text = refused.errors.iter().map(|e| e.message.as_str()).collect::<Vec<_>>().join("\n");
        assert!(text.starts_with("the file would remove 2 of the 120 households registered in the 2 village(s) it \
            replaces (1.66 %, more than 1 %: H110 户主10, H170 户主70); nothing was imported"), "{text}");
        let options = ImportOptions { allow_removals: true, ..ImportOptions::default() };
        let confirmed = import_households(&db, &ctx(), &path, &options, date(as_of)).await.expect("import runs");
        assert!(confirmed.applied, "{:#?}", confirmed.errors);
        assert_eq!(confirmed.counts.removed, 2);
    }

    async fn an_uploaded_file_is_named_once_by_the_name_its_user_gave_it(db) {
        let dir = tempfile::tempdir().expect("dir");
        setup(&db, dir.path()).await;
        let refusal = |outcome: fupin_app::Result<UploadOutcome>| match outcome {
            Err(AppError::File { path, message }) => format!("{path}: {message}"),
            other => panic!("refused as a whole file: {:?}", other.map(|o| o.report.errors)),
        };
        let poverty = ctx_as(Role::PovertyOffice, Some("361128"), None);
        let empty = import_upload(&db, &poverty, &upload_of("户籍.csv", b"", ImportOptions::default())).await;
        assert_eq!(refusal(empty), "户籍.csv: the file is empty: there is no header row");
        let old = import_upload(&db, &ctx(), &upload_of("名单.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", ImportOptions::default())).await;
        assert_eq!(refusal(old), "名单.xls: old .xls workbooks are not supported; save it as .xlsx or as CSV");
        let damaged = import_upload(&db, &ctx(), &upload_of("C:\\Users\\李\\户籍.xlsx", b"PK\x03\x04 not a workbook", ImportOptions::default())).await;
        let damaged = refusal(damaged);
        assert!(damaged.starts_with("户籍.xlsx: cannot read the workbook: "), "{damaged}");
        assert!(!damaged.contains("fupin-upload") && !damaged.contains("户籍.xlsx: 户籍.xlsx"), "{damaged}");
        // Errors inside the file name it the same way.
        let limits = fupin_app::ingest::Limits { max_rows: 1, ..Default::default() };
        let text = csv_text(&base(), Style::Utf8);
        let options = ImportOptions { limits, ..ImportOptions::default() };
        let report = import_upload(&db, &ctx(), &upload_of("户籍.csv", text.as_bytes(), options)).await.expect("a report").report;
        assert_eq!(report.file, "户籍.csv");
        let messages: Vec<&str> = report.errors.iter().map(|e| e.message.as_str()).collect();
        assert!(messages.contains(&"户籍.csv: line 3: more than 1 data rows (max_rows); split the file"), "{messages:?}");
    }
}

/// Audit entries on an intact chain, a batch record's entries counted one by one; an import's
/// own `import.file` record is not the entry of a row.
async fn audit_records(db: &Db) -> i64 {
    let chain = fupin_store::audit::verify(db).await.expect("verify");
    assert!(chain.problems.is_empty(), "{:?}", chain.problems);
    let records = fupin_store::audit::recent(db, i64::MAX)
        .await
        .expect("audit");
    let entries = records.iter().flat_map(|r| r.entries().expect("entries"));
    entries.filter(|e| e.action != "import.file").count() as i64
}

/// The last `count` audit entries as "action entity_id", oldest first, an import's own
/// `import.file` record left out.
async fn latest_audit(db: &Db, count: usize) -> Vec<String> {
    let entries = fupin_store::audit::recent_entries(db, count + 1)
        .await
        .expect("audit");
    let mut latest: Vec<String> = entries
        .iter()
        .filter(|e| e.action != "import.file")
        .take(count)
        .map(|e| format!("{} {}", e.action, e.entity_id))
        .collect();
    latest.reverse();
    latest
}

/// A unified social credit code: the first 17 characters given, the check character computed.
fn credit_code(text: &str) -> String {
    let first17 = &text[..17];
    let check = fupin_core::credit_code::check_character(first17).expect("17 characters");
    format!("{first17}{check}")
}

/// The same code with a wrong check character.
fn wrong_check(text: &str) -> String {
    let good = credit_code(text);
    let last = if good.ends_with('0') { '1' } else { '0' };
    format!("{}{last}", &good[..17])
}

type Expected = Vec<(u64, &'static str, String)>;

/// (case, file facts, as-of date, expected errors)
fn refusal_cases() -> Vec<(&'static str, Vec<Household>, &'static str, Expected)> {
    let mut cases = Vec::new();

    let mut facts = base();
    find(&mut facts, "H06").village = "361128101999".into();
    let line = line_of(&facts, &facts[5].members[0].id);
    cases.push((
        "unknown village",
        facts,
        AS_OF_1,
        vec![(line, "village_code", "does not exist".to_string())],
    ));

    let mut facts = base();
    let id = &mut find(&mut facts, "H01").members[2].id;
    let last = if id.ends_with('0') { "1" } else { "0" };
    id.replace_range(17.., last);
    let line = line_of(&facts, &facts[0].members[2].id);
    cases.push((
        "bad check character",
        facts,
        AS_OF_1,
        vec![(line, "id_number", "check character".to_string())],
    ));

    let mut facts = base();
    let mut newborn = person("未来", 0, true, "child");
    let first17 = "36112820200101001";
    newborn.id = format!("{first17}{}", check_character(first17).expect("digits"));
    find(&mut facts, "H01").members.push(newborn.clone());
    let line = line_of(&facts, &newborn.id);
    cases.push((
        "birth in the future",
        facts,
        AS_OF_1,
        vec![(line, "id_number", "after 2017-06-30".to_string())],
    ));

    let mut facts = base();
    find(&mut facts, "H04").members[2]
        .overrides
        .push(("per_capita_income", "3300".into()));
    let line = line_of(&facts, &facts[3].members[2].id);
    cases.push((
        "household columns disagree",
        facts,
        AS_OF_1,
        vec![(line, "per_capita_income", "must agree".to_string())],
    ));

    let mut facts = base();
    find(&mut facts, "H03").exited_year = String::new();
    let line = line_of(&facts, &facts[2].members[0].id);
    cases.push((
        "exited without a year",
        facts,
        AS_OF_1,
        vec![(line, "exited_year", "exit year".to_string())],
    ));

    let mut facts = base();
    find(&mut facts, "H05").income = "5万".into();
    let line = line_of(&facts, &facts[4].members[0].id);
    cases.push((
        "income not an amount",
        facts,
        AS_OF_1,
        vec![(line, "per_capita_income", "5万".to_string())],
    ));

    let mut facts = base();
    let (mojibake, _, _) = encoding_rs::WINDOWS_1252.decode("王芳".as_bytes());
    find(&mut facts, "H02").members[0].name = mojibake.into_owned();
    let line = line_of(&facts, &facts[1].members[0].id);
    cases.push((
        "mojibake",
        facts,
        AS_OF_1,
        vec![(line, "name", "wrong encoding".to_string())],
    ));

    let mut facts = base();
    find(&mut facts, "H05").members[1].relation = "head";
    let line = line_of(&facts, &facts[4].members[1].id);
    cases.push((
        "two heads",
        facts,
        AS_OF_1,
        vec![(line, "relation", "2 heads".to_string())],
    ));

    let mut facts = base();
    find(&mut facts, "H06").members[0].relation = "other";
    let line = line_of(&facts, &facts[5].members[0].id);
    cases.push((
        "no head",
        facts,
        AS_OF_1,
        vec![(line, "relation", "no head".to_string())],
    ));

    let mut facts = base();
    let twin = facts[0].members[2].clone();
    find(&mut facts, "H04").members.push(twin.clone());
    let first = line_of(&facts, &twin.id);
    let second = rows(&facts, false)
        .iter()
        .rposition(|row| row[3] == twin.id)
        .expect("second") as u64
        + 2;
    cases.push((
        "one person in two households",
        facts,
        AS_OF_1,
        vec![(
            second,
            "id_number",
            format!("two households: H01 (row {first}) and H04 (row {second})"),
        )],
    ));

    let mut facts = base();
    find(&mut facts, "H05").identified_on = "2017-07-01".into();
    let line = line_of(&facts, &facts[4].members[0].id);
    cases.push((
        "identified after the extract",
        facts,
        AS_OF_1,
        vec![(
            line,
            "identified_on",
            "after the date of the extract".to_string(),
        )],
    ));

    // A person of H01 (village V1, not in this file) listed in a household of V4.
    let elsewhere = vec![household(
        "H10",
        V4,
        "2015-01-01",
        vec![Person {
            relation: "head",
            ..base()[0].members[0].clone()
        }],
    )];
    cases.push((
        "a person already in a household the file does not cover",
        elsewhere,
        AS_OF_1,
        vec![(
            2,
            "id_number",
            "already a member of household H01".to_string(),
        )],
    ));

    cases.push((
        "an older extract",
        base(),
        "2017-01-01",
        vec![(0, "", "in date order".to_string())],
    ));

    // H01 moves to a village never imported, in an extract older than the one that listed it.
    let mut moved = vec![base()[0].clone()];
    moved[0].village = V4.into();
    cases.push((
        "a household changed by a later extract",
        moved,
        "2017-03-01",
        vec![(
            0,
            "",
            "H01 was already changed by an extract as of 2017-06-30".to_string(),
        )],
    ));

    cases
}

//! Territory imports and coverage, end to end through files, on both engines.
//!
//! The territory below is written out as files (CSV in UTF-8 or GB18030 with English or Chinese
//! headers, or XLSX) and imported; the expected coverage is computed here from the same table
//! of facts with plain loops, not by calling Fupin's code.

use std::path::{Path, PathBuf};

use fupin_app::imports::territory::{
    AssignmentImporter, InstitutionImporter, RegionImporter, ServicePointImporter,
};
use fupin_app::imports::{self, ImportOptions, ImportReport};
use fupin_app::{Actor, Ctx, Db};
use fupin_core::{BusinessDate, RegionCode};

fn ctx() -> Ctx {
    Ctx {
        actor: Actor::operator("tester"),
        now: "2017-07-01T09:00:00.000Z".into(),
        request_id: None,
    }
}

fn date(text: &str) -> BusinessDate {
    BusinessDate::parse(text).expect("test date")
}

// ---- the hand-made territory ----------------------------------------------------------------

const TOWNSHIPS: &[(&str, &str)] = &[
    ("361128100", "饶州街道"),
    ("361128101", "鸦鹊湖乡"),
    ("361128102", "莲花山乡"),
    ("361125100", "岑阳镇"),
];

/// (village code, name)
const VILLAGES: &[(&str, &str)] = &[
    ("361128100001", "东湖村"),
    ("361128100002", "西湖村"),
    ("361128101001", "鸦鹊村"),
    ("361128101002", "湖滨村"),
    ("361128102001", "莲花村"),
    ("361125100001", "岑阳村"),
    ("361125100002", "兴安村"),
];

/// (code, name, type, region)
const INSTITUTIONS: &[(&str, &str, &str, &str)] = &[
    ("PYRCB", "鄱阳农村商业银行", "rural_cooperative", "361128"),
    ("HFRCB", "横峰农村商业银行", "rural_cooperative", "361125"),
    (
        "ABC-SR",
        "中国农业银行上饶分行",
        "large_commercial",
        "361100",
    ),
    (
        "PSBC-SR",
        "中国邮政储蓄银行上饶分行",
        "postal_savings",
        "361100",
    ),
];

/// (township, institution, from, to)
const ASSIGNMENTS: &[(&str, &str, &str, Option<&str>)] = &[
    ("361128100", "PYRCB", "2016-01-01", None),
    ("361128101", "ABC-SR", "2016-01-01", Some("2017-03-01")),
    ("361128101", "PSBC-SR", "2017-03-01", None),
    ("361125100", "HFRCB", "2016-06-01", None),
];

/// (id, village, institution, kind, services, opened, closed)
type PointFacts = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
);

const SERVICE_POINTS: &[PointFacts] = &[
    (
        "SP1",
        "361128100001",
        "PYRCB",
        "outlet",
        "enquiry;bank_card;cash_withdrawal",
        "2010-05-01",
        None,
    ),
    (
        "SP2",
        "361128100001",
        "PYRCB",
        "atm",
        "cash_withdrawal",
        "2012-01-01",
        None,
    ),
    (
        "SP3",
        "361128100002",
        "PYRCB",
        "withdrawal_point",
        "enquiry;cash_withdrawal",
        "2015-03-01",
        None,
    ),
    (
        "SP4",
        "361128101001",
        "ABC-SR",
        "mobile",
        "enquiry",
        "2016-01-01",
        None,
    ),
    (
        "SP5",
        "361128101002",
        "PSBC-SR",
        "pos",
        "payment",
        "2014-01-01",
        Some("2017-01-01"),
    ),
    (
        "SP6",
        "361125100001",
        "HFRCB",
        "outlet",
        "enquiry",
        "2017-05-01",
        None,
    ),
    (
        "SP7",
        "361125100002",
        "HFRCB",
        "atm",
        "cash_withdrawal",
        "2016-01-01",
        None,
    ),
];

// ---- independent expectations --------------------------------------------------------------

fn in_force(from: &str, to: Option<&str>, on: &str) -> bool {
    from <= on && to.is_none_or(|to| on < to)
}

/// (assigned townships, per type in the order rural_cooperative, large_commercial, postal_savings)
fn expected_townships(on: &str) -> (u64, [u64; 3]) {
    let mut assigned = 0;
    let mut by_type = [0u64; 3];
    for (township, _) in TOWNSHIPS {
        let responsible = ASSIGNMENTS
            .iter()
            .find(|(t, _, from, to)| t == township && in_force(from, *to, on));
        if let Some((_, institution, _, _)) = responsible {
            assigned += 1;
            let kind = INSTITUTIONS
                .iter()
                .find(|i| i.0 == *institution)
                .expect("known")
                .2;
            let slot = ["rural_cooperative", "large_commercial", "postal_savings"]
                .iter()
                .position(|k| *k == kind)
                .expect("known type");
            by_type[slot] += 1;
        }
    }
    (assigned, by_type)
}

/// (with outlet, electronic only, mobile only, uncovered village codes)
fn expected_villages(on: &str) -> (u64, u64, u64, Vec<&'static str>) {
    let (mut outlet, mut electronic, mut mobile, mut uncovered) = (0, 0, 0, Vec::new());
    for (village, _) in VILLAGES {
        let kinds: Vec<&str> = SERVICE_POINTS
            .iter()
            .filter(|p| p.1 == *village && in_force(p.5, p.6, on))
            .map(|p| p.3)
            .collect();
        if kinds.contains(&"outlet") {
            outlet += 1;
        } else if kinds
            .iter()
            .any(|k| ["atm", "withdrawal_point", "pos", "other"].contains(k))
        {
            electronic += 1;
        } else if kinds.contains(&"mobile") {
            mobile += 1;
        } else {
            uncovered.push(*village);
        }
    }
    uncovered.sort();
    (outlet, electronic, mobile, uncovered)
}

// ---- writing the files -----------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq)]
enum Style {
    Utf8English,
    Gb18030Chinese,
    Xlsx,
}

struct Table {
    english: Vec<&'static str>,
    chinese: Vec<&'static str>,
    rows: Vec<Vec<String>>,
}

fn regions_table() -> Table {
    let mut rows: Vec<Vec<String>> = TOWNSHIPS
        .iter()
        .chain(VILLAGES)
        .map(|(code, name)| vec![code.to_string(), name.to_string(), String::new()])
        .collect();
    // Children before their parents: the file order must not matter.
    rows.reverse();
    Table {
        english: vec!["code", "name", "population"],
        chinese: vec!["代码", "名称", "人口"],
        rows,
    }
}

fn institutions_table() -> Table {
    let rows = INSTITUTIONS
        .iter()
        .map(|(code, name, kind, region)| {
            vec![
                code.to_string(),
                name.to_string(),
                kind.to_string(),
                region.to_string(),
            ]
        })
        .collect();
    Table {
        english: vec!["code", "name", "type", "region_code"],
        chinese: vec!["机构代码", "机构名称", "机构类型", "所在地区代码"],
        rows,
    }
}

fn assignments_table() -> Table {
    let rows = ASSIGNMENTS
        .iter()
        .map(|(township, institution, from, to)| {
            vec![
                township.to_string(),
                institution.to_string(),
                from.to_string(),
                to.unwrap_or("").to_string(),
            ]
        })
        .collect();
    Table {
        english: vec![
            "township_code",
            "institution_code",
            "effective_from",
            "effective_to",
        ],
        chinese: vec!["乡镇代码", "责任机构代码", "起始日期", "终止日期"],
        rows,
    }
}

fn service_points_table() -> Table {
    let rows = SERVICE_POINTS
        .iter()
        .map(|p| {
            vec![
                p.0.to_string(),
                p.1.to_string(),
                p.2.to_string(),
                p.3.to_string(),
                p.4.to_string(),
                p.5.to_string(),
                p.6.unwrap_or("").to_string(),
            ]
        })
        .collect();
    Table {
        english: vec![
            "id",
            "village_code",
            "institution_code",
            "kind",
            "services",
            "opened_on",
            "closed_on",
        ],
        chinese: vec![
            "服务点编号",
            "行政村代码",
            "机构代码",
            "类型",
            "服务项目",
            "开办日期",
            "撤销日期",
        ],
        rows,
    }
}

fn write(dir: &Path, kind: &str, table: &Table, style: Style) -> PathBuf {
    match style {
        Style::Xlsx => write_xlsx(dir, kind, table),
        Style::Utf8English => write_csv(dir, kind, &table.english, &table.rows, false),
        Style::Gb18030Chinese => write_csv(dir, kind, &table.chinese, &table.rows, true),
    }
}

fn write_csv(
    dir: &Path,
    kind: &str,
    headers: &[&str],
    rows: &[Vec<String>],
    gb18030: bool,
) -> PathBuf {
    let mut text = headers.join(",") + "\n";
    for row in rows {
        text.push_str(&row.join(","));
        text.push('\n');
    }
    let bytes = if gb18030 {
        encoding_rs::GB18030.encode(&text).0.into_owned()
    } else {
        text.into_bytes()
    };
    let path = dir.join(format!("{kind}.csv"));
    std::fs::write(&path, bytes).expect("write csv");
    path
}

fn write_xlsx(dir: &Path, kind: &str, table: &Table) -> PathBuf {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name(kind).expect("sheet name");
    for (column, header) in table.chinese.iter().enumerate() {
        sheet
            .write_string(0, column as u16, *header)
            .expect("header");
    }
    for (index, row) in table.rows.iter().enumerate() {
        for (column, cell) in row.iter().enumerate() {
            if !cell.is_empty() {
                sheet
                    .write_string(index as u32 + 1, column as u16, cell)
                    .expect("cell");
            }
        }
    }
    let path = dir.join(format!("{kind}.xlsx"));
    workbook.save(&path).expect("save xlsx");
    path
}

// ---- driving imports -------------------------------------------------------------------------

async fn import(db: &Db, kind: &str, path: &Path, dry_run: bool) -> ImportReport {
    let options = ImportOptions {
        dry_run,
        ..ImportOptions::default()
    };
    // A display on another thread would read this count while the import runs.
    options.progress.start(kind, None);
    let ctx = ctx();
    let result = match kind {
        "regions" => imports::run(db, &ctx, path, &options, RegionImporter::default()).await,
        "institutions" => {
            imports::run(db, &ctx, path, &options, InstitutionImporter::default()).await
        }
        "assignments" => {
            imports::run(db, &ctx, path, &options, AssignmentImporter::default()).await
        }
        "service_points" => {
            imports::run(db, &ctx, path, &options, ServicePointImporter::default()).await
        }
        other => panic!("unknown kind {other}"),
    };
    let report = result.expect("import runs");
    let live = options.progress.snapshot().expect("a step under way");
    assert_eq!(
        live.rows, report.rows,
        "the live count is every data row read"
    );
    report
}

async fn setup(db: &Db) {
    fupin_app::regions::load_reference_data(db, &ctx())
        .await
        .expect("reference data");
    fupin_app::territory::load_builtin_groups(db, &ctx())
        .await
        .expect("groups");
}

async fn import_all(db: &Db, dir: &Path, style: Style) -> Vec<ImportReport> {
    let mut reports = Vec::new();
    for (kind, table) in [
        ("regions", regions_table()),
        ("institutions", institutions_table()),
        ("assignments", assignments_table()),
        ("service_points", service_points_table()),
    ] {
        let path = write(dir, kind, &table, style);
        let report = import(db, kind, &path, false).await;
        assert_eq!(report.errors, vec![], "{kind} in {}", report.encoding);
        assert!(report.applied, "{kind} applied");
        reports.push(report);
    }
    reports
}

async fn assert_coverage(db: &Db, on: &str) {
    let (assigned, by_type) = expected_townships(on);
    let townships = fupin_app::territory::township_coverage(db, &ctx(), date(on), None)
        .await
        .expect("townships");
    assert_eq!(
        townships.total(),
        TOWNSHIPS.len() as u64,
        "townships on {on}"
    );
    assert_eq!(townships.assigned(), assigned, "assigned on {on}");
    let type_count = |kind: &str| {
        townships
            .by_type
            .iter()
            .find(|(k, _)| k == kind)
            .map(|(_, n)| *n)
    };
    assert_eq!(type_count("rural_cooperative"), Some(by_type[0]), "on {on}");
    assert_eq!(type_count("large_commercial"), Some(by_type[1]), "on {on}");
    assert_eq!(type_count("postal_savings"), Some(by_type[2]), "on {on}");

    let (outlet, electronic, mobile, uncovered) = expected_villages(on);
    let villages = fupin_app::territory::village_coverage(db, &ctx(), date(on), None)
        .await
        .expect("villages");
    assert_eq!(villages.total, VILLAGES.len() as u64);
    assert_eq!(
        (
            villages.with_outlet,
            villages.electronic_only,
            villages.mobile_only
        ),
        (outlet, electronic, mobile),
        "channels on {on}"
    );
    let listed: Vec<String> = villages
        .uncovered
        .iter()
        .map(|(code, _)| code.to_string())
        .collect();
    assert_eq!(
        listed,
        uncovered.iter().map(|c| c.to_string()).collect::<Vec<_>>(),
        "uncovered on {on}"
    );
}

/// Audit entries on an intact chain, a batch record's entries counted one by one; an import's
/// own `import.file` record is not the entry of a row.
async fn audit_records(db: &Db) -> i64 {
    let chain = fupin_app::audit::verify(db).await.expect("verify");
    assert!(chain.problems.is_empty(), "{:?}", chain.problems);
    let records = fupin_store::audit::recent(db, i64::MAX)
        .await
        .expect("audit");
    let entries = records.iter().flat_map(|r| r.entries().expect("entries"));
    entries.filter(|e| e.action != "import.file").count() as i64
}

fupin_store::on_both_engines! {
    async fn utf8_csv_imports_and_coverage_matches(db) {
        setup(&db).await;
        let dir = tempfile::tempdir().expect("dir");
        let audited = audit_records(&db).await;
        let reports = import_all(&db, dir.path(), Style::Utf8English).await;
        assert_eq!(reports[0].counts.added, (TOWNSHIPS.len() + VILLAGES.len()) as u64);
        // Each import holds its audit records and appends them before it commits: one a row
        // written, on an intact chain.
        let written: u64 = reports.iter().map(|r| r.counts.added + r.counts.changed).sum();
        assert_eq!(audit_records(&db).await, audited + written as i64);
        assert_eq!(reports[0].encoding, "UTF-8");
        for on in ["2016-06-30", "2017-02-28", "2017-06-30"] {
            assert_coverage(&db, on).await;
        }
        // Within a county only.
        let poyang = RegionCode::parse("361128").expect("code");
        let villages = fupin_app::territory::village_coverage(&db, &ctx(), date("2017-06-30"), Some(poyang)).await.expect("villages");
        assert_eq!(villages.total, 5);
    }

    async fn gb18030_chinese_headers_give_the_same_answer(db) {
        setup(&db).await;
        let dir = tempfile::tempdir().expect("dir");
        let reports = import_all(&db, dir.path(), Style::Gb18030Chinese).await;
        assert_eq!(reports[1].encoding, "GB18030");
        assert_coverage(&db, "2017-06-30").await;
    }

    async fn xlsx_gives_the_same_answer(db) {
        setup(&db).await;
        let dir = tempfile::tempdir().expect("dir");
        let reports = import_all(&db, dir.path(), Style::Xlsx).await;
        assert_eq!(reports[0].format, "XLSX");
        assert_coverage(&db, "2017-06-30").await;
    }

    async fn a_second_import_of_the_same_files_changes_nothing(db) {
        setup(&db).await;
        let dir = tempfile::tempdir().expect("dir");
        import_all(&db, dir.path(), Style::Utf8English).await;
        let records = audit_records(&db).await;
        for report in import_all(&db, dir.path(), Style::Utf8English).await {
            assert_eq!((report.counts.added, report.counts.changed), (0, 0), "{}", report.kind);
            assert_eq!(report.counts.unchanged, report.rows, "{}", report.kind);
        }
        assert_eq!(audit_records(&db).await, records, "no new audit records");
    }

    async fn a_changed_file_updates_what_changed_and_audits_it(db) {
        setup(&db).await;
        let dir = tempfile::tempdir().expect("dir");
        import_all(&db, dir.path(), Style::Utf8English).await;
        let records = audit_records(&db).await;
        let mut table = institutions_table();
        table.rows[0][1] = "鄱阳农商银行".to_string();
        let path = write(dir.path(), "institutions", &table, Style::Utf8English);
        let report = import(&db, "institutions", &path, false).await;
        assert_eq!((report.counts.changed, report.counts.unchanged), (1, 3));
        assert_eq!(audit_records(&db).await, records + 1);
        let latest = fupin_store::audit::recent_entries(&db, 2).await.expect("recent");
        assert_eq!(latest[0].action, "import.file");
        assert!(latest[1].before_json.as_deref().unwrap_or("").contains("鄱阳农村商业银行"));
        assert!(latest[1].after_json.as_deref().unwrap_or("").contains("鄱阳农商银行"));
    }

    async fn a_dry_run_changes_nothing(db) {
        setup(&db).await;
        let dir = tempfile::tempdir().expect("dir");
        let path = write(dir.path(), "regions", &regions_table(), Style::Utf8English);
        let report = import(&db, "regions", &path, true).await;
        assert!(!report.applied);
        assert_eq!(report.counts.added, 11);
        let villages = fupin_app::territory::village_coverage(&db, &ctx(), date("2017-06-30"), None).await.expect("villages");
        assert_eq!(villages.total, 0);
    }

    async fn refusals_name_row_column_and_change_nothing(db) {
        setup(&db).await;
        let dir = tempfile::tempdir().expect("dir");
        import_all(&db, dir.path(), Style::Utf8English).await;
        let records = audit_records(&db).await;
        for (kind, content, expected) in refusal_cases() {
            let path = dir.path().join(format!("{kind}-bad.csv"));
            std::fs::write(&path, content).expect("write");
            let report = import(&db, kind, &path, false).await;
            assert!(!report.applied, "{kind}: {content}");
            let messages: Vec<String> = report.errors.iter().map(|e| e.to_string()).collect();
            for (line, column, fragment) in expected {
                assert!(
                    report.errors.iter().any(|e| e.line == *line && e.column == *column && e.message.contains(fragment)),
                    "{kind}: expected line {line} column {column} {fragment:?} in {messages:#?}"
                );
            }
        }
        assert_eq!(audit_records(&db).await, records, "refused files changed nothing");
        assert_coverage(&db, "2017-06-30").await;
    }
}

type Expected = &'static [(u64, &'static str, &'static str)];

fn refusal_cases() -> Vec<(&'static str, &'static str, Expected)> {
    vec![
        (
            "regions",
            "code,name\n361128100009,新村\n361199100001,无县村\n361128103001,无乡村\n",
            &[
                (3, "code", "county 361199000000"),
                (4, "code", "township 361128103000"),
            ],
        ),
        (
            "regions",
            "code,name\n361128100001,东湖村\n361128100001,东湖村二\n",
            &[(3, "code", "appears twice: rows 2 and 3")],
        ),
        (
            "regions",
            "code,name,population\n3611281000011,太长\n361128100003,,x\n",
            &[
                (2, "code", "12"),
                (3, "name", "required"),
                (3, "population", ""),
            ],
        ),
        (
            "regions",
            "code,name\n361128100003,â€œ东湖â€\n",
            &[(2, "name", "encoding")],
        ),
        (
            "institutions",
            "code,name,type,region_code\nNEW1,新银行,credit_union,361128\nNEW2,新银行二,other,369999\n",
            &[
                (2, "type", "credit_union"),
                (3, "region_code", "does not exist"),
            ],
        ),
        (
            "institutions",
            "code,name,type,region_code,parent_code\nNEW3,新银行三,other,361128,NOPE\n",
            &[(2, "parent_code", "does not exist")],
        ),
        (
            "assignments",
            "township_code,institution_code,effective_from\n361128102,PYRCB,2017-02-30\n361128102001,PYRCB,2017-01-01\n",
            &[
                (2, "effective_from", "2017-02-30"),
                (3, "township_code", "not a township"),
            ],
        ),
        (
            "assignments",
            "township_code,institution_code,effective_from,effective_to\n361128102,PYRCB,2017-01-01,\n361128102,ABC-SR,2017-03-01,\n361128100,ABC-SR,2016-06-01,\n",
            &[
                (
                    3,
                    "effective_from",
                    "row 2 (PYRCB from 2017-01-01) and row 3 (ABC-SR from 2017-03-01)",
                ),
                (
                    4,
                    "effective_from",
                    "the stored assignment (PYRCB from 2016-01-01) and row 4",
                ),
            ],
        ),
        (
            "service_points",
            "id,village_code,institution_code,kind,services,opened_on\nX1,361128102001,PYRCB,kiosk,enquiry,2017-01-01\nX2,361128102001,PYRCB,atm,teleport,2017-01-01\nX3,361128102001,NOBANK,atm,,20170101\n",
            &[
                (2, "kind", "kiosk"),
                (3, "services", "teleport"),
                (4, "institution_code", "does not exist"),
            ],
        ),
        (
            "service_points",
            "id,village_code,institution_code,kind,opened_on,colour\nX4,361128102001,PYRCB,atm,2017-01-01,red\n",
            &[(1, "colour", "unknown column")],
        ),
    ]
}

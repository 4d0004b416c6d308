//! The regulator's report: the indicators of a region or group as of a date, written as XLSX
//! (one sheet per section, formatted, with native Excel charts), CSV or JSON by extension.
//! Figures are exactly those of `fupin indicators`.

use std::path::Path;

use fupin_core::{BusinessDate, RegionCode, RegionLevel};
use fupin_store::Db;
use rust_decimal::prelude::ToPrimitive;
use rust_xlsxwriter::{Chart, ChartType, Format, FormatAlign, Workbook, Worksheet, XlsxError};
use serde_json::json;

use crate::context::Ctx;
use crate::error::{AppError, Result};
use crate::indicators::{self, Request, Scope, Value};
use crate::ingest::formula_escape;

/// The sections, in report order: (key, sheet title).
pub const SECTIONS: &[(&str, &str)] = &[
    ("territory", "片区与服务 Territory"),
    ("registry", "建档与评级 Registry"),
    ("loans", "贷款与质量 Loans"),
    ("funds", "贴息与风补 Funds"),
    ("insurance", "涉农保险 Insurance"),
    ("industry", "产业扶贫 Industry"),
    ("returns", "统计报表 Returns"),
];

/// Indicators shown per county on the returns sheet, with a chart of the first's growth.
const BY_COUNTY: &[&str] = &[
    "loans_total_balance",
    "loans_total_growth",
    "microcredit_balance",
    "poor_population",
];

/// A report: the values for the scope, and per county.
pub struct Report {
    pub title: String,
    pub request: Request,
    pub base: BusinessDate,
    pub values: Vec<Value>,
    /// (county code, county name, values of [`BY_COUNTY`])
    pub counties: Vec<(RegionCode, String, Vec<Value>)>,
    /// Alerts still to be worked on by (rule, county, institution or ''), when the actor reads
    /// alerts; none otherwise.
    pub alerts: Vec<(String, String, String, i64)>,
    /// The principal falling due per month and county over the 24 months after the date, of
    /// each root region of the scope.
    pub maturity: Vec<crate::loans::maturity::MaturityWall>,
    /// The loss waterfall of the scope (its roots added up), for those who see the county
    /// funds' figures.
    pub waterfall: Option<crate::guarantees::Figures>,
}

/// The loss waterfall's sheet.
pub const WATERFALL_SHEET: &str = "损失分担 Loss waterfall";

/// Payers' names on the waterfall sheet, in Chinese and English.
const PAYER_NAMES: &[(&str, &str)] = &[
    ("insurance", "保险 Insurance"),
    ("county_fund", "县担保基金 County guarantee fund"),
    ("national", "国家融资担保基金 National re-guarantee"),
    ("provincial", "省级再担保 Provincial re-guarantee"),
    ("company", "融资担保公司 Guarantee company"),
    ("household", "农户担保人 Household guarantor"),
    ("enterprise", "企业担保人 Enterprise guarantor"),
    ("risk_fund", "风险补偿金 Risk-compensation fund"),
];

/// The maturity wall's sheet.
pub const MATURITY_SHEET: &str = "到期墙 Maturity wall";

/// Evaluates everything a report shows.
pub async fn build(db: &Db, ctx: &Ctx, request: &Request) -> Result<Report> {
    let base = request
        .base
        .or_else(|| request.as_of.end_of_previous_year())
        .ok_or_else(|| AppError::Invalid("no base date".into()))?;
    let values = indicators::evaluate(db, ctx, request).await?;
    let mut counties = Vec::new();
    for county in counties_of(db, request).await? {
        let county_request = Request {
            scope: Scope::Region(county.code),
            codes: Some(BY_COUNTY.iter().map(|c| c.to_string()).collect()),
            ..request.clone()
        };
        counties.push((
            county.code,
            county.name.clone(),
            indicators::evaluate(db, ctx, &county_request).await?,
        ));
    }
    let roots = match &request.scope {
        Scope::Region(code) => vec![*code],
        Scope::Group(name) => crate::territory::group_members_on(db, name, request.as_of).await?,
    };
    let mut maturity = Vec::with_capacity(roots.len());
    // The wall is the loans' detail: only for roles that read loans (not the poverty office).
    let reads_loans = crate::access::allows(
        ctx.actor.role,
        crate::access::Area::Loans,
        crate::access::Access::Read,
    );
    for root in roots.into_iter().filter(|_| reads_loans) {
        maturity.push(crate::loans::maturity::wall_for(db, ctx, Some(root), request.as_of).await?);
    }
    let title = match &request.scope {
        Scope::Region(code) => crate::regions::get(db, *code)
            .await?
            .map_or(code.to_string(), |r| r.name),
        Scope::Group(name) => name.clone(),
    };
    let alerts = open_alerts(db, ctx, request).await?;
    let waterfall = waterfall_of(db, ctx, request).await?;
    Ok(Report {
        title,
        request: request.clone(),
        base,
        values,
        counties,
        alerts,
        maturity,
        waterfall,
    })
}

/// The waterfall figures of the report's roots added up, for those who see the funds.
async fn waterfall_of(
    db: &Db,
    ctx: &Ctx,
    request: &Request,
) -> Result<Option<crate::guarantees::Figures>> {
    if !crate::access::sees_fund_figures(ctx) {
        return Ok(None);
    }
    let roots = match &request.scope {
        Scope::Region(code) => vec![*code],
        Scope::Group(name) => crate::territory::group_members_on(db, name, request.as_of).await?,
    };
    let mut total = crate::guarantees::Figures::default();
    for root in roots {
        let figures = crate::guarantees::figures(db, root.prefix(), request.as_of).await?;
        total = total.plus(&figures);
    }
    Ok(Some(total))
}

/// The open alerts of the report's region by rule, county and bank (a region group: its
/// members'), for actors who read alerts.
async fn open_alerts(
    db: &Db,
    ctx: &Ctx,
    request: &Request,
) -> Result<Vec<(String, String, String, i64)>> {
    use crate::access::{Access, Area};
    if !crate::access::allows(ctx.actor.role, Area::Alerts, Access::Read) {
        return Ok(Vec::new());
    }
    let regions = match &request.scope {
        Scope::Region(code) => vec![*code],
        Scope::Group(name) => crate::territory::group_members_on(db, name, request.as_of).await?,
    };
    let mut counts = Vec::new();
    for region in regions {
        let query = crate::alerts::ListQuery {
            region: Some(region),
            institution: request.institution.clone(),
            live_only: true,
            ..Default::default()
        };
        // A member of a group outside the actor's region has no alerts for it.
        match crate::alerts::counts(db, ctx, &query).await {
            Ok(found) => counts.extend(found),
            Err(AppError::NotFound(_)) => {}
            Err(other) => return Err(other),
        }
    }
    Ok(counts)
}

async fn counties_of(db: &Db, request: &Request) -> Result<Vec<fupin_store::regions::Region>> {
    let roots = match &request.scope {
        Scope::Region(code) => vec![*code],
        Scope::Group(name) => crate::territory::group_members_on(db, name, request.as_of).await?,
    };
    let mut counties = Vec::new();
    for root in roots {
        if root.level() > RegionLevel::County {
            continue;
        }
        let query = crate::regions::RegionQuery {
            level: Some(RegionLevel::County),
            within: Some(root),
            as_of: Some(request.as_of),
            limit: None,
        };
        counties.extend(crate::regions::list(db, &query).await?);
    }
    Ok(counties)
}

/// The report as a file's bytes: `xlsx`, `csv` or `json`.
pub fn render(report: &Report, format: &str) -> Result<Vec<u8>> {
    match format {
        "xlsx" => workbook(report)
            .and_then(|mut workbook| workbook.save_to_buffer())
            .map_err(|e| AppError::Invalid(format!("the workbook could not be written: {e}"))),
        "csv" => Ok(csv(report)),
        "json" => Ok(json_text(report).into_bytes()),
        other => Err(AppError::field(
            "format",
            format!("{other:?} is not xlsx, csv or json"),
        )),
    }
}

/// Writes the report; the format follows the file's extension (.xlsx, .csv or .json).
pub fn write(report: &Report, path: &Path) -> Result<()> {
    let extension = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    let result = match extension.as_deref() {
        Some("xlsx") => write_xlsx(report, path).map_err(|e| e.to_string()),
        Some("csv") => std::fs::write(path, csv(report)).map_err(|e| e.to_string()),
        Some("json") => std::fs::write(path, json_text(report)).map_err(|e| e.to_string()),
        _ => Err("give a file ending in .xlsx, .csv or .json".to_string()),
    };
    result.map_err(|message| AppError::File {
        path: path.display().to_string(),
        message,
    })
}

fn section_of(value: &Value) -> &str {
    SECTIONS
        .iter()
        .find(|(key, _)| *key == value.indicator.section)
        .map_or("returns", |(key, _)| key)
}

/// A numerator or denominator as the report shows it: amounts and counts exact (two decimals
/// at most already), ratios such as a growth rate rounded half away from zero to two decimals.
fn operand_text(value: rust_decimal::Decimal) -> String {
    value
        .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
        .normalize()
        .to_string()
}

fn row_cells(value: &Value) -> [String; 10] {
    [
        value.indicator.code.clone(),
        value.indicator.name.clone(),
        value.indicator.name_en.clone(),
        value.indicator.unit.clone(),
        value.text().unwrap_or_default(),
        value.numerator.map(operand_text).unwrap_or_default(),
        value.denominator.map(operand_text).unwrap_or_default(),
        value
            .reported
            .as_ref()
            .map(|r| r.value.clone())
            .unwrap_or_default(),
        value
            .reported
            .as_ref()
            .map(|r| {
                if r.differs {
                    "不一致 differs".to_string()
                } else {
                    "一致 agrees".to_string()
                }
            })
            .unwrap_or_default(),
        value.problem.clone().unwrap_or_default(),
    ]
}

const HEADERS: [&str; 10] = [
    "代码 code",
    "指标",
    "indicator",
    "单位 unit",
    "值 value",
    "分子 numerator",
    "分母 denominator",
    "公布值 reported",
    "核对 check",
    "说明 note",
];

/// The report as CSV (UTF-8 with a BOM, so Excel reads the Chinese), formulas defused.
fn csv(report: &Report) -> Vec<u8> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer("\u{feff}".as_bytes().to_vec());
    let header = std::iter::once("section").chain(HEADERS.iter().copied());
    // Writing to memory cannot fail; a failure would show as a short file, never a panic.
    let _ = writer.write_record(header);
    for value in &report.values {
        let mut cells = vec![section_of(value).to_string()];
        cells.extend(row_cells(value));
        let _ = writer.write_record(cells.iter().map(|c| formula_escape(c).into_owned()));
    }
    writer.into_inner().unwrap_or_default()
}

fn json_text(report: &Report) -> String {
    let values: Vec<serde_json::Value> = report.values.iter().map(value_json).collect();
    let counties: Vec<serde_json::Value> = report
        .counties
        .iter()
        .map(|(code, name, values)| json!({"code": code.to_string(), "name": name, "indicators": values.iter().map(value_json).collect::<Vec<_>>()}))
        .collect();
    let document = json!({
        "title": report.title,
        "as_of": report.request.as_of.to_string(),
        "base": report.base.to_string(),
        "indicators": values,
        "counties": counties,
    });
    serde_json::to_string_pretty(&document).unwrap_or_default() + "\n"
}

/// One indicator as JSON: the shape `fupin indicators --format json` gives, plus section.
pub fn value_json(value: &Value) -> serde_json::Value {
    json!({
        "code": value.indicator.code,
        "name": value.indicator.name,
        "name_en": value.indicator.name_en,
        "unit": value.indicator.unit,
        "section": value.indicator.section,
        "value": value.text(),
        "numerator": value.numerator.map(operand_text),
        "denominator": value.denominator.map(operand_text),
        "reported": value.reported.as_ref().map(|r| r.value.clone()),
        "reported_unit": value.reported.as_ref().map(|r| r.unit.clone()),
        "reported_source": value.reported.as_ref().map(|r| r.source.clone()),
        "differs": value.reported.as_ref().map(|r| r.differs),
        "problem": value.problem,
    })
}

/// Excel cells are binary floating point with 15 significant digits: exact for every amount
/// below 10^13 yuan with two decimals, which is every figure here. Only the export converts.
fn number(value: &Value) -> Option<f64> {
    value.value.and_then(|v| {
        v.round_dp(indicators::places(&value.indicator.unit))
            .to_f64()
    })
}

fn write_xlsx(report: &Report, path: &Path) -> std::result::Result<(), XlsxError> {
    workbook(report)?.save(path)
}

fn workbook(report: &Report) -> std::result::Result<Workbook, XlsxError> {
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    let title = Format::new().set_bold().set_font_size(14);
    let amount = Format::new()
        .set_num_format("#,##0.00")
        .set_align(FormatAlign::Right);
    let whole = Format::new()
        .set_num_format("#,##0")
        .set_align(FormatAlign::Right);
    let flagged = Format::new().set_bold().set_font_color("#C00000");
    {
        let sheet = workbook.add_worksheet();
        sheet.set_name("概况 Summary")?;
        sheet.write_string_with_format(
            0,
            0,
            format!(
                "{} 金融扶贫监管报表 Financial poverty alleviation report",
                report.title
            ),
            &title,
        )?;
        sheet.write_string(2, 0, "截至 As of")?;
        sheet.write_string(2, 1, report.request.as_of.to_string())?;
        sheet.write_string(3, 0, "基期 Base date")?;
        sheet.write_string(3, 1, report.base.to_string())?;
        if let Some(institution) = &report.request.institution {
            sheet.write_string(4, 0, "机构 Institution")?;
            sheet.write_string(4, 1, institution)?;
        }
        sheet.set_column_width(0, 18)?;
        sheet.set_column_width(1, 16)?;
    }
    for (key, sheet_title) in SECTIONS {
        let rows: Vec<&Value> = report
            .values
            .iter()
            .filter(|v| section_of(v) == *key)
            .collect();
        let sheet = workbook.add_worksheet();
        sheet.set_name(*sheet_title)?;
        write_section(sheet, &rows, (&bold, &amount, &whole, &flagged))?;
        match *key {
            "territory" => territory_charts(sheet, &rows, sheet_title)?,
            "returns" => county_table(
                sheet,
                report,
                rows.len() as u32 + 3,
                sheet_title,
                (&bold, &amount),
            )?,
            _ => {}
        }
    }
    alerts_sheet(&mut workbook, report, &bold)?;
    maturity_sheet(workbook.add_worksheet(), report, (&bold, &amount))?;
    if let Some(figures) = &report.waterfall {
        waterfall_sheet(workbook.add_worksheet(), figures, (&bold, &amount))?;
    }
    Ok(workbook)
}

/// The sheet of open alerts by rule, county and bank.
fn alerts_sheet(
    workbook: &mut Workbook,
    report: &Report,
    bold: &Format,
) -> std::result::Result<(), XlsxError> {
    let sheet = workbook.add_worksheet();
    sheet.set_name("监管预警 Alerts")?;
    let headers = ["规则 rule", "县 county", "机构 institution", "未办结 open"];
    for (column, header) in headers.iter().enumerate() {
        sheet.write_string_with_format(0, column as u16, *header, bold)?;
    }
    for (index, (rule, county, institution, count)) in report.alerts.iter().enumerate() {
        let row = index as u32 + 1;
        sheet.write_string(row, 0, formula_escape(rule).as_ref())?;
        sheet.write_string(row, 1, formula_escape(county).as_ref())?;
        sheet.write_string(row, 2, formula_escape(institution).as_ref())?;
        sheet.write_number(row, 3, *count as f64)?;
    }
    let total: i64 = report.alerts.iter().map(|a| a.3).sum();
    let row = report.alerts.len() as u32 + 1;
    sheet.write_string_with_format(row, 0, "合计 total", bold)?;
    sheet.write_number_with_format(row, 3, total as f64, bold)?;
    sheet.set_column_width(0, 24)?;
    sheet.set_column_width(1, 16)?;
    sheet.set_column_width(2, 18)?;
    Ok(())
}

/// The maturity wall: one row per month and county (principal in yuan), the months' totals,
/// and a column chart of them.
fn maturity_sheet(
    sheet: &mut Worksheet,
    report: &Report,
    (bold, amount): (&Format, &Format),
) -> std::result::Result<(), XlsxError> {
    sheet.set_name(MATURITY_SHEET)?;
    let headers = [
        "月份 month",
        "县代码 county code",
        "县 county",
        "到期本金（元） principal due (yuan)",
    ];
    for (column, header) in headers.iter().enumerate() {
        sheet.write_string_with_format(0, column as u16, *header, bold)?;
    }
    let names: std::collections::HashMap<String, &str> = report
        .counties
        .iter()
        .map(|(code, name, _)| (code.to_string(), name.as_str()))
        .collect();
    let mut row = 1u32;
    for wall in &report.maturity {
        for cell in &wall.cells {
            sheet.write_string(row, 0, &cell.month)?;
            sheet.write_string(row, 1, &cell.county_code)?;
            let name = names.get(&cell.county_code).copied().unwrap_or("");
            sheet.write_string(row, 2, name)?;
            sheet.write_number_with_format(row, 3, fen_as_yuan(cell.principal), amount)?;
            row += 1;
        }
    }
    let Some(first) = report.maturity.first() else {
        return Ok(());
    };
    // The months' totals over every root, for the chart.
    let top = row + 2;
    sheet.write_string_with_format(top, 0, "月份 month", bold)?;
    sheet.write_string_with_format(top, 3, "合计 total (yuan)", bold)?;
    for (index, month) in first.months.iter().enumerate() {
        let fen: i64 = report
            .maturity
            .iter()
            .flat_map(|wall| wall.cells.iter())
            .filter(|c| &c.month == month)
            .map(|c| c.principal.fen())
            .sum();
        let at = top + 1 + index as u32;
        sheet.write_string(at, 0, month)?;
        sheet.write_number_with_format(at, 3, fen_as_yuan(fupin_core::Fen::new(fen)), amount)?;
    }
    let last = top + first.months.len() as u32;
    let mut chart = Chart::new(ChartType::Column);
    chart
        .title()
        .set_name("未来24个月到期本金 Principal falling due");
    chart
        .add_series()
        .set_categories((MATURITY_SHEET, top + 1, 0, last, 0))
        .set_values((MATURITY_SHEET, top + 1, 3, last, 3));
    sheet.insert_chart(1, 5, &chart)?;
    sheet.set_column_width(0, 12)?;
    sheet.set_column_width(1, 14)?;
    sheet.set_column_width(2, 14)?;
    sheet.set_column_width(3, 20)?;
    sheet.set_freeze_panes(1, 0)?;
    Ok(())
}

/// The loss waterfall: what each payer paid and got back, what the banks bear, and a column
/// chart of who bore the losses.
fn waterfall_sheet(
    sheet: &mut Worksheet,
    figures: &crate::guarantees::Figures,
    (bold, amount): (&Format, &Format),
) -> std::result::Result<(), XlsxError> {
    sheet.set_name(WATERFALL_SHEET)?;
    let headers = [
        "分担方 payer",
        "已代偿（元） paid (yuan)",
        "收回返还（元） returned (yuan)",
    ];
    for (column, header) in headers.iter().enumerate() {
        sheet.write_string_with_format(0, column as u16, *header, bold)?;
    }
    let mut row = 1u32;
    for payer in &figures.payers {
        let name = PAYER_NAMES
            .iter()
            .find(|(code, _)| *code == payer.payer)
            .map_or(payer.payer.as_str(), |(_, name)| name);
        sheet.write_string(row, 0, name)?;
        sheet.write_number_with_format(row, 1, fen_as_yuan(payer.paid), amount)?;
        sheet.write_number_with_format(row, 2, fen_as_yuan(payer.returned), amount)?;
        row += 1;
    }
    sheet.write_string(row, 0, "银行承担 Borne by banks")?;
    sheet.write_number_with_format(row, 1, fen_as_yuan(figures.bank_borne), amount)?;
    let last = row;
    sheet.write_string_with_format(row + 1, 0, "分担损失 Losses shared", bold)?;
    sheet.write_number_with_format(row + 1, 1, fen_as_yuan(figures.losses), amount)?;
    sheet.write_string(row + 2, 0, "担保费 Guarantee fees paid")?;
    sheet.write_number_with_format(row + 2, 1, fen_as_yuan(figures.fees_paid), amount)?;
    sheet.write_string(row + 3, 0, "担保费补贴 Guarantee fee subsidies")?;
    sheet.write_number_with_format(row + 3, 1, fen_as_yuan(figures.fee_subsidies), amount)?;
    let mut chart = Chart::new(ChartType::Column);
    chart.title().set_name("损失分担 Who bore the losses");
    chart
        .add_series()
        .set_categories((WATERFALL_SHEET, 1, 0, last, 0))
        .set_values((WATERFALL_SHEET, 1, 1, last, 1));
    sheet.insert_chart(1, 4, &chart)?;
    sheet.set_column_width(0, 34)?;
    sheet.set_column_width(1, 20)?;
    sheet.set_column_width(2, 22)?;
    Ok(())
}

/// Yuan for a spreadsheet cell: display only, the exact fen are in the CSV and JSON.
fn fen_as_yuan(amount: fupin_core::Fen) -> f64 {
    amount.fen() as f64 / 100.0
}

type Formats<'a> = (&'a Format, &'a Format, &'a Format, &'a Format);

fn write_section(
    sheet: &mut Worksheet,
    rows: &[&Value],
    (bold, amount, whole, flagged): Formats<'_>,
) -> std::result::Result<(), XlsxError> {
    for (column, header) in HEADERS.iter().enumerate() {
        sheet.write_string_with_format(0, column as u16, *header, bold)?;
    }
    for (index, value) in rows.iter().enumerate() {
        let row = index as u32 + 1;
        let cells = row_cells(value);
        for (column, cell) in cells.iter().enumerate() {
            if column == 4 {
                continue;
            }
            let text = formula_escape(cell);
            match column == 8 && value.reported.as_ref().is_some_and(|r| r.differs) {
                true => {
                    sheet.write_string_with_format(row, column as u16, text.as_ref(), flagged)?
                }
                false => sheet.write_string(row, column as u16, text.as_ref())?,
            };
        }
        if let Some(number) = number(value) {
            let format = if value.indicator.unit == "count" {
                whole
            } else {
                amount
            };
            sheet.write_number_with_format(row, 4, number, format)?;
        }
    }
    for (column, width) in [
        (0u16, 38.0),
        (1, 24.0),
        (2, 44.0),
        (3, 10.0),
        (4, 20.0),
        (5, 18.0),
        (6, 18.0),
        (7, 16.0),
        (8, 14.0),
        (9, 40.0),
    ] {
        sheet.set_column_width(column, width)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    Ok(())
}

/// A column chart of townships per institution type and a pie of villages by channel.
fn territory_charts(
    sheet: &mut Worksheet,
    rows: &[&Value],
    sheet_name: &str,
) -> std::result::Result<(), XlsxError> {
    let row_of = |code: &str| {
        rows.iter()
            .position(|v| v.indicator.code == code)
            .map(|i| i as u32 + 1)
    };
    let types = [
        "townships_assigned_rural_cooperative",
        "townships_assigned_large_commercial",
        "townships_assigned_postal_savings",
    ];
    if let (Some(first), Some(last)) = (row_of(types[0]), row_of(types[2]))
        && last == first + 2
    {
        let mut chart = Chart::new(ChartType::Column);
        chart
            .title()
            .set_name("责任乡镇 Townships per responsible bank type");
        chart
            .add_series()
            .set_categories((sheet_name, first, 1, last, 1))
            .set_values((sheet_name, first, 4, last, 4))
            .set_name("townships");
        chart.legend().set_hidden();
        sheet.insert_chart(rows.len() as u32 + 3, 0, &chart)?;
    }
    if let (Some(outlet), Some(electronic)) = (
        row_of("villages_with_outlet"),
        row_of("villages_with_electronic_only"),
    ) && electronic == outlet + 1
    {
        let mut chart = Chart::new(ChartType::Pie);
        chart
            .title()
            .set_name("行政村金融服务 Villages by best channel");
        chart
            .add_series()
            .set_categories((sheet_name, outlet, 1, electronic, 1))
            .set_values((sheet_name, outlet, 4, electronic, 4));
        sheet.insert_chart(rows.len() as u32 + 3, 4, &chart)?;
    }
    Ok(())
}

/// The per-county table under the returns section, with a chart of loan growth by county.
fn county_table(
    sheet: &mut Worksheet,
    report: &Report,
    top: u32,
    sheet_name: &str,
    (bold, amount): (&Format, &Format),
) -> std::result::Result<(), XlsxError> {
    if report.counties.is_empty() {
        return Ok(());
    }
    sheet.write_string_with_format(top, 0, "分县 By county", bold)?;
    sheet.write_string_with_format(top + 1, 0, "代码 code", bold)?;
    sheet.write_string_with_format(top + 1, 1, "县 county", bold)?;
    for (index, code) in BY_COUNTY.iter().enumerate() {
        sheet.write_string_with_format(top + 1, index as u16 + 2, *code, bold)?;
    }
    for (index, (code, name, values)) in report.counties.iter().enumerate() {
        let row = top + 2 + index as u32;
        sheet.write_string(row, 0, code.to_string())?;
        sheet.write_string(row, 1, name)?;
        for (column, code) in BY_COUNTY.iter().enumerate() {
            if let Some(number) = values
                .iter()
                .find(|v| v.indicator.code == *code)
                .and_then(number)
            {
                sheet.write_number_with_format(row, column as u16 + 2, number, amount)?;
            }
        }
    }
    let last = top + 1 + report.counties.len() as u32;
    let mut chart = Chart::new(ChartType::Column);
    chart.title().set_name("贷款增速 Loan growth by county (%)");
    chart
        .add_series()
        .set_categories((sheet_name, top + 2, 1, last, 1))
        .set_values((sheet_name, top + 2, 3, last, 3))
        .set_name("growth %");
    chart.legend().set_hidden();
    sheet.insert_chart(last + 2, 0, &chart)?;
    Ok(())
}

#[cfg(test)]
mod operand_tests {
    use super::operand_text;
    use std::str::FromStr;

    fn check(input: &str, expect: &str) {
        let value = rust_decimal::Decimal::from_str(input).expect("a decimal");
        assert_eq!(operand_text(value), expect, "{input}");
    }

    #[test]
    fn ratios_two_decimals_amounts_and_counts_exact() {
        check("12.031746031746031746031746032", "12.03");
        check("10.985", "10.99");
        check("-0.005", "-0.01");
        check("35996000000.00", "35996000000");
        check("380300", "380300");
        check("1234.5", "1234.5");
    }
}

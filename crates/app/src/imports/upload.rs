//! Imports of uploaded files (the web API and pages): who may upload which kind of file, rows
//! outside the uploader's scope, and the temporary file the upload is read from.
//!
//! Who may upload what (the operator of the command line may upload everything):
//!
//! | kind | roles |
//! |---|---|
//! | `regions` | nobody (reference data: `fupin import` on the server) |
//! | `institutions`, `assignments` | regulator |
//! | `service_points` | regulator, bank (its own) |
//! | `households`, `enterprises`, `enterprise_links` | poverty office |
//! | `products`, `loans`, `repayments`, `credit_files`, `credit_lines` | bank (its own) |
//! | `returns` | bank (its own), regulator |
//! | `fund_deposits` | finance bureau |
//! | `insurance_policies`, `insurance_premiums`, `insurance_claims` | insurer (its own) |
//! | `guarantee_contracts` | bank (its own) |
//!
//! Before anything is imported the file is read once for scope: every region code in a row
//! (village, township, county, location) must lie in the uploader's region, every
//! institution code of a bank user's file must be the bank's own, and every household of an
//! `enterprise_links` file must be one the uploader may read. A row outside the scope refuses
//! the whole file, naming the row (even with `load_valid`): nothing is changed.

use std::path::{Path, PathBuf};

use fupin_core::BusinessDate;
use fupin_store::Db;

use super::funds::DepositImporter;
use super::insurance;
use super::loans::{LoanImporter, ProductImporter, RepaymentImporter};
use super::registry::{EnterpriseImporter, EnterpriseLinkImporter, import_households};
use super::territory::{
    AssignmentImporter, InstitutionImporter, RegionImporter, ServicePointImporter,
};
use super::{ImportCounts, ImportOptions, ImportReport, Importer};
use crate::access;
use crate::context::{Ctx, Role};
use crate::error::{AppError, Result};
use crate::ingest::{Column, FieldError, value};
use crate::returns::RuleFinding;

/// The kinds of interchange file (FORMATS.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Regions,
    Institutions,
    Assignments,
    ServicePoints,
    Households,
    Enterprises,
    EnterpriseLinks,
    Products,
    Loans,
    CreditFiles,
    CreditLines,
    Repayments,
    Returns,
    FundDeposits,
    InsurancePolicies,
    InsurancePremiums,
    InsuranceClaims,
    GuaranteeContracts,
    CoBorrowers,
}

impl Kind {
    pub const ALL: [Kind; 19] = [
        Kind::Regions,
        Kind::Institutions,
        Kind::Assignments,
        Kind::ServicePoints,
        Kind::Households,
        Kind::Enterprises,
        Kind::EnterpriseLinks,
        Kind::Products,
        Kind::Loans,
        Kind::CreditFiles,
        Kind::CreditLines,
        Kind::Repayments,
        Kind::Returns,
        Kind::FundDeposits,
        Kind::InsurancePolicies,
        Kind::InsurancePremiums,
        Kind::InsuranceClaims,
        Kind::GuaranteeContracts,
        Kind::CoBorrowers,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Regions => "regions",
            Kind::Institutions => "institutions",
            Kind::Assignments => "assignments",
            Kind::ServicePoints => "service_points",
            Kind::Households => "households",
            Kind::Enterprises => "enterprises",
            Kind::EnterpriseLinks => "enterprise_links",
            Kind::Products => "products",
            Kind::Loans => "loans",
            Kind::CreditFiles => "credit_files",
            Kind::CreditLines => "credit_lines",
            Kind::Repayments => "repayments",
            Kind::Returns => "returns",
            Kind::FundDeposits => "fund_deposits",
            Kind::InsurancePolicies => "insurance_policies",
            Kind::InsurancePremiums => "insurance_premiums",
            Kind::InsuranceClaims => "insurance_claims",
            Kind::GuaranteeContracts => "guarantee_contracts",
            Kind::CoBorrowers => "co_borrowers",
        }
    }

    pub fn parse(text: &str) -> Option<Kind> {
        let text = text.trim().replace('-', "_");
        Kind::ALL.into_iter().find(|kind| kind.as_str() == text)
    }

    /// Whether the file describes the registry as of a date (`as_of`, `load_valid` apply).
    pub fn is_registry(self) -> bool {
        matches!(
            self,
            Kind::Households | Kind::Enterprises | Kind::EnterpriseLinks
        )
    }

    /// The roles that may upload this kind (besides the operator).
    pub fn roles(self) -> &'static [Role] {
        match self {
            Kind::Regions => &[],
            Kind::Institutions | Kind::Assignments => &[Role::Regulator],
            Kind::ServicePoints => &[Role::Regulator, Role::Bank],
            Kind::Households | Kind::Enterprises | Kind::EnterpriseLinks => &[Role::PovertyOffice],
            Kind::Products
            | Kind::Loans
            | Kind::Repayments
            | Kind::CreditFiles
            | Kind::CreditLines
            | Kind::GuaranteeContracts
            | Kind::CoBorrowers => &[Role::Bank],
            Kind::Returns => &[Role::Bank, Role::Regulator],
            Kind::FundDeposits => &[Role::Finance],
            Kind::InsurancePolicies | Kind::InsurancePremiums | Kind::InsuranceClaims => {
                &[Role::Insurer]
            }
        }
    }

    /// The kinds an actor may upload.
    pub fn allowed_for(role: Role) -> Vec<Kind> {
        Kind::ALL
            .into_iter()
            .filter(|kind| role == Role::Operator || kind.roles().contains(&role))
            .collect()
    }

    fn columns(self) -> &'static [Column] {
        match self {
            Kind::Regions => <RegionImporter as Importer>::COLUMNS,
            Kind::Institutions => <InstitutionImporter as Importer>::COLUMNS,
            Kind::Assignments => <AssignmentImporter as Importer>::COLUMNS,
            Kind::ServicePoints => <ServicePointImporter as Importer>::COLUMNS,
            Kind::Households => super::registry::HOUSEHOLD_COLUMNS,
            Kind::Enterprises => <EnterpriseImporter as Importer>::COLUMNS,
            Kind::EnterpriseLinks => <EnterpriseLinkImporter as Importer>::COLUMNS,
            Kind::Products => <ProductImporter as Importer>::COLUMNS,
            Kind::Loans => <LoanImporter as Importer>::COLUMNS,
            Kind::CreditFiles => <super::credit::CreditFileImporter as Importer>::COLUMNS,
            Kind::CreditLines => <super::credit::CreditLineImporter as Importer>::COLUMNS,
            Kind::Repayments => <RepaymentImporter as Importer>::COLUMNS,
            Kind::Returns => <&mut super::returns::ReturnImporter as Importer>::COLUMNS,
            Kind::FundDeposits => <DepositImporter as Importer>::COLUMNS,
            Kind::InsurancePolicies => <insurance::PolicyImporter as Importer>::COLUMNS,
            Kind::InsurancePremiums => <insurance::PremiumImporter as Importer>::COLUMNS,
            Kind::InsuranceClaims => <insurance::ClaimImporter as Importer>::COLUMNS,
            Kind::GuaranteeContracts => <super::guarantees::GuaranteeImporter as Importer>::COLUMNS,
            Kind::CoBorrowers => <super::co_borrowers::CoBorrowerImporter as Importer>::COLUMNS,
        }
    }

    /// The columns holding a region code that must lie in the uploader's region.
    fn region_columns(self) -> &'static [&'static str] {
        match self {
            Kind::Institutions => &["region_code"],
            Kind::Assignments => &["township_code"],
            Kind::ServicePoints | Kind::Households | Kind::Enterprises => &["village_code"],
            Kind::Returns => &["region_code"],
            Kind::FundDeposits | Kind::InsurancePolicies => &["county_code"],
            _ => &[],
        }
    }

    /// Whether the file names the institution (`institution_code`) a bank may only upload for
    /// itself.
    fn has_institution(self) -> bool {
        matches!(
            self,
            Kind::ServicePoints
                | Kind::Products
                | Kind::Loans
                | Kind::Repayments
                | Kind::CreditFiles
                | Kind::CreditLines
                | Kind::GuaranteeContracts
                | Kind::CoBorrowers
                | Kind::Returns
        )
    }
}

/// An uploaded file and what the uploader asked.
#[derive(Clone, Debug)]
pub struct Upload<'a> {
    pub kind: Kind,
    /// The name the user gave the file (its extension chooses CSV or XLSX; without one the
    /// content decides).
    pub file_name: &'a str,
    pub bytes: &'a [u8],
    pub options: ImportOptions,
    /// The date the extract describes (registry kinds; default `today`).
    pub as_of: Option<BusinessDate>,
    /// Accept returns although warning rules fail (returns only).
    pub confirm_warnings: bool,
    /// The caller's business date.
    pub today: BusinessDate,
}

/// What an upload did.
#[derive(Clone, Debug)]
pub struct UploadOutcome {
    pub report: ImportReport,
    /// Warnings of returns (accepted when `confirm_warnings`).
    pub warnings: Vec<RuleFinding>,
    /// The registry date of a registry kind.
    pub as_of: Option<BusinessDate>,
}

/// Refuses (403) a role that may not upload `kind`.
pub fn require_kind(ctx: &Ctx, kind: Kind) -> Result<()> {
    let role = ctx.actor.role;
    if role == Role::Operator || kind.roles().contains(&role) {
        return Ok(());
    }
    Err(AppError::Forbidden(format!(
        "the {} role does not import {} files",
        role.as_str(),
        kind.as_str()
    )))
}

/// Imports an uploaded file as the actor: role and scope checked first (see the module), then
/// the same import as `fupin import`.
pub async fn import_upload(db: &Db, ctx: &Ctx, upload: &Upload<'_>) -> Result<UploadOutcome> {
    require_kind(ctx, upload.kind)?;
    access::bank_institution(ctx)?;
    if !upload.kind.is_registry() && (upload.options.load_valid || upload.as_of.is_some()) {
        return Err(AppError::field(
            "load_valid",
            "load_valid and as_of apply to households, enterprises and enterprise_links",
        ));
    }
    let file = TempUpload::write(upload.file_name, upload.bytes)?;
    let as_of = upload
        .kind
        .is_registry()
        .then(|| upload.as_of.unwrap_or(upload.today));
    let options = ImportOptions {
        file_name: Some(display_name(upload.file_name)),
        ..upload.options.clone()
    };
    let mut outcome = match scope_errors(db, ctx, upload, &options, file.path()).await? {
        Some(report) => UploadOutcome {
            report,
            warnings: Vec::new(),
            as_of,
        },
        None => run(db, ctx, upload, &options, file.path(), as_of).await?,
    };
    outcome.report.file = display_name(upload.file_name);
    Ok(outcome)
}

async fn run(
    db: &Db,
    ctx: &Ctx,
    upload: &Upload<'_>,
    options: &ImportOptions,
    path: &Path,
    as_of: Option<BusinessDate>,
) -> Result<UploadOutcome> {
    let registry_date = as_of.unwrap_or(upload.today);
    let mut warnings = Vec::new();
    let report = match upload.kind {
        Kind::Regions => super::run(db, ctx, path, options, RegionImporter::default()).await?,
        Kind::Institutions => {
            super::run(db, ctx, path, options, InstitutionImporter::default()).await?
        }
        Kind::Assignments => {
            super::run(db, ctx, path, options, AssignmentImporter::default()).await?
        }
        Kind::ServicePoints => {
            super::run(db, ctx, path, options, ServicePointImporter::default()).await?
        }
        Kind::Households => import_households(db, ctx, path, options, registry_date).await?,
        Kind::Enterprises => {
            let importer = EnterpriseImporter::new(registry_date);
            super::run(db, ctx, path, options, importer).await?
        }
        Kind::EnterpriseLinks => {
            let importer = EnterpriseLinkImporter::new(registry_date);
            super::run(db, ctx, path, options, importer).await?
        }
        Kind::Products => super::run(db, ctx, path, options, ProductImporter::default()).await?,
        Kind::Loans => super::run(db, ctx, path, options, LoanImporter::new(db)).await?,
        Kind::CreditFiles => {
            let importer = super::credit::CreditFileImporter::default();
            super::run(db, ctx, path, options, importer).await?
        }
        Kind::CreditLines => {
            let importer = super::credit::CreditLineImporter::default();
            super::run(db, ctx, path, options, importer).await?
        }
        Kind::Repayments => {
            super::run(db, ctx, path, options, RepaymentImporter::default()).await?
        }
        Kind::FundDeposits => {
            super::run(db, ctx, path, options, DepositImporter::default()).await?
        }
        Kind::InsurancePolicies | Kind::InsurancePremiums | Kind::InsuranceClaims => {
            insurance::import(db, ctx, path, options, upload.kind).await?
        }
        Kind::GuaranteeContracts => {
            let importer = super::guarantees::GuaranteeImporter;
            super::run(db, ctx, path, options, importer).await?
        }
        Kind::CoBorrowers => {
            let importer = super::co_borrowers::CoBorrowerImporter;
            super::run(db, ctx, path, options, importer).await?
        }
        Kind::Returns => {
            let outcome =
                super::returns::import(db, ctx, path, options, upload.confirm_warnings).await?;
            warnings = outcome.warnings;
            outcome.report
        }
    };
    Ok(UploadOutcome {
        report,
        warnings,
        as_of,
    })
}

/// Reads the file once for rows outside the actor's scope; `Some(report)` (nothing applied)
/// when there are any.
async fn scope_errors(
    db: &Db,
    ctx: &Ctx,
    upload: &Upload<'_>,
    options: &ImportOptions,
    path: &Path,
) -> Result<Option<ImportReport>> {
    if ctx.actor.role == Role::Operator {
        return Ok(None);
    }
    let kind = upload.kind;
    let own = access::bank_institution(ctx)?.map(str::to_string);
    let Ok(mut source) = options.open(path, kind.as_str()) else {
        // The import itself reports why the file cannot be read.
        return Ok(None);
    };
    let Ok(map) = source.map_columns(kind.columns(), true) else {
        return Ok(None);
    };
    let mut errors = Vec::new();
    let mut rows = 0;
    for row in source.by_ref() {
        let Ok(row) = row else { continue };
        rows += 1;
        let cell = |name: &str| {
            map.index(name)
                .and_then(|index| row.cells.get(index))
                .map(|cell| (map.label(name).to_string(), cell))
        };
        for column in kind.region_columns() {
            if let Some((label, cell)) = cell(column)
                && let Ok(code) = value::region_code(cell)
                && !access::sees_region(ctx, code)
            {
                errors.push(FieldError::new(
                    row.line,
                    label,
                    code.to_string(),
                    format!("{code} is outside your region: nothing was imported"),
                ));
            }
        }
        if kind.has_institution()
            && let Some(own) = &own
            && let Some((label, cell)) = cell("institution_code")
            && let Some(code) = value::text(cell)
            && code.trim() != own
        {
            errors.push(FieldError::new(
                row.line,
                label,
                code.trim().to_string(),
                format!("a user of {own} imports only its own rows: nothing was imported"),
            ));
        }
        if kind == Kind::EnterpriseLinks
            && let Some((label, cell)) = cell("household_id")
            && let Some(id) = value::text(cell)
            && fupin_store::registry::identity(db, id.trim())
                .await?
                .is_some()
            && crate::registry::visible_household(db, ctx, id.trim(), upload.today)
                .await
                .is_err()
        {
            errors.push(FieldError::new(
                row.line,
                label,
                id.trim().to_string(),
                "the household is outside your region: nothing was imported",
            ));
        }
        if errors.len() >= super::ERRORS_KEPT_MAX {
            break;
        }
    }
    if errors.is_empty() {
        return Ok(None);
    }
    Ok(Some(ImportReport {
        kind: kind.as_str(),
        file: String::new(),
        format: source.format(),
        encoding: source.encoding(),
        rows,
        errors,
        errors_dropped: 0,
        counts: ImportCounts::default(),
        applied: false,
        removals: None,
    }))
}

/// The name of an upload as the user knows it: its last path part, without control
/// characters, at most 200 characters (`upload` when nothing is left).
pub fn display_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let cleaned: String = base.chars().filter(|c| !c.is_control()).take(200).collect();
    match cleaned.trim().is_empty() {
        true => "upload".to_string(),
        false => cleaned,
    }
}

/// The error report of an import as CSV bytes (UTF-8 with BOM, formula cells escaped), as
/// `--errors` writes it.
pub fn error_csv(report: &ImportReport) -> Result<Vec<u8>> {
    let file = TempUpload::write("errors.csv", b"")?;
    super::write_errors(report, file.path())?;
    std::fs::read(file.path()).map_err(|e| AppError::File {
        path: "error report".into(),
        message: e.to_string(),
    })
}

/// An uploaded file in a private temporary folder, removed when dropped.
struct TempUpload {
    dir: PathBuf,
    path: PathBuf,
}

impl TempUpload {
    fn write(file_name: &str, bytes: &[u8]) -> Result<TempUpload> {
        let mut random = [0u8; 12];
        getrandom::fill(&mut random).map_err(|e| AppError::File {
            path: "upload".into(),
            message: format!("no randomness for a temporary name: {e}"),
        })?;
        let dir = std::env::temp_dir().join(format!("fupin-upload-{}", hex::encode(random)));
        let io = |e: std::io::Error| AppError::File {
            path: "upload".into(),
            message: e.to_string(),
        };
        std::fs::create_dir(&dir).map_err(io)?;
        let extension = Path::new(file_name)
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .filter(|e| matches!(e.as_str(), "csv" | "txt" | "xlsx" | "xlsm" | "xls"));
        let path = match extension {
            Some(extension) => dir.join(format!("upload.{extension}")),
            None => dir.join("upload"),
        };
        let file = TempUpload { dir, path };
        std::fs::write(&file.path, bytes).map_err(io)?;
        Ok(file)
    }

    fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempUpload {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

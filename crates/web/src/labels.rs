//! Chinese and English for every enumerated value and message the pages show: household causes,
//! relations, sexes, statuses, change kinds, loan states, repayment methods, day counts, ledger
//! transfer kinds, claim and return states, import kinds, units, indicator notes and the
//! messages of imports. `core` and `app` keep their codes and English messages; the words people
//! read are chosen here, at the edge. A value without a translation shows its code (the tests
//! below fail first: every code the schema allows and every variant of the core enums is listed).

use crate::app_messages::{APP_MESSAGES, FIELD_NAMES, PARTS};
use crate::i18n::Lang;

/// A set of codes that share a meaning.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Vocabulary {
    Attribute,
    Cause,
    HouseholdStatus,
    Relation,
    Sex,
    Labour,
    ChangeKind,
    ServicePointKind,
    EnterpriseKind,
    LeadingLevel,
    EnterpriseLink,
    InstitutionType,
    ProductCategory,
    BorrowerType,
    LoanStatus,
    Classification,
    Method,
    DayCount,
    TransferKind,
    RepaymentKind,
    ExtensionKind,
    Fund,
    ClaimState,
    ReturnState,
    ExemptReason,
    ImportKind,
    Unit,
    Section,
    Level,
    Role,
    RuleStatus,
    Severity,
    FieldRefusal,
    PrepaymentOption,
    AlertSeverity,
    AlertSubject,
    AlertStatus,
    AnswerKind,
    AlertFact,
    RequestStatus,
    InsuranceKind,
    InsuranceEvent,
    InsuranceClaimState,
    GuarantorType,
    Payer,
    SubsidyState,
}

type Table = &'static [(&'static str, &'static str, &'static str)];

impl Vocabulary {
    /// Every vocabulary, for the tests.
    pub const ALL: [Vocabulary; 46] = [
        Vocabulary::Attribute,
        Vocabulary::Cause,
        Vocabulary::HouseholdStatus,
        Vocabulary::Relation,
        Vocabulary::Sex,
        Vocabulary::Labour,
        Vocabulary::ChangeKind,
        Vocabulary::ServicePointKind,
        Vocabulary::EnterpriseKind,
        Vocabulary::LeadingLevel,
        Vocabulary::EnterpriseLink,
        Vocabulary::InstitutionType,
        Vocabulary::ProductCategory,
        Vocabulary::BorrowerType,
        Vocabulary::LoanStatus,
        Vocabulary::Classification,
        Vocabulary::Method,
        Vocabulary::DayCount,
        Vocabulary::TransferKind,
        Vocabulary::RepaymentKind,
        Vocabulary::ExtensionKind,
        Vocabulary::Fund,
        Vocabulary::ClaimState,
        Vocabulary::ReturnState,
        Vocabulary::ExemptReason,
        Vocabulary::ImportKind,
        Vocabulary::Unit,
        Vocabulary::Section,
        Vocabulary::Level,
        Vocabulary::Role,
        Vocabulary::RuleStatus,
        Vocabulary::Severity,
        Vocabulary::FieldRefusal,
        Vocabulary::PrepaymentOption,
        Vocabulary::AlertSeverity,
        Vocabulary::AlertSubject,
        Vocabulary::AlertStatus,
        Vocabulary::AnswerKind,
        Vocabulary::AlertFact,
        Vocabulary::RequestStatus,
        Vocabulary::InsuranceKind,
        Vocabulary::InsuranceEvent,
        Vocabulary::InsuranceClaimState,
        Vocabulary::GuarantorType,
        Vocabulary::Payer,
        Vocabulary::SubsidyState,
    ];

    /// (code, Chinese, English)
    fn table(self) -> Table {
        match self {
            Vocabulary::Attribute => ATTRIBUTES,
            Vocabulary::Cause => CAUSES,
            Vocabulary::HouseholdStatus => HOUSEHOLD_STATUSES,
            Vocabulary::Relation => RELATIONS,
            Vocabulary::Sex => SEXES,
            Vocabulary::Labour => LABOUR,
            Vocabulary::ChangeKind => CHANGE_KINDS,
            Vocabulary::ServicePointKind => SERVICE_POINT_KINDS,
            Vocabulary::EnterpriseKind => ENTERPRISE_KINDS,
            Vocabulary::LeadingLevel => LEADING_LEVELS,
            Vocabulary::EnterpriseLink => ENTERPRISE_LINKS,
            Vocabulary::InstitutionType => INSTITUTION_TYPES,
            Vocabulary::ProductCategory => PRODUCT_CATEGORIES,
            Vocabulary::BorrowerType => BORROWER_TYPES,
            Vocabulary::LoanStatus => LOAN_STATUSES,
            Vocabulary::Classification => CLASSIFICATIONS,
            Vocabulary::Method => METHODS,
            Vocabulary::DayCount => DAY_COUNTS,
            Vocabulary::TransferKind => TRANSFER_KINDS,
            Vocabulary::RepaymentKind => REPAYMENT_KINDS,
            Vocabulary::ExtensionKind => EXTENSION_KINDS,
            Vocabulary::Fund => FUNDS,
            Vocabulary::ClaimState => CLAIM_STATES,
            Vocabulary::ReturnState => RETURN_STATES,
            Vocabulary::ExemptReason => EXEMPT_REASONS,
            Vocabulary::ImportKind => IMPORT_KINDS,
            Vocabulary::Unit => UNITS,
            Vocabulary::Section => SECTIONS,
            Vocabulary::Level => LEVELS,
            Vocabulary::Role => ROLES,
            Vocabulary::RuleStatus => RULE_STATUSES,
            Vocabulary::Severity => SEVERITIES,
            Vocabulary::FieldRefusal => FIELD_REFUSALS,
            Vocabulary::PrepaymentOption => PREPAYMENT_OPTIONS,
            Vocabulary::AlertSeverity => ALERT_SEVERITIES,
            Vocabulary::AlertSubject => ALERT_SUBJECTS,
            Vocabulary::AlertStatus => ALERT_STATUSES,
            Vocabulary::AnswerKind => ANSWER_KINDS,
            Vocabulary::AlertFact => ALERT_FACTS,
            Vocabulary::RequestStatus => REQUEST_STATUSES,
            Vocabulary::InsuranceKind => INSURANCE_KINDS,
            Vocabulary::InsuranceEvent => INSURANCE_EVENTS,
            Vocabulary::InsuranceClaimState => INSURANCE_CLAIM_STATES,
            Vocabulary::GuarantorType => GUARANTOR_TYPES,
            Vocabulary::Payer => PAYERS,
            Vocabulary::SubsidyState => SUBSIDY_STATES,
        }
    }

    /// The vocabulary of a name as templates give it: `cause`, `loan_status`, …
    pub fn named(name: &str) -> Option<Vocabulary> {
        Vocabulary::ALL
            .into_iter()
            .find(|vocabulary| vocabulary.name() == name)
    }

    /// The name templates use.
    pub fn name(self) -> &'static str {
        match self {
            Vocabulary::Attribute => "attribute",
            Vocabulary::Cause => "cause",
            Vocabulary::HouseholdStatus => "household_status",
            Vocabulary::Relation => "relation",
            Vocabulary::Sex => "sex",
            Vocabulary::Labour => "labour",
            Vocabulary::ChangeKind => "change_kind",
            Vocabulary::ServicePointKind => "service_point_kind",
            Vocabulary::EnterpriseKind => "enterprise_kind",
            Vocabulary::LeadingLevel => "leading_level",
            Vocabulary::EnterpriseLink => "enterprise_link",
            Vocabulary::InstitutionType => "institution_type",
            Vocabulary::ProductCategory => "product_category",
            Vocabulary::BorrowerType => "borrower_type",
            Vocabulary::LoanStatus => "loan_status",
            Vocabulary::Classification => "classification",
            Vocabulary::Method => "method",
            Vocabulary::DayCount => "day_count",
            Vocabulary::TransferKind => "transfer_kind",
            Vocabulary::RepaymentKind => "repayment_kind",
            Vocabulary::ExtensionKind => "extension_kind",
            Vocabulary::Fund => "fund",
            Vocabulary::ClaimState => "claim_state",
            Vocabulary::ReturnState => "return_state",
            Vocabulary::ExemptReason => "exempt_reason",
            Vocabulary::ImportKind => "import_kind",
            Vocabulary::Unit => "unit",
            Vocabulary::Section => "section",
            Vocabulary::Level => "level",
            Vocabulary::Role => "role",
            Vocabulary::RuleStatus => "rule_status",
            Vocabulary::Severity => "severity",
            Vocabulary::FieldRefusal => "field_refusal",
            Vocabulary::PrepaymentOption => "prepayment_option",
            Vocabulary::AlertSeverity => "alert_severity",
            Vocabulary::AlertSubject => "alert_subject",
            Vocabulary::AlertStatus => "alert_status",
            Vocabulary::AnswerKind => "answer_kind",
            Vocabulary::AlertFact => "alert_fact",
            Vocabulary::RequestStatus => "request_status",
            Vocabulary::InsuranceKind => "insurance_kind",
            Vocabulary::InsuranceEvent => "insurance_event",
            Vocabulary::InsuranceClaimState => "insurance_claim_state",
            Vocabulary::GuarantorType => "guarantor_type",
            Vocabulary::Payer => "payer",
            Vocabulary::SubsidyState => "subsidy_state",
        }
    }

    /// Whether `code` has a translation.
    pub fn knows(self, code: &str) -> bool {
        self.table().iter().any(|(known, _, _)| *known == code)
    }
}

/// The words for `code` in `lang`; the code itself when it has none.
pub fn label(lang: Lang, vocabulary: Vocabulary, code: &str) -> String {
    let code = code.trim();
    match vocabulary
        .table()
        .iter()
        .find(|(known, _, _)| *known == code)
    {
        Some((_, zh, en)) => match lang {
            Lang::Zh => zh.to_string(),
            Lang::En => en.to_string(),
        },
        None => code.to_string(),
    }
}

/// A list of codes separated by `;` or `,` (a household's other causes), in words.
pub fn labels(lang: Lang, vocabulary: Vocabulary, codes: &str) -> String {
    let separator = match lang {
        Lang::Zh => "、",
        Lang::En => ", ",
    };
    codes
        .split([';', ','])
        .map(str::trim)
        .filter(|code| !code.is_empty())
        .map(|code| label(lang, vocabulary, code))
        .collect::<Vec<_>>()
        .join(separator)
}

const ATTRIBUTES: Table = &[
    ("general", "一般贫困户", "General"),
    ("low_income", "低保户", "Minimum living allowance"),
    ("five_guarantee", "五保户", "Five guarantees"),
    ("low_income_poor", "低保贫困户", "Allowance and poor"),
];

const CAUSES: Table = &[
    ("illness", "因病", "Illness"),
    ("disability", "因残", "Disability"),
    ("education", "因学", "Education costs"),
    ("disaster", "因灾", "Disaster"),
    ("lack_land", "缺土地", "Lack of land"),
    ("lack_water", "缺水", "Lack of water"),
    ("lack_skills", "缺技术", "Lack of skills"),
    ("lack_labour", "缺劳力", "Lack of labour"),
    ("lack_funds", "缺资金", "Lack of funds"),
    ("transport", "交通条件落后", "Poor transport"),
    ("lack_motivation", "自身发展动力不足", "Lack of motivation"),
    ("other", "其他", "Other"),
];

const HOUSEHOLD_STATUSES: Table = &[
    ("poor", "未脱贫", "Poor"),
    ("exited", "已脱贫", "Exited"),
    ("relapsed", "返贫", "Relapsed"),
];

const RELATIONS: Table = &[
    ("head", "户主", "Head"),
    ("spouse", "配偶", "Spouse"),
    ("child", "子女", "Child"),
    ("parent", "父母", "Parent"),
    ("grandchild", "孙子女", "Grandchild"),
    ("sibling", "兄弟姐妹", "Sibling"),
    ("other", "其他", "Other"),
];

const SEXES: Table = &[("male", "男", "Male"), ("female", "女", "Female")];

const LABOUR: Table = &[
    ("normal", "普通劳动力", "Able to work"),
    ("skilled", "技能劳动力", "Skilled"),
    ("weak", "弱劳动力或半劳动力", "Partly able"),
    ("none", "无劳动力", "Unable to work"),
];

const CHANGE_KINDS: Table = &[
    ("added", "新增", "Added"),
    ("changed", "信息变更", "Changed"),
    ("status_changed", "状态变更", "Status changed"),
    ("removed", "移除", "Removed"),
    ("member_added", "新增成员", "Member added"),
    ("member_changed", "成员信息变更", "Member changed"),
    ("member_removed", "成员移除", "Member removed"),
];

const SERVICE_POINT_KINDS: Table = &[
    ("outlet", "营业网点", "Outlet"),
    ("atm", "自动柜员机", "ATM"),
    ("withdrawal_point", "助农取款点", "Withdrawal point"),
    ("pos", "转账电话/POS机", "Card terminal"),
    ("mobile", "流动服务", "Mobile service"),
    ("other", "其他", "Other"),
];

const ENTERPRISE_KINDS: Table = &[
    ("leading_enterprise", "龙头企业", "Leading enterprise"),
    ("cooperative", "农民专业合作社", "Cooperative"),
    ("family_farm", "家庭农场", "Family farm"),
    ("breeding_base", "养殖基地", "Breeding base"),
    ("project_entity", "项目主体", "Project entity"),
    ("other", "其他", "Other"),
];

const LEADING_LEVELS: Table = &[
    ("national", "国家级", "National"),
    ("provincial", "省级", "Provincial"),
    ("municipal", "市级", "Municipal"),
];

const ENTERPRISE_LINKS: Table = &[
    ("employment", "就业带动", "Employment"),
    ("land_lease", "土地流转", "Land lease"),
    ("dividend", "入股分红", "Dividend"),
    ("purchase", "订单收购", "Purchase"),
    ("other", "其他", "Other"),
];

const INSTITUTION_TYPES: Table = &[
    ("policy_bank", "政策性银行", "Policy bank"),
    ("large_commercial", "大型商业银行", "Large commercial bank"),
    ("postal_savings", "邮储银行", "Postal savings bank"),
    (
        "rural_cooperative",
        "农村合作金融机构",
        "Rural cooperative institution",
    ),
    ("village_bank", "村镇银行", "Village bank"),
    ("other", "其他", "Other"),
];

const PRODUCT_CATEGORIES: Table = &[
    (
        "poverty_microcredit",
        "扶贫小额信贷",
        "Poverty micro-credit",
    ),
    (
        "characteristic_industry",
        "特色产业贷款",
        "Characteristic industry loan",
    ),
    ("industry", "产业扶贫贷款", "Industry loan"),
    ("project", "项目贷款", "Project loan"),
    (
        "beautiful_village",
        "美丽乡村贷款",
        "Beautiful-village loan",
    ),
    ("other", "其他", "Other"),
];

const BORROWER_TYPES: Table = &[
    ("household", "农户", "Household"),
    ("enterprise", "经营主体", "Enterprise"),
];

const LOAN_STATUSES: Table = &[
    ("active", "未结清", "Active"),
    ("settled", "已结清", "Settled"),
    ("rolled_over", "已续贷", "Rolled over"),
    ("written_off", "已核销", "Written off"),
    ("overdue", "逾期", "Overdue"),
];

const CLASSIFICATIONS: Table = &[
    ("normal", "正常", "Normal"),
    ("special_mention", "关注", "Special mention"),
    ("substandard", "次级", "Substandard"),
    ("doubtful", "可疑", "Doubtful"),
    ("loss", "损失", "Loss"),
];

const METHODS: Table = &[
    ("equal_instalment", "等额本息", "Equal instalments"),
    ("equal_principal", "等额本金", "Equal principal"),
    (
        "monthly_interest",
        "按月付息到期还本",
        "Monthly interest, principal at maturity",
    ),
    (
        "quarterly_interest",
        "按季付息到期还本",
        "Quarterly interest, principal at maturity",
    ),
    ("bullet", "到期一次还本付息", "Bullet"),
];

const DAY_COUNTS: Table = &[
    ("act/360", "实际天数/360", "Actual/360"),
    ("act/365", "实际天数/365", "Actual/365"),
    ("30/360", "每月30天/360", "30/360"),
];

const TRANSFER_KINDS: Table = &[
    ("disbursement", "放款", "Disbursement"),
    ("penalty_charge", "计收罚息", "Penalty interest charged"),
    ("interest_charge", "计提利息", "Interest charged"),
    ("repayment_interest", "归还利息", "Interest repaid"),
    ("repayment_principal", "归还本金", "Principal repaid"),
    ("write_off_principal", "核销本金", "Principal written off"),
    ("write_off_interest", "核销利息", "Interest written off"),
    ("repayment_penalty", "收回罚息", "Penalty interest repaid"),
    (
        "write_off_penalty",
        "核销罚息",
        "Penalty interest written off",
    ),
    ("recovery", "核销后收回", "Recovery"),
    ("rollover", "续贷转入", "Rollover"),
    ("subsidy_payment", "拨付贴息", "Subsidy paid"),
    (
        "risk_compensation",
        "风险补偿代偿",
        "Risk compensation paid",
    ),
    ("risk_return", "风险补偿返还", "Risk compensation returned"),
    ("deposit_subsidy", "拨入贴息资金", "Subsidy fund deposit"),
    (
        "deposit_risk_compensation",
        "拨入风险补偿金",
        "Risk fund deposit",
    ),
    (
        "premium_central",
        "中央财政保费补贴",
        "Premium subsidy, central",
    ),
    (
        "premium_provincial",
        "省级财政保费补贴",
        "Premium subsidy, provincial",
    ),
    (
        "premium_county",
        "县级财政保费补贴",
        "Premium subsidy, county",
    ),
    (
        "premium_farmer",
        "农户自缴保费",
        "Premium paid by the farmer",
    ),
    (
        "insurance_claim_loan",
        "保险理赔代偿贷款",
        "Insurance claim repaying a loan",
    ),
    (
        "insurance_claim_bank",
        "保证保险赔付银行",
        "Guarantee insurance paid to the bank",
    ),
    (
        "insurance_claim_farmer",
        "保险理赔赔付农户",
        "Insurance claim paid to farmers",
    ),
    (
        "deposit_guarantee",
        "拨入担保基金",
        "Guarantee fund deposit",
    ),
    (
        "guarantee_compensation",
        "担保代偿",
        "Guarantee compensation paid",
    ),
    (
        "guarantee_return",
        "担保代偿返还",
        "Guarantee compensation returned",
    ),
];

/// Who guarantees a loan.
const GUARANTOR_TYPES: Table = &[
    ("household", "农户", "Household"),
    ("enterprise", "企业", "Enterprise"),
    ("company", "融资担保公司", "Guarantee company"),
    ("county_fund", "县担保基金", "County guarantee fund"),
];

/// A guarantee fee's subsidy, or a premium payment's subsidy parts.
const SUBSIDY_STATES: Table = &[
    ("none", "无补贴", "No subsidy"),
    ("pending", "待财政审批", "Awaiting the finance bureau"),
    ("approved", "已审批拨付", "Approved and paid"),
];

/// Who pays a share of a loss in the waterfall.
const PAYERS: Table = &[
    ("insurance", "保险", "Insurance"),
    ("county_fund", "县担保基金", "County guarantee fund"),
    ("national", "国家融资担保基金", "National re-guarantee fund"),
    ("provincial", "省级再担保", "Provincial re-guarantee"),
    ("company", "融资担保公司", "Guarantee company"),
    ("household", "农户担保人", "Household guarantor"),
    ("enterprise", "企业担保人", "Enterprise guarantor"),
    ("risk_fund", "风险补偿金", "Risk-compensation fund"),
    ("bank", "银行", "Bank"),
    ("guarantee", "担保", "Guarantees"),
    ("borrower", "借款人", "Borrower"),
];

const PREPAYMENT_OPTIONS: Table = &[
    (
        "keep_term",
        "期限不变，月供减少",
        "Keep the term, lower the instalments",
    ),
    (
        "keep_instalment",
        "月供不变，期限缩短",
        "Keep the instalment, shorten the term",
    ),
];

const REPAYMENT_KINDS: Table = &[
    ("repayment", "还款", "Repayment"),
    ("recovery", "核销后收回", "Recovery"),
];

const EXTENSION_KINDS: Table = &[
    ("extension", "展期", "Extension"),
    ("rollover", "续贷", "Rollover"),
    ("prepayment", "提前部分还款", "Partial prepayment"),
    ("renewal", "续贷", "Renewal"),
];

/// A borrower's renewal or extension request.
const REQUEST_STATUSES: Table = &[
    ("pending", "待审批", "Pending"),
    ("granted", "已同意", "Granted"),
    ("refused", "已拒绝", "Refused"),
];

const FUNDS: Table = &[
    ("subsidy", "贴息资金", "Interest-subsidy fund"),
    ("risk_compensation", "风险补偿金", "Risk-compensation fund"),
    ("guarantee", "担保基金", "Guarantee fund"),
];

const CLAIM_STATES: Table = &[
    ("none", "无", "None"),
    ("pending", "待审批", "Pending"),
    ("approved", "已审批拨付", "Approved"),
];

const RETURN_STATES: Table = &[
    ("submitted", "已报送", "Submitted"),
    ("approved", "已审核", "Approved"),
    ("locked", "已锁定", "Locked"),
    ("reopened", "已退回", "Reopened"),
];

const EXEMPT_REASONS: Table = &[
    ("no_labour", "无劳动能力", "No labour capacity"),
    ("no_need", "无贷款需求", "No need"),
    ("age", "年龄不符", "Age"),
    ("bad_credit", "信用不良", "Bad credit"),
    ("other", "其他", "Other"),
];

/// Why the server refused a visit synced from the field app (`fupin_app::field`); the app's
/// script (`assets/field.js`) words them the same.
const FIELD_REFUSALS: Table = &[
    (
        "out_of_scope",
        "该村不属于您负责的村",
        "The village is not one of yours",
    ),
    (
        "not_registered",
        "该户已不在建档立卡名单中",
        "The household is no longer in the registry",
    ),
    (
        "household_exited",
        "该户在下载后已脱贫退出",
        "The household exited poverty after your download",
    ),
    (
        "household_changed",
        "该户信息在下载后已变更，请重新下载",
        "The household changed after your download: download again",
    ),
    (
        "scorecard_changed",
        "评分表版本已更换，请重新下载后评级",
        "The scorecard version changed: download again and rate",
    ),
    (
        "rated_since_download",
        "下载后已有人对该户评级，未覆盖",
        "Someone rated the household after your download; nothing was overwritten",
    ),
    (
        "future_date",
        "走访日期晚于今天",
        "The visit date is after today",
    ),
    (
        "invalid",
        "数据未通过服务器校验",
        "The server's checks refused it",
    ),
];

const IMPORT_KINDS: Table = &[
    ("regions", "行政区划", "Regions"),
    ("institutions", "金融机构", "Institutions"),
    ("assignments", "乡镇包干责任", "Township assignments"),
    ("service_points", "金融服务网点", "Service points"),
    ("households", "建档立卡贫困户", "Registered households"),
    ("enterprises", "带贫经营主体", "Enterprises"),
    ("enterprise_links", "带贫关系", "Enterprise links"),
    ("products", "贷款产品", "Loan products"),
    ("loans", "贷款", "Loans"),
    ("credit_files", "信用档案与评级", "Credit files and ratings"),
    ("credit_lines", "授信", "Credit lines"),
    ("repayments", "还款", "Repayments"),
    ("returns", "统计报表", "Statistical returns"),
    ("fund_deposits", "资金拨入", "Fund deposits"),
    ("insurance_policies", "保单", "Insurance policies"),
    ("insurance_premiums", "保费缴纳", "Insurance premiums"),
    ("insurance_claims", "保险理赔", "Insurance claims"),
    ("guarantee_contracts", "担保合同", "Guarantee contracts"),
    ("co_borrowers", "共同借款人", "Co-borrowers"),
];

const UNITS: Table = &[
    ("yuan", "元", "yuan"),
    ("count", "个", "count"),
    ("percent", "%", "%"),
    ("pp", "个百分点", "pp"),
    ("times", "倍", "×"),
];

const SECTIONS: Table = &[
    ("territory", "金融服务覆盖", "Banking coverage"),
    ("registry", "建档立卡", "Registry"),
    ("credit", "信用与授信", "Credit"),
    ("loans", "贷款", "Loans"),
    ("funds", "贴息与风险补偿", "Funds"),
    ("insurance", "涉农保险", "Insurance"),
    ("industry", "产业带动", "Industry"),
    ("returns", "统计报表", "Returns"),
];

const LEVELS: Table = &[
    ("province", "省", "Province"),
    ("city", "市", "City"),
    ("county", "县（区）", "County"),
    ("township", "乡（镇）", "Township"),
    ("village", "村", "Village"),
];

const ROLES: Table = &[
    ("regulator", "监管部门", "Regulator"),
    ("bank", "银行", "Bank"),
    ("poverty_office", "扶贫办", "Poverty office"),
    ("finance", "财政局", "Finance bureau"),
    ("admin", "管理员", "Administrator"),
    ("guarantor", "担保机构", "Guarantor"),
    ("insurer", "保险机构", "Insurer"),
    ("operator", "运维", "Operator"),
];

const INSURANCE_KINDS: Table = &[
    ("accident", "借款人意外险", "Borrower accident cover"),
    ("guarantee", "保证保险", "Loan guarantee insurance"),
    ("crop", "种植险", "Crop insurance"),
    ("livestock", "养殖险", "Livestock insurance"),
];

const INSURANCE_EVENTS: Table = &[
    ("death", "身故", "Death"),
    ("disability", "伤残", "Disability"),
    ("default", "借款违约", "Default"),
    ("crop_loss", "种植损失", "Crop loss"),
    ("livestock_loss", "养殖损失", "Livestock loss"),
];

const INSURANCE_CLAIM_STATES: Table = &[
    ("reported", "已报案", "Reported"),
    ("assessed", "已定损", "Assessed"),
    ("paid", "已赔付", "Paid"),
    ("refused", "已拒赔", "Refused"),
];

const RULE_STATUSES: Table = &[
    ("pass", "通过", "Passed"),
    ("fail", "未通过", "Failed"),
    (
        "skipped",
        "未校验（缺少数据）",
        "Not checked (data missing)",
    ),
];

const SEVERITIES: Table = &[("error", "错误", "Error"), ("warning", "警告", "Warning")];

const ALERT_SEVERITIES: Table = &[
    ("high", "高", "High"),
    ("medium", "中", "Medium"),
    ("low", "低", "Low"),
];

const ALERT_SUBJECTS: Table = &[
    ("loan", "贷款", "Loan"),
    ("credit_line", "授信", "Credit line"),
    ("village", "行政村", "Village"),
    (
        "enterprise_day",
        "企业同日放款",
        "Enterprise's loans of one day",
    ),
    ("written_off_loan", "已核销贷款", "Written-off loan"),
    ("officer", "信贷员", "Loan officer"),
];

const ALERT_STATUSES: Table = &[
    ("open", "待处理", "Open"),
    ("explained", "已说明", "Explained"),
    ("corrected", "已整改", "Corrected"),
    ("escalated", "已上报", "Escalated"),
    ("dismissed", "已排除", "Dismissed"),
    ("closed", "已消除", "Closed"),
];

/// The facts alert rules read, and the parameters of the shipped rules.
const ALERT_FACTS: Table = &[
    ("amount_fen", "贷款金额", "Amount"),
    ("term_months", "期限（月）", "Term (months)"),
    (
        "is_microcredit",
        "扶贫小额信贷（1=是）",
        "Poverty micro-credit (1 = yes)",
    ),
    (
        "borrower_age_years",
        "户主放款时年龄",
        "Head's age at disbursement",
    ),
    (
        "borrower_days_since_death",
        "户主死亡距今天数",
        "Days since the head's recorded death",
    ),
    (
        "borrower_registered_on_disbursement",
        "放款时在册（1=是）",
        "Registered at disbursement (1 = yes)",
    ),
    (
        "borrower_exited_years_before_disbursement",
        "放款前已脱贫年数",
        "Years since exit at disbursement",
    ),
    (
        "household_banks_count",
        "借款银行数",
        "Banks lending to the household",
    ),
    (
        "household_microcredit_total_fen",
        "户扶贫小额信贷合计",
        "Household's micro-credit in total",
    ),
    (
        "purpose_names_enterprise",
        "用途指向企业（1=是）",
        "Purpose names an enterprise (1 = yes)",
    ),
    (
        "subsidy_overdue_days",
        "逾期期间申领贴息天数",
        "Subsidy days claimed while overdue",
    ),
    ("line_fen", "授信额度", "Credit line"),
    ("recommended_line_fen", "评级对应额度", "Line of the grade"),
    (
        "line_above_recommended_fen",
        "超出评级额度",
        "Above the grade's line",
    ),
    ("village_loans_count", "村贷款笔数", "Loans in the village"),
    (
        "village_overdue_count",
        "村逾期笔数",
        "Overdue loans in the village",
    ),
    (
        "village_overdue_rate_bps",
        "村逾期率（万分之）",
        "Village overdue rate (bp)",
    ),
    (
        "officer_loans_count",
        "信贷员贷款笔数",
        "The officer's loans",
    ),
    (
        "officer_overdue_count",
        "信贷员逾期笔数",
        "The officer's overdue loans",
    ),
    (
        "officer_overdue_rate_bps",
        "信贷员逾期率（万分之）",
        "Officer's overdue rate (bp)",
    ),
    (
        "county_overdue_rate_bps",
        "县逾期率（万分之）",
        "County overdue rate (bp)",
    ),
    (
        "linked_loans_count",
        "同日带动户贷款笔数",
        "Loans of the day to linked households",
    ),
    ("linked_loans_fen", "同日带动户贷款金额", "Their amount"),
    (
        "balance_at_write_off_fen",
        "核销日余额",
        "Balance on the write-off day",
    ),
    ("balance_fen", "当日余额", "Balance on the date"),
    (
        "balance_rise_after_write_off_fen",
        "核销后余额增加",
        "Rise since the write-off",
    ),
    ("banks_min", "银行数下限", "Banks at least"),
    ("cap_fen", "金额上限", "Amount cap"),
    ("cap_months", "期限上限（月）", "Term cap (months)"),
    ("grace_years", "脱贫过渡年数", "Years of grace after exit"),
    ("age_min", "最低年龄", "Youngest age"),
    ("age_max", "最高年龄", "Oldest age"),
    ("loans_min", "贷款笔数下限", "Loans at least"),
    ("factor", "倍数", "Times the county's"),
    ("gap_bps", "高出县（万分之）", "Above the county (bp)"),
    ("tolerance_fen", "容差", "Tolerance"),
];

const ANSWER_KINDS: Table = &[
    ("explain", "情况说明", "Explain"),
    ("correct", "整改", "Correct"),
    ("escalate", "上报", "Escalate"),
    ("dismiss", "排除（监管）", "Dismiss (regulator)"),
];

// ---------------------------------------------------------------------------------------------
// messages

/// (English pattern, Chinese pattern): `{}` in the English matches any text; `{0}`, `{1}`… in
/// the Chinese put the matched parts back, in any order. The first pattern that matches wins.
const MESSAGES: &[(&str, &str)] = &[
    // field visit assignments
    (
        "village: village {} does not exist in the regions",
        "村：区划中没有村代码 {0}，请核对代码或先导入区划",
    ),
    (
        "village: {} is not a village code",
        "村：{0} 不是村代码（村代码为 12 位）",
    ),
    (
        "village: {} is outside {}'s region {}",
        "村：{0} 不在 {1} 的辖区 {2} 内",
    ),
    (
        "{} is not bank staff (role {}): only bank officers are assigned villages",
        "{0} 不是银行人员（角色 {1}）：只有银行信贷员可以分配走访村",
    ),
    // whole files
    (
        "{}: the file is {}; save it as UTF-8 or GB18030 (Excel: Save As → CSV UTF-8)",
        "{0}：文件是 {1} 编码，无法读取。请在 Excel 中“另存为”→“CSV UTF-8（逗号分隔）”，或保存为 GB18030 编码后重新上传",
    ),
    (
        "{}: old .xls workbooks are not supported; save it as .xlsx or as CSV",
        "{0}：不支持旧版 Excel 97–2003 工作簿（.xls）。请在 Excel 中另存为 .xlsx 或 CSV 后重新上传",
    ),
    (
        "{}: this is an XLSX workbook with a CSV name; rename it to .xlsx",
        "{0}：这是 XLSX 工作簿，文件名却以 .csv 结尾。请把扩展名改为 .xlsx 后重新上传",
    ),
    (
        "{}: lines end with CR only (old Mac format); save it again as CSV UTF-8",
        "{0}：行尾只有 CR（旧版 Mac 格式）。请在 Excel 中另存为“CSV UTF-8”后重新上传",
    ),
    (
        "{}: line {} (byte offset {}): the text is neither UTF-8 nor GB18030{}; save it as UTF-8 or GB18030",
        "{0}：第 {1} 行起的内容既不是 UTF-8 也不是 GB18030 编码文本（可能不是表格文件，或已损坏）。请从 Excel 另存为 CSV UTF-8 或 .xlsx 后重新上传",
    ),
    (
        "{}: the file is empty: there is no header row",
        "{0}：文件是空的，没有表头行。请上传带表头和数据的 CSV 或 XLSX 文件",
    ),
    (
        "{}: cannot read the workbook: {}",
        "{0}：无法读取该工作簿（文件可能已损坏或不是 Excel 文件）。请在 Excel 中打开后另存为 .xlsx 再上传",
    ),
    (
        "{}: reading the workbook stopped unexpectedly after line {}; is it damaged?",
        "{0}：读取到第 {1} 行后意外停止，文件可能已损坏。请在 Excel 中打开后另存为 .xlsx 再上传",
    ),
    (
        "{}: the file has {} bytes, more than the limit of {} (max_file_bytes)",
        "{0}：文件有 {1} 字节，超过上限 {2} 字节。请拆分为多个文件后分别上传",
    ),
    (
        "{}: line {}: more than {} data rows (max_rows); split the file",
        "{0}：第 {1} 行：数据超过 {2} 行上限。请拆分文件后分别上传",
    ),
    (
        "{}: line {}, column {}: bytes that are not valid {} (the encoding was detected from the start of the file); save the whole file as UTF-8 or GB18030",
        "{0}：第 {1} 行 {2} 列含有不符合 {3} 编码的字节。请把整个文件另存为 UTF-8 或 GB18030",
    ),
    (
        "{}: cannot read the file: {}",
        "{0}：无法读取文件。请重新上传",
    ),
    // scope
    (
        "the household is outside your region: nothing was imported",
        "该户不在您的辖区内：整个文件未导入",
    ),
    (
        "{} is outside your region: nothing was imported",
        "{0} 不在您的辖区内：整个文件未导入",
    ),
    // columns
    ("required column {} is missing", "缺少必填列 {0}"),
    (
        "column {} is given twice: as {} and as {}",
        "列 {0} 出现两次：{1} 和 {2}",
    ),
    (
        "unknown column {}; the columns are: {}",
        "无法识别的列 {0}；可用的列为：{1}",
    ),
    // references
    (
        "region {} does not exist: import regions first",
        "区划 {0} 不存在：请先导入行政区划",
    ),
    (
        "county {} does not exist: import regions first",
        "县 {0} 不存在：请先导入行政区划",
    ),
    (
        "institution {} does not exist: import institutions first",
        "金融机构 {0} 不存在：请先导入金融机构",
    ),
    (
        "household {} is not in the registry: import households first",
        "贫困户 {0} 不在建档立卡名册中：请先导入贫困户",
    ),
    (
        "household {} has no head: exactly one member has relation head (户主)",
        "贫困户 {0} 没有户主：每户须有且只有一名户主",
    ),
    (
        "household {} has {} heads: rows {}; exactly one member is head",
        "贫困户 {0} 有 {1} 名户主（第 {2} 行）：每户须有且只有一名户主",
    ),
    (
        "household {} is not in the registry on {}",
        "贫困户 {0} 在 {1} 不在建档立卡名册中",
    ),
    (
        "household {} has no head on {}",
        "贫困户 {0} 在 {1} 没有户主",
    ),
    ("household {} has status {}", "贫困户 {0} 的状态为 {1}"),
    (
        "household {} was removed from the registry on {}",
        "贫困户 {0} 已于 {1} 移出名册",
    ),
    (
        "enterprise {} does not exist: import enterprises first",
        "经营主体 {0} 不存在：请先导入经营主体",
    ),
    ("enterprise {} is not registered", "经营主体 {0} 未登记"),
    (
        "contract {} exists with different terms; use extend, roll over or write off to change a loan",
        "合同 {0} 已存在但条款不同；如需变更，请办理展期、续贷或核销",
    ),
    (
        "a term of {} months is above product {}'s maximum of {}",
        "期限 {0} 个月超过产品 {1} 的上限 {2} 个月",
    ),
    (
        "poverty micro-credit is at most {} per household",
        "扶贫小额信贷每户不超过 {0} 元",
    ),
    (
        "poverty micro-credit lends to households",
        "扶贫小额信贷只贷给农户",
    ),
    (
        "matures on {}, not after it starts on {}",
        "到期日 {0} 应晚于起始日 {1}",
    ),
    (
        "expires on {}, not after it is granted on {}",
        "到期日 {0} 应晚于授信日 {1}",
    ),
    (
        "ends on {}, not after it starts on {}",
        "结束日 {0} 应晚于开始日 {1}",
    ),
    (
        "closes on {}, not after it opens on {}",
        "结束日 {0} 应晚于开始日 {1}",
    ),
    (
        "exited in {}, before the household was identified",
        "脱贫年度 {0} 早于识别时间",
    ),
    (
        "at most 2 other causes, not {}",
        "其他致贫原因最多 2 项，不是 {0} 项",
    ),
    ("a credit line must be positive", "授信金额必须大于零"),
    ("a deposit must be positive", "拨入金额必须大于零"),
    ("a repayment must be positive", "还款金额必须大于零"),
    (
        "a recommended line cannot be negative",
        "建议授信额不能为负数",
    ),
    (
        "a credit file needs a score or factor inputs, or an exempt_reason",
        "信用档案须填写评分或各项评分因素，或填写不评级原因",
    ),
    (
        "an exempt household ({}) is not rated: leave {} empty",
        "不评级的贫困户（{0}）不评定等级：请将 {1} 留空",
    ),
    (
        "a user of {} imports only its own rows: nothing was imported",
        "{0} 的用户只能导入本机构的数据：整个文件未导入",
    ),
    (
        "an institution cannot be its own parent",
        "机构的上级机构不能是它自己",
    ),
    (
        "grade {} does not match score {}: the {} gives {} (from {})",
        "等级 {0} 与评分 {1} 不符：应为 {3}（{4} 分起）",
    ),
    (
        "the principal must be above zero, not {} yuan",
        "本金必须大于零，不是 {0} 元",
    ),
    ("the term must be at least one month", "期限至少为一个月"),
    (
        "a term of {} months is longer than the {} months allowed",
        "期限 {0} 个月超过允许的 {1} 个月",
    ),
    (
        "the rate {} is outside 0%..=100%",
        "利率 {0} 不在 0%–100% 之间",
    ),
    ("contains control characters", "含有控制字符"),
    (
        "contains a byte-order mark (U+FEFF) inside the text",
        "文本中间含有字节顺序标记（U+FEFF）",
    ),
    (
        "contains â€, Ã© or similar: UTF-8 text was read as Latin-1/Windows-1252",
        "含有 â€、Ã© 等乱码：UTF-8 文本被当作 Latin-1/Windows-1252 读取过，请用原始文件重新导出",
    ),
    (
        "{} appears twice: rows {} and {}",
        "{0} 重复出现：第 {1} 行和第 {2} 行",
    ),
    // cells
    ("empty; expected one of: {}", "为空；应为以下之一：{0}"),
    ("{} is not one of: {}", "{0} 不是可选值之一：{1}"),
    ("empty; expected {}", "为空；应填写{0}"),
    ("expected {}, found {}", "格式不符：应为{0}，实际为 {1}"),
    (
        "the cell holds the Excel error {}",
        "单元格是 Excel 错误值 {0}",
    ),
    ("{}: an amount cannot be negative", "{0}：金额不能为负数"),
    ("{}: not a number", "{0}：不是数字"),
    ("{}: not a rate", "{0}：不是利率"),
    ("{}: not a whole number", "{0}：不是整数"),
    // core values
    ("the identity number is empty", "身份证号码为空"),
    (
        "{}: an identity number has 18 characters (or 15 for old numbers), not {}",
        "{0}：身份证号码应为 18 位（旧号码 15 位），不是 {1} 位",
    ),
    (
        "{}: character {} at position {} is not allowed (digits and upper-case letters except I, O, S, V and Z)",
        "{0}：第 {2} 位的字符 {1} 不允许出现（只能是数字和除 I、O、S、V、Z 以外的大写字母）",
    ),
    ("{}: character {} must be {}", "{0}：第 {1} 位应为{2}"),
    (
        "{}: check character is {}, expected {}",
        "{0}：校验码为 {1}，应为 {2}（号码有误）",
    ),
    (
        "{}: the address code (first 6 digits) has no province",
        "{0}：前 6 位地址码中没有有效的省份",
    ),
    (
        "{}: the birth date (characters 7–14) is not a real calendar date",
        "{0}：第 7–14 位出生日期不是真实日期",
    ),
    (
        "{}: the birth date (characters 7–14) is before 1900-01-01",
        "{0}：第 7–14 位出生日期早于 1900-01-01",
    ),
    (
        "{}: the birth date (characters 7–14) is after {}",
        "{0}：第 7–14 位出生日期晚于 {1}",
    ),
    ("the credit code is empty", "统一社会信用代码为空"),
    (
        "{}: a unified social credit code has 18 characters, not {}",
        "{0}：统一社会信用代码应为 18 位，不是 {1} 位",
    ),
    ("the region code is empty", "区划代码为空"),
    (
        "{}: a region code has digits only",
        "{0}：区划代码只能是数字",
    ),
    (
        "{}: a region code has 12 digits (or 2, 4, 6 or 9, padded with zeros)",
        "{0}：区划代码应为 12 位数字（或 2、4、6、9 位，后面补零）",
    ),
    (
        "{}: the province part of a region code cannot be 00",
        "{0}：区划代码的省级部分不能为 00",
    ),
    (
        "{}: the {} part is not zero although the {} part above it is zero",
        "{0}：上级部分为零时下级部分也必须为零",
    ),
    ("the amount is empty", "金额为空"),
    (
        "{}: not a yuan amount (expected digits such as 50000 or 50,000.00)",
        "{0}：不是以元为单位的金额（应如 50000 或 50,000.00）",
    ),
    ("{}: more than two decimal places", "{0}：小数超过两位"),
    (
        "{}: the decimal point needs digits on both sides",
        "{0}：小数点两侧都应有数字",
    ),
    (
        "{}: thousands separators must split the yuan into groups of three digits",
        "{0}：千位分隔符须每三位一组",
    ),
    ("{}: the amount is too large", "{0}：金额过大"),
    ("the date is empty", "日期为空"),
    ("{}: not a {} (expected {})", "{0}：格式不符（应为 {2}）"),
    ("{}: no such {} in the calendar", "{0}：日历中没有这一天"),
    (
        "{}: year {} is outside 1900..=2200",
        "{0}：年份 {1} 不在 1900–2200 之间",
    ),
    ("the rate is empty", "利率为空"),
    (
        "{}: not a percentage (expected a number such as 4.35 or 4.35%)",
        "{0}：不是百分比（应如 4.35 或 4.35%）",
    ),
    (
        "{}: more than four decimal places of percent",
        "{0}：百分比小数超过四位",
    ),
    ("{}: a rate cannot be negative", "{0}：利率不能为负数"),
    ("{}: a rate cannot exceed 100%", "{0}：利率不能超过 100%"),
    (
        "{}: not a day count (expected act/360, act/365 or 30/360)",
        "{0}：不是计息基准（应为 act/360、act/365 或 30/360）",
    ),
    // loan servicing
    (
        "repayment {}: {} is more than the settlement amount on {} ({}): a prepayment can repay at most the whole loan",
        "还款 {0}：{1} 超过 {2} 的结清金额（{3}），提前还款最多还清全部贷款",
    ),
    (
        "repayment {}: {} is more than is due on {} ({}) and is not the settlement amount ({}); the excess would be lost, so the payment is refused",
        "还款 {0}：{1} 超过 {2} 的应还金额（{3}），也不是结清金额（{4}）；多余部分会丢失，故拒绝。如为提前部分还款，请标明提前还款",
    ),
    (
        "{} ({}) charges a twelfth of the annual rate a month, a 30-day month of a 360-day year, so it cannot accrue by {}: use act/360 or 30/360, or equal_principal to accrue by actual days",
        "{1}按年利率的十二分之一按月计息（每月 30 天、每年 360 天），不能按 {2} 计息：请用 act/360 或 30/360，或改用等额本金按实际天数计息",
    ),
    (
        "{} ({}) repays principal at maturity, so a grace of {} months of interest only cannot apply: grace is for equal_instalment and equal_principal",
        "{1}到期还本，不适用 {2} 个月只付息的宽限期：宽限期只适用于等额本息和等额本金",
    ),
    (
        "a grace of {} months leaves no month to repay in a {}-month term",
        "宽限期 {0} 个月，在 {1} 个月的期限内没有还本的月份",
    ),
    (
        "keep_instalment shortens the term of equal_instalment or equal_principal loans; {} repays principal at maturity: use keep_term",
        "“月供不变”只能缩短等额本息或等额本金贷款的期限；{0} 到期还本，请选“期限不变”",
    ),
    (
        "a prepayment option needs prepayment = yes",
        "填写提前还款方式时，提前还款须为“是”",
    ),
    (
        "{}: not a prepayment option (expected keep_term 期限不变 or keep_instalment 月供不变)",
        "{0}：不是提前还款方式（应为 keep_term 期限不变 或 keep_instalment 月供不变）",
    ),
    // returns' rules
    ("not checked: no value of {}", "未校验：缺少数据项 {0}"),
    (
        "not checked: no value for the month before",
        "未校验：上月无数据",
    ),
    (
        "{} the month before, {} now: {}, beyond {}%",
        "上月 {0}，本月 {1}：变动 {2}，超过 {3}% 的阈值",
    ),
    ("fails", "未通过"),
    (
        "month-on-month change of {} within {}%",
        "{0} 环比变动不超过 {1}%",
    ),
    // indicator notes
    ("no data for {}", "暂无数据"),
    ("not shown: {}", "无权查看"),
    ("division by zero", "分母为零，无法计算"),
    ("the formula does not expand", "公式无法展开"),
];

/// A message in `lang`: English messages as they are; in Chinese, the first pattern of
/// [`MESSAGES`] that matches, else the message as it is.
pub fn message(lang: Lang, text: &str) -> String {
    if lang == Lang::En {
        return text.to_string();
    }
    translate(text).unwrap_or_else(|| text.to_string())
}

/// The Chinese of `text`, if a pattern matches it: the whole text, else (for a
/// `{field}: message` error) the message, with the field named in Chinese.
pub fn translate(text: &str) -> Option<String> {
    whole(text).or_else(|| {
        let (field, message) = text.split_once(": ")?;
        let is_field = !field.is_empty()
            && field
                .chars()
                .all(|c| c.is_ascii_lowercase() || c == '_' || c == '.');
        if !is_field {
            return None;
        }
        let name = FIELD_NAMES
            .iter()
            .find(|(english, _)| *english == field)
            .map_or(field, |(_, chinese)| chinese);
        Some(format!("{name}：{}", whole(message)?))
    })
}

/// The Chinese of the whole of `text`: the file messages first, then the application's.
fn whole(text: &str) -> Option<String> {
    MESSAGES
        .iter()
        .chain(APP_MESSAGES)
        .find_map(|(english, chinese)| {
            let parts = matches(english, text)?;
            let mut out = chinese.to_string();
            for (index, part) in parts.iter().enumerate() {
                out = out.replace(&format!("{{{index}}}"), &part_in_chinese(part));
            }
            Some(out)
        })
}

/// A value in a message in Chinese when it is a role or an area's name; else as it is.
fn part_in_chinese(part: &str) -> String {
    if let Some((_, zh, _)) = ROLES.iter().find(|(code, _, _)| *code == part) {
        return zh.to_string();
    }
    PARTS
        .iter()
        .find(|(english, _)| *english == part)
        .map_or_else(|| part.to_string(), |(_, zh)| zh.to_string())
}

/// The parts of `text` that the `{}` of `pattern` stand for, if it matches.
fn matches<'a>(pattern: &str, text: &'a str) -> Option<Vec<&'a str>> {
    let pieces: Vec<&str> = pattern.split("{}").collect();
    let mut rest = text.strip_prefix(pieces[0])?;
    let mut parts = Vec::new();
    for (index, piece) in pieces.iter().enumerate().skip(1) {
        let last = index == pieces.len() - 1;
        let end = match (last, piece.is_empty()) {
            (true, true) => rest.len(),
            (true, false) => rest.strip_suffix(piece).map(str::len)?,
            (false, _) => rest.find(piece)?,
        };
        parts.push(&rest[..end]);
        rest = &rest[end + piece.len()..];
    }
    (pieces.len() > 1 || rest.is_empty()).then_some(parts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use fupin_app::fupin_core::date::Month;
    use fupin_app::fupin_core::returns::{ReturnState, Unit};
    use fupin_app::fupin_core::schedule::{DayCount, RepaymentMethod};
    use fupin_app::fupin_core::{BusinessDate, CreditCode, Fen, Rate, RegionCode, RegionLevel};
    use fupin_app::fupin_core::{ResidentId, repayment::Classification};
    use fupin_app::imports::upload::Kind;
    use fupin_app::ingest::IngestError;

    fn has_chinese(text: &str) -> bool {
        text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
    }

    fn assert_translated(vocabulary: Vocabulary, code: &str) {
        let zh = label(Lang::Zh, vocabulary, code);
        assert!(
            vocabulary.knows(code) && (has_chinese(&zh) || zh == "%" || zh == "30/360"),
            "{vocabulary:?} {code:?} has no Chinese text"
        );
        assert!(!label(Lang::En, vocabulary, code).is_empty());
    }

    /// Which vocabularies a column of the schema may hold; columns people never read are
    /// absent.
    fn vocabularies_of(column: &str) -> &'static [Vocabulary] {
        match column {
            "poverty_attribute" => &[Vocabulary::Attribute],
            "main_cause" => &[Vocabulary::Cause],
            "status" => &[
                Vocabulary::HouseholdStatus,
                Vocabulary::LoanStatus,
                Vocabulary::AlertStatus,
                Vocabulary::RequestStatus,
            ],
            "relation" => &[Vocabulary::Relation],
            "sex" => &[Vocabulary::Sex],
            "labour" => &[Vocabulary::Labour],
            "kind" => &[
                Vocabulary::ChangeKind,
                Vocabulary::ServicePointKind,
                Vocabulary::EnterpriseKind,
                Vocabulary::ExtensionKind,
                Vocabulary::AnswerKind,
                Vocabulary::InsuranceKind,
            ],
            "event" => &[Vocabulary::InsuranceEvent],
            "leading_level" => &[Vocabulary::LeadingLevel],
            "link" => &[Vocabulary::EnterpriseLink],
            "type" => &[Vocabulary::InstitutionType],
            "category" => &[Vocabulary::ProductCategory],
            "borrower_type" => &[Vocabulary::BorrowerType],
            "classification" => &[Vocabulary::Classification],
            "fund" => &[Vocabulary::Fund],
            "guarantor_type" => &[Vocabulary::GuarantorType],
            "payer" | "step" | "fee_payer" => &[Vocabulary::Payer],
            "subsidy_state" => &[Vocabulary::ClaimState],
            "state" => &[
                Vocabulary::ReturnState,
                Vocabulary::ClaimState,
                Vocabulary::InsuranceClaimState,
            ],
            "exempt_reason" => &[Vocabulary::ExemptReason],
            "unit" => &[Vocabulary::Unit],
            "level" => &[Vocabulary::Level],
            "role" => &[Vocabulary::Role],
            "prepayment_option" => &[Vocabulary::PrepaymentOption],
            "severity" => &[Vocabulary::Severity, Vocabulary::AlertSeverity],
            "subject" => &[Vocabulary::AlertSubject],
            _ => &[],
        }
    }

    /// `(column, [codes])` of every `column text … check (column in ('a', 'b'))` of the
    /// migrations.
    fn schema_enumerations() -> Vec<(String, Vec<String>)> {
        let folder = concat!(env!("CARGO_MANIFEST_DIR"), "/../store/migrations/sqlite");
        let mut found = Vec::new();
        for entry in std::fs::read_dir(folder).expect("the migrations") {
            let sql = std::fs::read_to_string(entry.expect("a file").path()).expect("readable");
            let mut rest = sql.as_str();
            while let Some(at) = rest.find(" in ('") {
                // `role not in ('bank', …)` names the column before `not`.
                let before = rest[..at].trim_end_matches(" not");
                let column = before
                    .rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .next()
                    .unwrap_or_default()
                    .to_string();
                let list_end = rest[at..].find(')').expect("a closed list") + at;
                let codes = rest[at + 5..list_end]
                    .split(',')
                    .map(|code| code.trim().trim_matches('\'').to_string())
                    .collect();
                found.push((column, codes));
                rest = &rest[list_end..];
            }
        }
        assert!(found.len() > 20, "the migrations' enumerations were found");
        found
    }

    #[test]
    fn every_code_the_schema_allows_has_chinese_text() {
        let skipped = ["normal_side", "operator"];
        for (column, codes) in schema_enumerations() {
            if skipped.contains(&column.as_str()) || codes.contains(&"compare".to_string()) {
                continue;
            }
            let candidates = vocabularies_of(&column);
            assert!(!candidates.is_empty(), "column {column} has no vocabulary");
            let vocabulary = candidates
                .iter()
                .find(|v| codes.iter().all(|code| v.knows(code)))
                .unwrap_or_else(|| panic!("{column} {codes:?}: a code lacks its text"));
            for code in &codes {
                assert_translated(*vocabulary, code);
            }
        }
    }

    #[test]
    fn every_field_refusal_is_worded_here_and_in_the_field_app_alike() {
        let script = include_str!("../assets/field.js");
        for code in fupin_app::field::REFUSAL_CODES {
            assert_translated(Vocabulary::FieldRefusal, code);
            for lang in [Lang::Zh, Lang::En] {
                let words = label(lang, Vocabulary::FieldRefusal, code);
                assert!(
                    script.contains(&format!("{code}: \"{words}\"")),
                    "field.js words {code} otherwise than {words:?}"
                );
            }
        }
    }

    #[test]
    fn every_vocabulary_is_named_once() {
        for vocabulary in Vocabulary::ALL {
            assert_eq!(Vocabulary::named(vocabulary.name()), Some(vocabulary));
        }
    }

    #[test]
    fn every_variant_of_the_core_enums_has_chinese_text() {
        use fupin_app::fupin_core::alert;
        for severity in alert::Severity::ALL {
            assert_translated(Vocabulary::AlertSeverity, severity.as_str());
        }
        for subject in alert::Subject::ALL {
            assert_translated(Vocabulary::AlertSubject, subject.as_str());
        }
        for status in alert::AlertStatus::ALL {
            assert_translated(Vocabulary::AlertStatus, status.as_str());
        }
        for kind in alert::AnswerKind::ALL {
            assert_translated(Vocabulary::AnswerKind, kind.as_str());
        }
        for subject in alert::Subject::ALL {
            for fact in subject.facts() {
                assert_translated(Vocabulary::AlertFact, fact);
            }
        }
        for method in RepaymentMethod::ALL {
            assert_translated(Vocabulary::Method, method.as_str());
        }
        for day_count in DayCount::ALL {
            assert_translated(Vocabulary::DayCount, day_count.as_str());
        }
        for option in fupin_app::loans::PrepaymentOption::ALL {
            assert_translated(Vocabulary::PrepaymentOption, option.as_str());
        }
        for state in ReturnState::ALL {
            assert_translated(Vocabulary::ReturnState, state.as_str());
        }
        for unit in Unit::ALL {
            assert_translated(Vocabulary::Unit, unit.as_str());
        }
        for kind in Kind::ALL {
            assert_translated(Vocabulary::ImportKind, kind.as_str());
        }
        for level in RegionLevel::ALL {
            assert_translated(Vocabulary::Level, level.as_str());
        }
        for class in [
            "normal",
            "special_mention",
            "substandard",
            "doubtful",
            "loss",
        ] {
            let parsed = Classification::parse(class).expect("a class");
            assert_translated(Vocabulary::Classification, parsed.as_str());
        }
        for vocabulary in Vocabulary::ALL {
            for (code, _, _) in vocabulary.table() {
                assert_translated(vocabulary, code);
            }
        }
    }

    fn core_messages() -> Vec<String> {
        let today = BusinessDate::parse("2026-12-07").expect("a date");
        let mut messages: Vec<String> = Vec::new();
        for id in [
            "",
            "3611",
            "36112819800101001!",
            "361128198001010010",
            "001128198001010018",
            "361128198002300012",
            "361128189901010011",
            "361128203001010013",
        ] {
            if let Err(error) = ResidentId::parse(id, today) {
                messages.push(error.to_string());
            }
        }
        for code in ["", "91360000", "913600007056581233"] {
            if let Err(error) = CreditCode::parse(code) {
                messages.push(error.to_string());
            }
        }
        for code in ["", "36x1", "36112", "000000000000", "361100000001"] {
            if let Err(error) = RegionCode::parse(code) {
                messages.push(error.to_string());
            }
        }
        for amount in ["", "abc", "1.234", "1.", "1,00", "99999999999999999999"] {
            if let Err(error) = Fen::parse_yuan(amount) {
                messages.push(error.to_string());
            }
        }
        for rate in ["", "x", "1.23456", "-1", "101"] {
            if let Err(error) = Rate::parse_percent(rate) {
                messages.push(error.to_string());
            }
        }
        for date in ["", "2017-13-01", "2017-02-30", "1800-01-01"] {
            if let Err(error) = BusinessDate::parse(date) {
                messages.push(error.to_string());
            }
        }
        if let Err(error) = DayCount::parse("actual") {
            messages.push(error.to_string());
        }
        assert!(Month::parse("2017-13").is_err());
        messages
    }

    fn file_messages() -> Vec<String> {
        let file = || "农户.csv".to_string();
        [
            IngestError::Utf16 {
                file: file(),
                encoding: "UTF-16LE",
            },
            IngestError::LegacyXls { file: file() },
            IngestError::WorkbookNamedAsCsv { file: file() },
            IngestError::CarriageReturnLineEnds { file: file() },
            IngestError::UnknownEncoding {
                file: file(),
                line: 1,
                offset: 0,
                hint: String::new(),
            },
            IngestError::NoHeader { file: file() },
            IngestError::Xlsx {
                file: file(),
                message: "zip error".into(),
            },
        ]
        .iter()
        .map(ToString::to_string)
        .collect()
    }

    #[test]
    fn every_message_of_the_core_values_and_whole_files_has_chinese_text() {
        let messages = [core_messages(), file_messages()].concat();
        assert!(messages.len() > 25, "{messages:?}");
        for text in messages {
            let zh = translate(&text).unwrap_or_else(|| panic!("no Chinese for {text:?}"));
            assert!(has_chinese(&zh), "{text:?} → {zh:?}");
        }
    }

    fn check(input: &str, expect: &str) {
        assert_eq!(message(Lang::Zh, input), expect, "{input}");
    }

    #[test]
    fn messages_keep_their_values_in_place() {
        check(
            "\"3611**********1234\": check character is 0, expected 4",
            "\"3611**********1234\"：校验码为 0，应为 4（号码有误）",
        );
        check(
            "农户.xls: old .xls workbooks are not supported; save it as .xlsx or as CSV",
            "农户.xls：不支持旧版 Excel 97–2003 工作簿（.xls）。请在 Excel 中另存为 .xlsx 或 CSV 后重新上传",
        );
        check(
            "no data for territory.townships_total, registry.households",
            "暂无数据",
        );
        check(
            "361128000000 is outside your region: nothing was imported",
            "361128000000 不在您的辖区内：整个文件未导入",
        );
        check(
            "contract C1 exists with different terms; use extend, roll over or write off to change a loan",
            "合同 C1 已存在但条款不同；如需变更，请办理展期、续贷或核销",
        );
        check(
            "household H9 is not in the registry on 2017-06-30",
            "贫困户 H9 在 2017-06-30 不在建档立卡名册中",
        );
        check(
            "household H9 is not in the registry: import households first",
            "贫困户 H9 不在建档立卡名册中：请先导入贫困户",
        );
        check("something new", "something new");
        assert_eq!(message(Lang::En, "division by zero"), "division by zero");
    }
}

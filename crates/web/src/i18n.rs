//! Chinese and English for the pages. The language comes from the `fupin_lang` cookie (set by
//! the switch in the header), else from `Accept-Language`, else Chinese.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;

use crate::auth::{LANG_COOKIE, cookie};

/// A page language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }

    /// BCP 47 tag for `<html lang>`.
    pub fn html_code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// The language's own name, for the switch.
    pub fn name(self) -> &'static str {
        match self {
            Lang::Zh => "中文",
            Lang::En => "English",
        }
    }

    pub fn other(self) -> Lang {
        match self {
            Lang::Zh => Lang::En,
            Lang::En => Lang::Zh,
        }
    }

    pub fn parse(code: &str) -> Option<Lang> {
        match code.trim().to_ascii_lowercase().as_str() {
            "zh" | "zh-cn" | "zh-hans" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The preferred of Chinese and English in an `Accept-Language` header.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut best: Option<(u32, Lang)> = None;
        for item in header.split(',') {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let quality = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            let lang = if tag.starts_with("zh") {
                Lang::Zh
            } else if tag.starts_with("en") {
                Lang::En
            } else {
                continue;
            };
            // Thousandths, so qualities compare as integers.
            let quality = (quality.clamp(0.0, 1.0) * 1000.0) as u32;
            if quality > 0 && best.is_none_or(|(q, _)| quality > q) {
                best = Some((quality, lang));
            }
        }
        best.map(|(_, lang)| lang)
    }

    /// The text of `key` in this language (the key itself when there is none, so a missing
    /// translation shows instead of vanishing).
    pub fn t(self, key: &'static str) -> &'static str {
        match TEXTS.iter().find(|(k, _, _)| *k == key) {
            Some((_, zh, en)) => match self {
                Lang::Zh => zh,
                Lang::En => en,
            },
            None => key,
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Lang, Self::Rejection> {
        let from_cookie = cookie(&parts.headers, LANG_COOKIE).and_then(Lang::parse);
        let from_header = || {
            parts
                .headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Lang::from_accept_language)
        };
        Ok(from_cookie.or_else(from_header).unwrap_or(Lang::Zh))
    }
}

/// (key, Chinese, English)
const TEXTS: &[(&str, &str, &str)] = &[
    (
        "app.name",
        "金融扶贫信息平台",
        "Fupin financial poverty alleviation",
    ),
    (
        "app.footer",
        "上饶金融扶贫信息共享平台",
        "Shangrao financial poverty-alleviation platform",
    ),
    ("nav.label", "主导航", "Main navigation"),
    ("nav.home", "首页", "Home"),
    ("nav.regions", "行政区划", "Regions"),
    ("nav.coverage", "覆盖情况", "Coverage"),
    ("nav.institutions", "金融机构", "Institutions"),
    ("nav.audit", "审计校验", "Audit"),
    ("nav.alerts", "监管预警", "Alerts"),
    (
        "hint.alerts",
        "每日按规则发现的违规线索，责任机构答复",
        "What the supervisory rules find each day, answered by the bank responsible",
    ),
    ("alerts.title", "监管预警", "Supervisory alerts"),
    ("alerts.detail_title", "预警详情", "Alert"),
    ("alerts.rule", "预警规则", "Rule"),
    ("alerts.severity", "严重程度", "Severity"),
    ("alerts.bank", "机构代码", "Bank code"),
    ("alerts.all", "全部", "All"),
    (
        "alerts.export",
        "下载工作清单（XLSX）",
        "Download work list (XLSX)",
    ),
    (
        "alerts.open_by_rule",
        "未办结预警（按规则）",
        "Alerts to work on, by rule",
    ),
    ("alerts.list", "预警列表", "Alerts"),
    ("alerts.none", "没有符合条件的预警", "No alerts match"),
    ("alerts.subject", "预警对象", "Subject"),
    ("alerts.first_seen", "首次发现", "First seen"),
    ("alerts.last_seen", "最近发现", "Last seen"),
    ("alerts.closed_on", "消除日期", "Closed on"),
    ("alerts.regulation", "依据：", "Regulation:"),
    ("alerts.definition", "规则：", "Rule:"),
    ("alerts.evidence", "证据", "Evidence"),
    (
        "alerts.evidence_all",
        "全部证据（JSON）",
        "All evidence (JSON)",
    ),
    ("alerts.fact", "事实", "Fact"),
    ("alerts.value", "数值", "Value"),
    ("alerts.answers", "答复记录", "Answers"),
    ("alerts.no_answers", "尚无答复", "No answer yet"),
    ("alerts.answered_at", "时间", "When"),
    ("alerts.actor", "答复人", "By"),
    ("alerts.kind", "答复类型", "Answer"),
    ("alerts.note", "说明", "Note"),
    ("alerts.submit", "提交答复", "Send answer"),
    ("nav.sign_out", "退出", "Sign out"),
    (
        "hint.regions",
        "省、市、县、乡、村五级区划及贫困县、贫困村标识",
        "Provinces to villages, with poverty county and village flags",
    ),
    (
        "hint.coverage",
        "乡镇包干银行与行政村金融服务覆盖",
        "Responsible banks per township, banking service per village",
    ),
    (
        "hint.institutions",
        "银行业金融机构名录",
        "Directory of banks and other institutions",
    ),
    (
        "hint.audit",
        "审计记录哈希链完整性",
        "Integrity of the hash-chained audit trail",
    ),
    ("home.title", "首页", "Home"),
    (
        "home.lead",
        "请选择要查看的内容。您能看到的数据由您的角色和辖区决定。",
        "Choose what to look at. What you see depends on your role and region.",
    ),
    ("signin.title", "登录", "Sign in"),
    ("signin.name", "用户名", "User name"),
    ("signin.password", "密码", "Password"),
    ("signin.submit", "登录", "Sign in"),
    (
        "signin.refused",
        "用户名或密码错误",
        "Wrong user name or password",
    ),
    (
        "signin.throttled",
        "登录失败次数过多，请稍后再试",
        "Too many failed sign-ins; try again later",
    ),
    (
        "signin.expired",
        "表单已过期，请重试",
        "The form expired; please try again",
    ),
    ("role.regulator", "监管部门", "Regulator"),
    ("role.bank", "银行", "Bank"),
    ("role.poverty_office", "扶贫办", "Poverty office"),
    ("role.finance", "财政局", "Finance bureau"),
    ("role.admin", "管理员", "Administrator"),
    ("role.guarantor", "担保机构", "Guarantor"),
    ("role.insurer", "保险机构", "Insurer"),
    ("role.operator", "运维", "Operator"),
    ("filter.level", "层级", "Level"),
    ("filter.region", "区划代码", "Region code"),
    ("filter.as_of", "统计日期", "As of"),
    ("filter.all", "全部", "All"),
    ("filter.apply", "查询", "Apply"),
    ("level.province", "省", "Province"),
    ("level.city", "市", "City"),
    ("level.county", "县（区）", "County"),
    ("level.township", "乡（镇）", "Township"),
    ("level.village", "村", "Village"),
    ("list.shown", "显示", "Shown"),
    (
        "list.more",
        "还有更多，请缩小范围",
        "more exist: narrow the filter",
    ),
    ("flag.poverty_county", "国定贫困县", "state poverty county"),
    ("flag.poverty_village", "贫困村", "poverty village"),
    ("col.code", "代码", "Code"),
    ("col.name", "名称", "Name"),
    ("col.level", "层级", "Level"),
    ("col.population", "人口", "Population"),
    ("col.flags", "标识", "Flags"),
    ("col.type", "类型", "Type"),
    ("col.parent", "上级机构", "Parent"),
    ("col.region", "所在地区", "Region"),
    ("regions.title", "行政区划", "Regions"),
    ("institutions.title", "金融机构", "Institutions"),
    ("type.policy_bank", "政策性银行", "Policy bank"),
    (
        "type.large_commercial",
        "大型商业银行",
        "Large commercial bank",
    ),
    ("type.postal_savings", "邮储银行", "Postal savings bank"),
    (
        "type.rural_cooperative",
        "农村合作金融机构",
        "Rural cooperative institution",
    ),
    ("type.village_bank", "村镇银行", "Village bank"),
    ("type.other", "其他", "Other"),
    ("coverage.title", "金融服务覆盖", "Banking coverage"),
    (
        "coverage.townships",
        "乡镇包干责任银行",
        "Townships and their responsible banks",
    ),
    ("coverage.townships_total", "乡镇总数", "Townships"),
    (
        "coverage.assigned",
        "已落实包干银行",
        "With a responsible bank",
    ),
    ("coverage.unassigned", "未落实", "Without"),
    ("coverage.by_type", "按机构类型", "By institution type"),
    ("coverage.by_institution", "按机构", "By institution"),
    ("coverage.count", "乡镇数", "Townships"),
    (
        "coverage.unassigned_list",
        "未落实包干银行的乡镇",
        "Townships without a responsible bank",
    ),
    (
        "coverage.villages",
        "行政村金融服务",
        "Banking service in villages",
    ),
    ("coverage.villages_total", "行政村总数", "Villages"),
    ("coverage.rate", "覆盖率", "Covered"),
    ("coverage.outlet", "有营业网点", "With an outlet"),
    (
        "coverage.electronic",
        "仅有电子机具",
        "Electronic equipment only",
    ),
    ("coverage.mobile", "仅流动服务", "Mobile service only"),
    ("coverage.none", "无服务", "No service"),
    (
        "coverage.uncovered_list",
        "无金融服务的行政村",
        "Villages without banking service",
    ),
    ("audit.title", "审计记录校验", "Audit trail verification"),
    (
        "audit.intact",
        "审计记录完整，已校验条数",
        "The audit trail is intact; records verified",
    ),
    (
        "audit.broken",
        "审计记录被篡改，问题数",
        "The audit trail was tampered with; problems",
    ),
    ("audit.recent", "最近的审计记录", "Recent audit records"),
    ("audit.at", "时间", "At"),
    ("audit.actor", "操作人", "Actor"),
    ("audit.action", "操作", "Action"),
    ("audit.entity", "对象", "Entity"),
    ("audit.request", "请求编号", "Request id"),
    // audit (reads branch)
    ("audit.search", "搜索", "Search"),
    ("audit.from", "起始日期（北京时间）", "From (China date)"),
    ("audit.to", "截止日期（北京时间）", "To (China date)"),
    (
        "audit.china_time",
        "时间（北京时间 UTC+8）",
        "Time (China, UTC+8)",
    ),
    ("audit.verify", "校验哈希链", "Verify the hash chain"),
    (
        "audit.verify_hint",
        "重新计算每条记录的哈希，记录多时需要数秒",
        "Recomputes every record's hash; takes seconds on a long trail",
    ),
    ("audit.checked", "已校验记录数", "Records checked"),
    ("audit.first_bad", "第一条异常记录", "First bad record"),
    ("audit.older", "更早的记录", "Older records"),
    ("audit.newest", "最新记录", "Newest records"),
    (
        "audit.none",
        "没有符合条件的审计记录",
        "No audit records match",
    ),
    // end of audit (reads branch)
    ("error.title", "出错了", "Something went wrong"),
    ("error.home", "返回首页", "Back to the home page"),
    ("scope.all", "全部地区", "all regions"),
    ("nav.dashboard", "监测看板", "Dashboard"),
    ("nav.worklist", "三个全覆盖", "Three full coverage"),
    ("nav.households", "建档立卡户", "Households"),
    ("nav.loans", "贷款", "Loans"),
    ("nav.funds", "贴息与风补", "Funds"),
    ("nav.insurance", "涉农保险", "Insurance"),
    ("nav.guarantees", "担保代偿", "Guarantees"),
    ("nav.returns", "统计报表", "Returns"),
    ("nav.imports", "数据导入", "Imports"),
    (
        "hint.dashboard",
        "辖区指标、分县图表与月度走势",
        "Indicators of your area, charts by county and by month",
    ),
    (
        "hint.worklist",
        "乡镇包干、评级、授信全覆盖及待办清单",
        "Townships, ratings and credit lines: the uncovered to work on",
    ),
    (
        "hint.households",
        "建档立卡贫困户、家庭成员与变动记录",
        "Registered poor households, members and their changes",
    ),
    (
        "hint.loans",
        "贷款台账、还款计划与资金流水",
        "Loans, repayment schedules and ledger transfers",
    ),
    (
        "hint.funds",
        "贴息资金、风险补偿金与申请审批",
        "Subsidy and risk funds, claims and their approval",
    ),
    (
        "hint.insurance",
        "保单、保费补贴与理赔",
        "Policies, premium subsidies and claims",
    ),
    (
        "hint.guarantees",
        "担保代偿审批、担保费与补贴",
        "Guarantee claims to approve, guarantee fees and their subsidies",
    ),
    (
        "hint.returns",
        "金融机构报表与审核状态",
        "Institutions' returns and their approval",
    ),
    (
        "hint.imports",
        "上传CSV/XLSX文件，先校验后导入",
        "Upload CSV/XLSX files: checked first, then applied",
    ),
    ("col.amount", "金额", "Amount"),
    ("col.birth", "出生日期", "Born"),
    ("col.died", "死亡日期", "Died"),
    ("col.borrower", "借款人", "Borrower"),
    ("col.change", "变动", "Change"),
    ("col.class", "五级分类", "Classification"),
    ("col.contract", "合同", "Contract"),
    ("col.county", "县", "County"),
    ("col.days", "天数", "Days"),
    ("col.head", "户主", "Head"),
    ("col.household", "户编号", "Household"),
    ("col.id_number", "证件号码", "ID number"),
    ("col.indicator", "指标", "Indicator"),
    ("col.institution", "机构", "Institution"),
    ("col.interest", "利息", "Interest"),
    ("col.labour", "劳动能力", "Labour"),
    ("col.members", "人数", "Members"),
    ("col.note", "说明", "Note"),
    ("col.overdue", "逾期", "Overdue"),
    ("col.period", "期限", "Term"),
    ("col.principal", "本金", "Principal"),
    ("col.product", "产品", "Product"),
    ("col.rate", "利率", "Rate"),
    ("col.relation", "与户主关系", "Relation"),
    ("col.reported", "公布值", "Reported"),
    ("col.sex", "性别", "Sex"),
    ("col.status", "状态", "Status"),
    ("col.township", "乡镇", "Township"),
    ("col.unit", "单位", "Unit"),
    ("col.value", "数值", "Value"),
    ("col.village", "行政村", "Village"),
    (
        "dashboard.title",
        "金融扶贫监测看板",
        "Financial poverty alleviation dashboard",
    ),
    (
        "dashboard.lead",
        "数据截至所选日期；增幅以上年末为基期。",
        "Figures as of the chosen date; increases against the end of the previous year.",
    ),
    ("dashboard.report", "下载监管报表", "Download the report"),
    (
        "dashboard.by_county",
        "分县：贷款增速与贫困人口",
        "By county: loan growth and poor population",
    ),
    (
        "dashboard.by_month",
        "扶贫小额信贷余额（各月末）",
        "Poverty micro-credit balance at each month-end",
    ),
    ("dashboard.growth", "贷款增速", "Loan growth"),
    ("dashboard.poor", "贫困人口", "Poor population"),
    (
        "dashboard.microcredit",
        "扶贫小额信贷余额",
        "Micro-credit balance",
    ),
    (
        "dashboard.no_counties",
        "所选范围不含县级区划。",
        "The chosen area contains no county.",
    ),
    ("dashboard.indicators", "指标", "Indicators"),
    (
        "dashboard.flagged",
        "与公布数不一致的指标",
        "Indicators that differ from the published figures",
    ),
    ("filter.group", "区划组", "Region group"),
    (
        "funds.title",
        "贴息资金与风险补偿金",
        "Subsidy and risk-compensation funds",
    ),
    ("funds.quarter", "季度", "Quarter"),
    (
        "insurance.title",
        "涉农保险",
        "Agriculture-related insurance",
    ),
    ("insurance.policies", "保单", "Policies"),
    ("insurance.claims", "理赔", "Claims"),
    ("insurance.none", "没有符合条件的记录", "Nothing matches"),
    ("insurance.insurer", "保险机构", "Insurer"),
    ("insurance.kind", "险种", "Kind"),
    ("insurance.claim_state", "理赔状态", "Claim state"),
    ("insurance.policy_no", "保单号", "Policy"),
    ("insurance.claim_no", "赔案号", "Claim"),
    ("insurance.event", "出险", "Event"),
    ("insurance.insured", "保险对象", "Insured"),
    ("insurance.sum_insured", "保险金额", "Sum insured"),
    ("insurance.premium", "保费", "Premium"),
    ("insurance.shares", "保费分担", "Premium shares"),
    ("insurance.central", "中央", "Central"),
    ("insurance.provincial", "省级", "Provincial"),
    ("insurance.county", "县级", "County"),
    ("insurance.farmer", "农户", "Farmer"),
    ("insurance.period", "保险期间", "Period"),
    ("insurance.claimed", "报损金额", "Claimed"),
    ("insurance.paid", "赔付金额", "Paid"),
    ("insurance.assessed", "核定金额", "Assessed"),
    (
        "insurance.premiums",
        "待审批的保费补贴",
        "Premium subsidies awaiting approval",
    ),
    ("insurance.payment", "缴费编号", "Payment"),
    ("insurance.paid_on", "缴费日期", "Paid on"),
    (
        "insurance.approve",
        "审批补贴并拨付",
        "Approve and pay subsidies",
    ),
    (
        "insurance.confirm_approve",
        "确认审批这笔保费的中央、省级、县级补贴，并拨付给保险机构？",
        "Approve this premium's central, provincial and county subsidies and pay them to the insurer?",
    ),
    ("insurance.report", "报案", "Report a claim"),
    ("insurance.occurred_on", "出险日期", "Occurred on"),
    ("insurance.reported_on", "报案日期", "Reported on"),
    ("insurance.action", "操作", "Action"),
    ("insurance.assess", "定损", "Assess"),
    ("insurance.pay", "赔付", "Pay"),
    ("insurance.refuse", "拒赔", "Refuse"),
    ("insurance.reason", "拒赔理由", "Reason"),
    ("insurance.date", "日期", "Date"),
    (
        "insurance.confirm_report",
        "确认按所填内容报案？",
        "Report this claim as entered?",
    ),
    (
        "insurance.confirm_assess",
        "确认按所填金额定损？",
        "Assess the claim at the amount entered?",
    ),
    (
        "insurance.confirm_pay",
        "确认赔付？赔款记入账簿；有贷款的先偿还贷款。",
        "Pay this claim? The payment posts in the ledger; on a loan it repays the loan first.",
    ),
    (
        "insurance.confirm_refuse",
        "确认拒赔？请填写理由。",
        "Refuse this claim? Give the reason.",
    ),
    ("funds.subsidy", "贴息资金", "Interest-subsidy fund"),
    ("funds.risk", "风险补偿金", "Risk-compensation fund"),
    ("funds.balance", "余额", "Balance"),
    ("funds.deposits", "累计拨入", "Deposited"),
    ("funds.paid", "已贴息", "Subsidy paid"),
    ("funds.compensated", "已代偿", "Compensation paid"),
    ("funds.recovered", "已收回", "Recovered"),
    ("funds.covered", "风补覆盖贷款余额", "Covered loans"),
    ("funds.leverage", "放大倍数", "Leverage used"),
    ("funds.subsidy_claims", "贴息申请", "Subsidy claims"),
    (
        "funds.risk_claims",
        "风险补偿申请",
        "Risk-compensation claims",
    ),
    ("funds.no_claims", "暂无申请", "No claims"),
    ("funds.claim_lines", "贴息贷款明细", "Loans claimed"),
    ("funds.loans", "笔数", "Loans"),
    ("funds.raised", "发起日期", "Raised"),
    ("funds.approve", "审批拨付", "Approve and pay"),
    ("funds.guarantee", "担保基金", "Guarantee fund"),
    ("funds.guaranteed", "担保贷款余额", "Guaranteed balance"),
    (
        "funds.fund_guaranteed",
        "担保基金在保余额",
        "Guaranteed by the fund",
    ),
    ("funds.waterfall", "损失分担", "Loss waterfall"),
    (
        "funds.waterfall_hint",
        "按顺序：保险、担保、风险补偿金与银行",
        "In order: insurance, guarantees, then the risk fund and the bank",
    ),
    ("funds.payer", "分担方", "Payer"),
    ("funds.claims_paid", "已代偿", "Claims paid"),
    ("funds.returned", "收回返还", "Returned from recoveries"),
    ("funds.losses", "分担损失", "Losses shared"),
    ("funds.bank_borne", "银行承担", "Borne by banks"),
    ("funds.guarantee_claims", "担保代偿申请", "Guarantee claims"),
    ("funds.fees_paid", "担保费收入", "Guarantee fees paid"),
    (
        "funds.fee_subsidies",
        "担保费补贴",
        "Fee subsidies approved",
    ),
    (
        "funds.confirm_approve",
        "确认审批并拨付？资金将从对应基金转给银行，无法撤销。",
        "Approve and pay? The money goes from the fund to the bank and cannot be undone.",
    ),
    (
        "guarantees.title",
        "担保代偿与担保费",
        "Guarantee claims and fees",
    ),
    ("guarantees.claims", "担保代偿", "Guarantee claims"),
    ("guarantees.fees", "担保费", "Guarantee fees"),
    ("guarantees.contract", "担保合同", "Guarantee contract"),
    ("guarantees.guarantor", "担保方", "Guarantor"),
    ("guarantees.fee_payer", "缴费方", "Paid by"),
    ("guarantees.fee", "担保费", "Fee"),
    ("guarantees.subsidy", "财政补贴", "Subsidy"),
    ("guarantees.approve_claim", "审批代偿", "Approve and pay"),
    ("guarantees.approve_subsidy", "审批补贴", "Approve subsidy"),
    (
        "guarantees.confirm_claim",
        "确认由本方承担这笔担保代偿，并拨付给贷款银行？",
        "Pay this guarantee share to the lending bank?",
    ),
    (
        "guarantees.confirm_subsidy",
        "确认从县贴息资金拨付这笔担保费补贴？",
        "Pay this guarantee fee subsidy from the county subsidy fund?",
    ),
    (
        "guarantees.hint",
        "各分担方审批自己的份额：财政局审批县担保基金代偿和担保费补贴，担保公司审批本公司及再担保份额，银行审批农户、企业担保人份额。",
        "Each payer approves its own share: the finance bureau the county guarantee fund's claims and fee subsidies, a guarantee company its own and the re-guarantee shares, a bank the household and enterprise guarantors'.",
    ),
    ("household.title", "贫困户档案", "Household"),
    ("household.facts", "基本情况", "Facts"),
    ("household.attribute", "贫困户属性", "Poverty attribute"),
    ("household.cause", "致贫原因", "Causes"),
    ("household.identified", "识别时间", "Identified"),
    ("household.income", "人均纯收入", "Income per person"),
    ("household.exited", "脱贫年度", "Exited in"),
    (
        "household.not_registered",
        "该日期不在册",
        "Not in the registry on this date",
    ),
    (
        "household.credit",
        "信用档案与评级",
        "Credit file and rating",
    ),
    (
        "household.no_file",
        "尚未建立信用档案",
        "No credit file yet",
    ),
    ("household.exempt", "不评级", "Exempt"),
    ("household.grade", "信用等级", "Grade"),
    ("household.recommended", "建议授信", "recommended line"),
    ("household.lines", "授信", "Credit lines"),
    ("household.no_line", "尚未授信", "No credit line yet"),
    ("household.guarantees", "担保", "Guarantees"),
    ("household.co_borrowed", "共同借款", "Co-borrowed loans"),
    (
        "household.no_co_borrowed",
        "家庭成员无共同借款",
        "No member co-borrows a loan",
    ),
    (
        "household.principal_outstanding",
        "剩余本金",
        "principal outstanding",
    ),
    (
        "household.guaranteed_by",
        "贷款担保",
        "Its loans guaranteed by",
    ),
    (
        "household.guarantor",
        "为他人担保",
        "Guarantees given by a member",
    ),
    ("household.own_loans", "自身贷款", "Own loans"),
    ("household.exposure", "担保敞口", "Exposure"),
    ("household.members", "家庭成员", "Members"),
    ("household.loans", "贷款", "Loans"),
    ("household.no_loans", "无贷款", "No loans"),
    ("household.history", "变动记录", "Changes"),
    (
        "household.show_ids",
        "显示完整证件号（将记录审计）",
        "Show full ID numbers (audited)",
    ),
    ("household.mask_ids", "隐藏证件号", "Mask ID numbers"),
    (
        "households.title",
        "建档立卡贫困户",
        "Registered poor households",
    ),
    ("imports.title", "数据导入", "Imports"),
    (
        "imports.lead",
        "选择文件类型并上传CSV或XLSX（UTF-8或GB18030，中英文表头均可）。默认先试导入：只校验、不写入。",
        "Choose what the file holds and upload a CSV or XLSX (UTF-8 or GB18030, Chinese or English headers). A dry run, the default, checks and changes nothing.",
    ),
    (
        "imports.none",
        "您的角色没有可导入的文件类型。",
        "Your role imports no kind of file.",
    ),
    ("imports.kind", "文件类型", "Kind of file"),
    ("imports.file", "文件", "File"),
    (
        "imports.as_of",
        "数据日期（建档立卡类）",
        "Extract date (registry files)",
    ),
    (
        "imports.dry_run",
        "试导入（只校验）",
        "Dry run (check only)",
    ),
    (
        "imports.load_valid",
        "导入有效行（建档立卡类）",
        "Load the valid rows (registry files)",
    ),
    (
        "imports.confirm_warnings",
        "接受报表警告",
        "Accept returns' warnings",
    ),
    ("imports.upload", "上传", "Upload"),
    ("imports.applied", "已导入", "Applied"),
    (
        "imports.dry_run_ok",
        "校验通过，未写入",
        "Checked: no errors, nothing changed",
    ),
    ("imports.refused", "未导入", "Not applied"),
    ("imports.rows", "行数", "rows"),
    ("imports.added", "新增", "Added"),
    ("imports.changed", "变更", "Changed"),
    ("imports.unchanged", "未变", "Unchanged"),
    ("imports.removed", "移除", "Removed"),
    ("imports.would_remove", "将移除", "Would remove"),
    ("imports.replaces", "本文件替换", "The file replaces"),
    ("imports.villages", "个行政村", "village(s)"),
    ("imports.registered", "现有贫困户", "households registered"),
    (
        "imports.allow_removals",
        "确认移除文件中未列出的贫困户（超过1%或只覆盖行政村一部分时须确认）",
        "Allow removals of households the file does not list (needed above 1 %, or when it covers part of a village)",
    ),
    ("imports.errors", "错误", "Errors"),
    (
        "imports.error_report",
        "下载错误报告（CSV）",
        "Download the error report (CSV)",
    ),
    ("imports.row", "行", "Row"),
    ("imports.column", "列", "Column"),
    ("loan.title", "贷款", "Loan"),
    ("loan.purpose", "用途", "Purpose"),
    ("loan.officer", "信贷员", "Loan officer"),
    ("loan.guarantees", "担保", "Guarantees"),
    ("loan.no_guarantees", "无担保", "No guarantor"),
    ("loan.co_borrowers", "共同借款人", "Co-borrowers"),
    ("loan.no_co_borrowers", "无共同借款人", "No co-borrower"),
    ("loan.person_name", "姓名", "Name"),
    ("loan.relation", "与借款人关系", "Relation to the borrower"),
    ("loan.signed_on", "签订日期", "Signed on"),
    (
        "loan.not_registered",
        "不在建档立卡名册中",
        "Not in the registry",
    ),
    ("loan.guarantor", "担保人", "Guarantor"),
    (
        "loan.guarantee_contract",
        "担保合同号",
        "Guarantee contract",
    ),
    ("loan.share", "担保比例", "Share"),
    ("loan.fee", "担保费率", "Guarantee fee"),
    (
        "loan.outstanding",
        "未还本金+利息",
        "Outstanding principal + interest",
    ),
    ("loan.schedule", "还款计划", "Repayment schedule"),
    ("loan.due", "日期", "Date"),
    ("loan.paid_principal", "已还本金", "Principal paid"),
    ("loan.paid_interest", "已还利息", "Interest paid"),
    ("loan.repayments", "还款记录", "Repayments"),
    ("loan.extensions", "展期与续贷", "Extensions and rollovers"),
    ("loan.transfers", "资金流水", "Ledger transfers"),
    ("loan.penalty", "罚息", "Penalty interest"),
    ("loan.versions", "还款计划版本", "Schedule versions"),
    ("loan.version", "版本", "Version"),
    (
        "loan.version_first",
        "原始计划（放款时）",
        "Original schedule (at disbursement)",
    ),
    ("loan.from_number", "起始期次", "From instalment"),
    ("loan.maturity", "到期日", "Maturity"),
    ("loan.prepay", "提前部分还款", "Partial prepayment"),
    (
        "loan.prepay_hint",
        "先还清逾期和当期应还款，余额提前归还本金，并生成新的还款计划",
        "Pays what is overdue and due first; the rest repays principal under a new schedule",
    ),
    ("loan.prepay_id", "还款流水号", "Repayment id"),
    ("loan.prepay_option", "提前还款方式", "Prepayment option"),
    ("loan.product_default", "按产品约定", "As the product sets"),
    ("loan.prepay_submit", "提前还款", "Prepay"),
    ("loan.refused", "未受理", "Refused"),
    ("loan.value_date", "起息日", "Value date"),
    ("loans.title", "贷款台账", "Loans"),
    ("returns.title", "统计报表", "Statistical returns"),
    ("returns.from", "起始月份", "From month"),
    ("returns.to", "截止月份", "To month"),
    ("returns.period", "报告期", "Period"),
    ("returns.values", "项数", "Values"),
    ("returns.by", "经办", "By"),
    ("returns.actions", "审核", "Approval"),
    ("returns.approve", "审核通过", "Approve"),
    ("returns.lock", "锁定", "Lock"),
    ("returns.reopen", "退回修改", "Reopen"),
    ("returns.reason", "退回原因", "Reason"),
    ("returns.submit", "报送报表", "Submit returns"),
    ("returns.submitted", "已报送", "Submitted"),
    ("returns.approved", "已审核", "Approved"),
    ("returns.locked", "已锁定", "Locked"),
    ("returns.reopened", "已退回", "Reopened"),
    ("status.poor", "未脱贫", "Poor"),
    ("status.exited", "已脱贫", "Exited"),
    ("status.relapsed", "返贫", "Relapsed"),
    ("status.other", "—", "—"),
    ("unit.yuan", "元", "yuan"),
    ("unit.count", "个/户/人", "count"),
    ("unit.pp", "个百分点", "pp"),
    ("unit.times", "倍", "×"),
    ("unit.wan_yuan", "万元", "10k yuan"),
    (
        "worklist.title",
        "三个全覆盖工作清单",
        "Three full coverage: the work list",
    ),
    ("worklist.three", "三个全覆盖", "Three full coverage"),
    ("worklist.townships", "乡镇包干", "Townships with a bank"),
    ("worklist.rated", "建档评级", "Rated households"),
    ("worklist.lines", "授信", "Households with a line"),
    (
        "worklist.households",
        "待建档评级或授信的贫困户",
        "Eligible households still without a credit file or line",
    ),
    (
        "worklist.lead",
        "按行政村排列；责任银行为所在乡镇的包干银行。",
        "By village; the bank is the township's responsible bank.",
    ),
    ("worklist.missing", "缺少", "Missing"),
    ("worklist.no_file", "信用档案", "credit file"),
    ("worklist.no_line", "授信", "credit line"),
    // pages (pages branch)
    ("unit.yi_yuan", "亿元", "100m yuan"),
    ("unit.households", "户", "households"),
    ("unit.people", "人", "people"),
    ("unit.loans", "笔", "loans"),
    ("unit.items", "个", ""),
    ("page.data_as_of", "数据截至", "Data as of"),
    (
        "page.data_as_of_hint",
        "默认显示数据的最新日期（最近一次日终处理、报表或名册）",
        "By default the latest date the data reaches (the last end of day, return or registry extract)",
    ),
    ("nav.menu", "菜单", "Menu"),
    ("app.brand", "金融扶贫平台", "Fupin"),
    ("returns.detail", "报表详情", "Return"),
    ("returns.before", "上月", "Month before"),
    (
        "returns.no_before",
        "上月未报送",
        "No return the month before",
    ),
    ("returns.rules", "校验规则", "Validation rules"),
    ("returns.rule", "规则", "Rule"),
    ("returns.severity", "级别", "Severity"),
    ("returns.result", "结果", "Result"),
    ("returns.history", "修改记录", "Changes"),
    ("returns.submitted_by", "报送", "Submitted by"),
    ("returns.element", "数据项", "Element"),
    ("actor.cli", "命令行导入", "command line"),
    ("loans.class", "五级分类", "Classification"),
    (
        "loans.wall",
        "到期墙：未来24个月到期本金",
        "Maturity wall: principal falling due over 24 months",
    ),
    (
        "loans.wall_note",
        "按月、按县统计在贷贷款现行还款计划的到期本金（万元），起算日",
        "Principal falling due by month and county from the current schedules of active loans (10k yuan), from",
    ),
    ("loans.wall_total", "合计", "total"),
    (
        "loans.requests",
        "待处理的续贷、展期申请",
        "Renewal and extension requests outstanding",
    ),
    (
        "loans.no_requests",
        "没有待处理的续贷或展期申请。",
        "No renewal or extension request is outstanding.",
    ),
    ("loans.request_kind", "申请类型", "Request"),
    ("loans.requested_on", "申请日期", "Requested on"),
    ("loans.maturity_on", "到期日", "Maturity"),
    ("loans.request_note", "借款人说明", "Borrower's reason"),
    ("loans.overdue", "逾期", "Overdue"),
    (
        "imports.refused_file",
        "文件未能读取，未导入任何数据",
        "The file could not be read: nothing was imported",
    ),
    (
        "imports.what_to_do",
        "请按上面的提示修改文件后重新上传。",
        "Correct the file as the message says, then upload it again.",
    ),
    ("imports.your_file", "您的文件", "Your file"),
    ("col.phone", "电话", "Phone"),
    ("col.head_name", "户主姓名", "Head of household"),
    ("list.page", "第", "Page"),
    ("list.previous", "上一页", "Previous"),
    ("list.next", "下一页", "Next"),
    // cards (cards branch)
    ("nav.field", "入户走访", "Village visits"),
    (
        "hint.field",
        "离线走访应用：下载村工作清单，离线评级授信，联网同步",
        "Offline visit app: download a village's work list, rate and grant offline, sync online",
    ),
    ("nav.users", "用户管理", "Users"),
    (
        "hint.users",
        "添加、停用、启用用户，重置密码",
        "Add, disable and enable users; reset passwords",
    ),
    ("users.title", "用户管理", "Users"),
    ("dashboard.cards", "主要指标", "Key figures"),
    ("dashboard.vs_month", "比上月末", "vs previous month-end"),
    ("dashboard.vs_year", "比年初", "vs beginning of year"),
    (
        "dashboard.by_township",
        "各乡镇：授信覆盖率与贫困人口",
        "By township: credit-line coverage and poor population",
    ),
    (
        "dashboard.credit_line_share",
        "授信覆盖率",
        "Credit-line coverage",
    ),
    ("dashboard.drill", "查看下级", "Drill down"),
    (
        "users.lead",
        "本辖区的用户：角色、范围（地区、机构）和状态。每项操作都记入审计。",
        "The users of your region: role, scope (region, institution) and state. Every action is audited.",
    ),
    ("users.name", "用户名", "User name"),
    ("users.display_name", "姓名", "Display name"),
    ("users.role", "角色", "Role"),
    ("users.scope", "范围", "Scope"),
    ("users.region", "地区代码", "Region code"),
    ("users.institution", "机构代码", "Institution code"),
    (
        "users.institution_hint",
        "仅银行用户填写",
        "bank users only",
    ),
    ("users.password", "初始密码", "Initial password"),
    ("users.state", "状态", "State"),
    ("users.actions", "操作", "Actions"),
    ("users.active", "正常", "Active"),
    ("users.disabled", "已停用", "Disabled"),
    ("users.disable", "停用", "Disable"),
    ("users.enable", "启用", "Enable"),
    ("users.revoke_sessions", "注销所有登录", "Revoke sessions"),
    (
        "users.revoke_sessions_hint",
        "设备丢失时使用：结束该用户的所有登录并吊销其API令牌，账户保持启用",
        "For a lost device: ends all the user's sessions and revokes their API tokens; the account stays enabled",
    ),
    ("users.reset", "重置密码", "Reset password"),
    (
        "users.password_blank",
        "留空则自动生成",
        "blank: generate one",
    ),
    ("users.add", "添加用户", "Add a user"),
    ("users.added", "已添加用户", "User added"),
    ("users.villages", "信贷员走访村", "Officers' villages"),
    (
        "users.villages_hint",
        "入户走访应用只向信贷员提供分配给他的村；未分配任何村时，提供其银行负责的全部村。",
        "The field app offers an officer only the villages assigned to them; with none assigned, every village their bank is responsible for.",
    ),
    ("users.assigned_villages", "已分配的村", "Assigned villages"),
    (
        "users.villages_all",
        "未分配（本行负责的全部村）",
        "None (every village of their bank)",
    ),
    ("users.officer", "信贷员", "Officer"),
    (
        "users.village_codes",
        "村代码（可填多个，以空格分隔）",
        "Village codes (several, separated by spaces)",
    ),
    ("users.assign", "分配", "Assign"),
    ("users.unassign", "取消分配", "Unassign"),
    (
        "users.villages_assigned",
        "已分配走访村",
        "Villages assigned",
    ),
    (
        "users.villages_unassigned",
        "已取消分配走访村",
        "Villages unassigned",
    ),
    ("users.password_set", "已重置密码", "Password reset"),
    ("users.generated", "新密码", "New password"),
    (
        "users.generated_hint",
        "只显示这一次，请转告用户",
        "shown this once only; pass it on to the user",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_preferred_of_zh_and_en() {
        assert_eq!(
            Lang::from_accept_language("en-US,en;q=0.9,zh-CN;q=0.8"),
            Some(Lang::En)
        );
        assert_eq!(
            Lang::from_accept_language("zh-CN,zh;q=0.9,en;q=0.8"),
            Some(Lang::Zh)
        );
        assert_eq!(Lang::from_accept_language("fr-FR,en;q=0.5"), Some(Lang::En));
        assert_eq!(Lang::from_accept_language("fr-FR"), None);
    }

    #[test]
    fn every_key_is_translated_once() {
        let mut keys: Vec<_> = TEXTS.iter().map(|(k, _, _)| *k).collect();
        keys.sort_unstable();
        let count = keys.len();
        keys.dedup();
        assert_eq!(keys.len(), count, "a key appears twice");
        assert!(
            TEXTS
                .iter()
                .all(|(k, zh, en)| !zh.is_empty() && (!en.is_empty() || *k == "unit.items"))
        );
    }
}

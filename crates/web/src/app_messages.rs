//! The Chinese of the application layer's messages (`fupin-app`'s `AppError`s), in the same
//! (English pattern, Chinese pattern) form as [`crate::labels`]' file messages; the test in
//! `message_coverage.rs` fails on a message of `fupin-app` that none of them matches.
//!
//! A `{field}: message` error is matched without its field, and the field is named by
//! [`FIELD_NAMES`]. Specific patterns come before general ones: the first match wins.

/// (English pattern, Chinese pattern): `{}` matches any text; `{0}`, `{1}`… put it back.
pub const APP_MESSAGES: &[(&str, &str)] = &[
    // access
    (
        "a bank user without an institution reads no registry data",
        "未关联机构的银行用户无权查看建档立卡数据",
    ),
    (
        "a bank user without an institution sees no bank data",
        "未关联机构的银行用户无权查看银行数据",
    ),
    ("a bank user without an institution", "该银行用户未关联机构"),
    (
        "a guarantor user without an institution sees no guarantees",
        "未关联机构的担保用户无权查看担保",
    ),
    (
        "an insurer user without an institution sees no policies",
        "未关联机构的保险用户无权查看保单",
    ),
    (
        "the {} role reads its own claims, not the county funds' figures",
        "{0}角色只能查看本机构的理赔，不能查看县级资金数据",
    ),
    (
        "the {} role sees ID numbers masked",
        "{0}角色只能看到脱敏的身份证号",
    ),
    (
        "the {} role does not approve premium subsidies: the finance bureau does",
        "{0}角色不能审批保费补贴：由财政局审批",
    ),
    (
        "the {} role does not change credit files, lines or scorecards",
        "{0}角色不能修改信用档案、授信或评分卡",
    ),
    (
        "the {} role does not enter insurance policies or claims: the insurer's staff do",
        "{0}角色不能录入保单或理赔：由保险机构人员录入",
    ),
    (
        "the {} role does not import {} files",
        "{0}角色不能导入 {1} 文件",
    ),
    (
        "the {} role does not keep guarantee funds",
        "{0}角色不能管理担保基金",
    ),
    (
        "the {} role does not read credit coverage",
        "{0}角色无权查看信用覆盖情况",
    ),
    (
        "the {} role does not read credit files or lines",
        "{0}角色无权查看信用档案或授信",
    ),
    (
        "the field app is for bank staff: the {} role does not visit households",
        "外业应用供银行人员使用：{0} 角色不走访农户",
    ),
    (
        "the admin role does not read loan products",
        "管理员角色无权查看贷款产品",
    ),
    (
        "the bank role does not read reported figures",
        "银行角色无权查看报送数据",
    ),
    ("the {} role does not read returns", "{0}角色无权查看报表"),
    (
        "the {} role does not submit or correct returns",
        "{0}角色无权报送或更正报表",
    ),
    (
        "the {} role does not approve, lock or reopen returns",
        "{0}角色无权审批、锁定或重新打开报表",
    ),
    (
        "the {} role does not define data elements, validation rules or reported figures",
        "{0}角色无权定义数据元、校验规则或报送指标",
    ),
    ("the {} role does not read {}", "{0}角色无权查看{1}"),
    ("the {} role does not change {}", "{0}角色无权修改{1}"),
    ("the {} role does not {}", "{0}角色无权执行此操作（{1}）"),
    (
        "only the operator of the command line runs the demo",
        "只有命令行操作员可以运行演示",
    ),
    (
        "only the regulator defines alert rules",
        "只有监管机构可以定义预警规则",
    ),
    (
        "only the regulator defines indicators",
        "只有监管机构可以定义指标",
    ),
    (
        "only the regulator dismisses an alert",
        "只有监管机构可以排除预警",
    ),
    (
        "only the regulator or the operator sets the default scorecard",
        "只有监管机构或系统操作员可以设置默认评分卡",
    ),
    (
        "a loan's guarantors are named by its bank",
        "贷款的担保人由贷款银行指定",
    ),
    (
        "a product's guarantees are set by its bank",
        "产品的担保条款由其银行设置",
    ),
    (
        "backups and restores are made on the server, by its operator",
        "备份与恢复由服务器操作员在服务器上进行",
    ),
    (
        "{} is not bank staff (role {}): only bank officers are assigned villages",
        "{0} 不是银行人员（角色 {1}）：只有银行信贷员可以分配走访村",
    ),
    (
        "only bank, guarantor and insurer users have an institution, not {}",
        "只有银行、担保和保险用户关联机构，{0} 不关联",
    ),
    // not found
    (
        "a pending {} request of loan {} not found",
        "贷款 {1} 没有待处理的 {0} 申请",
    ),
    ("audit record {} not found", "审计记录 {0} 不存在"),
    (
        "claim {} of policy {} not found",
        "保单 {1} 的理赔 {0} 不存在",
    ),
    (
        "premium payment {} of policy {} not found",
        "保单 {1} 的保费缴纳 {0} 不存在",
    ),
    ("policy {} of {} not found", "{1} 的保单 {0} 不存在"),
    ("guarantee claim {} not found", "担保代偿 {0} 不存在"),
    ("guarantee company {} not found", "担保公司 {0} 不存在"),
    ("subsidy claim {} not found", "贴息申请 {0} 不存在"),
    ("risk claim {} not found", "风险补偿申请 {0} 不存在"),
    ("premium payment {} not found", "保费缴纳 {0} 不存在"),
    ("ledger account {} not found", "账户 {0} 不存在"),
    ("region group {} not found", "区划组 {0} 不存在"),
    ("guarantee {} not found", "担保 {0} 不存在"),
    ("guarantor {} not found", "担保人 {0} 不存在"),
    ("household {} not found", "贫困户 {0} 不存在"),
    ("indicator {} not found", "指标 {0} 不存在"),
    ("institution {} not found", "机构 {0} 不存在"),
    ("insurer {} not found", "保险机构 {0} 不存在"),
    ("loan {} not found", "贷款 {0} 不存在"),
    ("product {} not found", "贷款产品 {0} 不存在"),
    ("region {} not found", "区划 {0} 不存在"),
    ("return {} not found", "报表 {0} 不存在"),
    ("scorecard {} not found", "评分卡 {0} 不存在"),
    ("user {} not found", "用户 {0} 不存在"),
    ("village {} not found", "村 {0} 不存在"),
    ("claim {} not found", "理赔 {0} 不存在"),
    ("county {} does not exist", "县 {0} 不存在"),
    ("institution {} does not exist", "机构 {0} 不存在"),
    ("product {} does not exist", "贷款产品 {0} 不存在"),
    ("region {} does not exist", "区划 {0} 不存在"),
    (
        "village {} does not exist in the regions",
        "区划中没有村代码 {0}，请核对代码或先导入区划",
    ),
    (
        "{} is not a registered guarantee company",
        "{0} 不是已登记的担保公司",
    ),
    // already done, changed meanwhile
    (
        "a request with this Idempotency-Key is still being processed",
        "使用该幂等键的请求仍在处理中，请稍后再试",
    ),
    (
        "was already used for a different request",
        "已用于另一个请求",
    ),
    (
        "alert {} changed meanwhile; look at it again",
        "预警 {0} 已被他人更新，请刷新后再处理",
    ),
    (
        "alert {} is {} and takes no answer",
        "预警 {0} 状态为 {1}，不能再处理",
    ),
    (
        "claim {} of policy {} is {}: only an assessed claim is paid",
        "保单 {1} 的理赔 {0} 状态为 {2}：只有已定损的理赔才能赔付",
    ),
    (
        "claim {} of policy {} is {}",
        "保单 {1} 的理赔 {0} 状态为 {2}",
    ),
    (
        "claim {} of policy {} was already reported with different content",
        "保单 {1} 的理赔 {0} 已报案，且内容不同",
    ),
    (
        "policy {} of {} was already registered with different content",
        "{1} 的保单 {0} 已登记，且内容不同",
    ),
    (
        "premium payment {} of policy {} was already recorded with different content ({} on {})",
        "保单 {1} 的保费缴纳 {0} 已登记，且内容不同（{3} 缴纳 {2}）",
    ),
    (
        "repayment {} of {} was already applied with different content ({} on {})",
        "{1} 的还款 {0} 已入账，且内容不同（{3} 还款 {2}）",
    ),
    (
        "deposit {} was already recorded with different content",
        "存入 {0} 已登记，且内容不同",
    ),
    (
        "visit {} was already synced for another household or user",
        "走访记录 {0} 已为其他农户或用户同步",
    ),
    (
        "{} already names this guarantor with different terms",
        "{0} 已登记该担保人，且条款不同",
    ),
    (
        "guarantee claim {} was already approved",
        "担保代偿 {0} 已审批",
    ),
    (
        "risk claim {} was already approved",
        "风险补偿申请 {0} 已审批",
    ),
    (
        "subsidy claim {} was already approved",
        "贴息申请 {0} 已审批",
    ),
    ("institution {} already exists", "机构 {0} 已存在"),
    ("user {} already exists", "用户 {0} 已存在"),
    ("user {} is disabled", "用户 {0} 已停用"),
    ("loan {}/{} exists already", "贷款 {0}/{1} 已存在"),
    (
        "loan {} already has a pending {} request of {}",
        "贷款 {0} 已有一笔 {2} 提交的待处理 {1} 申请",
    ),
    (
        "loan {} is {}: nothing is owed",
        "贷款 {0} 状态为 {1}：没有应还款项",
    ),
    ("loan {} is {}", "贷款 {0} 状态为 {1}"),
    (
        "return {} is {}: reopen it (with a reason) before correcting it",
        "报表 {0} 状态为 {1}：请先（说明理由）重新打开再更正",
    ),
    (
        "return {} was closed for changes meanwhile: reopen it first",
        "报表 {0} 已被关闭，不能修改：请先重新打开",
    ),
    (
        "end of day for {} was done by another run at the same time; run again to continue",
        "{0} 的日终处理已由另一进程同时完成；请再次运行以继续",
    ),
    (
        "the database {} already holds a registry: run the demo on a fresh database",
        "数据库 {0} 已有建档立卡数据：请在新数据库上运行演示",
    ),
    (
        "credit files were already rated on {} under {}'s scorecards: a new version must start after {}, so that old ratings keep their version",
        "{0} 已按 {1} 的评分卡评级：新版本须在 {2} 之后生效，以保留原评级所依据的版本",
    ),
    (
        "data element {} is held by returns in {}: its unit cannot change to {}",
        "数据元 {0} 已用于 {1} 的报表：单位不能改为 {2}",
    ),
    // co-borrowers
    (
        "co-borrower {} of loan {} was already recorded with different content",
        "贷款 {1} 的共同借款人 {0} 已登记，且内容不同",
    ),
    (
        "a loan names at most {} co-borrowers",
        "一笔贷款最多 {0} 名共同借款人",
    ),
    (
        "is {} years old on {}: a co-borrower must be an adult",
        "{1} 时年仅 {0} 岁：共同借款人须为成年人",
    ),
    (
        "{} is after the loan matures on {}",
        "{0} 晚于贷款到期日 {1}",
    ),
    (
        "must be spouse, child, parent, sibling or other",
        "须为配偶、子女、父母、兄弟姐妹或其他",
    ),
    (
        "the registry records this person's death on {}",
        "建档立卡名册记载此人已于 {0} 死亡",
    ),
    (
        "is the head of household {}, the borrower: a borrower does not co-borrow its own loan",
        "是借款户 {0} 的户主：借款人不能作为自己贷款的共同借款人",
    ),
    (
        "{} differs from the registry's {}",
        "{0} 与建档立卡名册中的 {1} 不一致",
    ),
    // guarantee fees and insurance decisions
    ("a fee payment needs its id", "担保费缴纳须填写流水号"),
    (
        "{} days is not between 1 and 366",
        "{0} 天不在 1 到 366 天之间",
    ),
    ("guarantee {} charges no fee", "担保 {0} 不收取担保费"),
    (
        "guarantee fee {} was already recorded with different content ({} on {})",
        "担保费 {0} 已登记，且内容不同（{2} 缴纳 {1}）",
    ),
    (
        "guarantee fee {} has no subsidy to approve",
        "担保费 {0} 没有待审批的补贴",
    ),
    (
        "{} has no guarantee of contract {}",
        "{0} 没有担保合同为 {1} 的担保",
    ),
    (
        "{} has several guarantees of contract {}",
        "{0} 有多个担保合同为 {1} 的担保",
    ),
    ("{} is not pending or approved", "{0} 不是待审批或已审批"),
    (
        "{} is not death, disability, default, crop_loss or livestock_loss",
        "{0} 不是身故、伤残、违约、农作物损失或牲畜损失",
    ),
    (
        "{} is not assess, pay or refuse",
        "{0} 不是定损、赔付或拒赔",
    ),
    (
        "no pig-farming county in the plan",
        "演示计划中没有生猪养殖县",
    ),
    ("{} + {} days", "{0} 加 {1} 天"),
    // funds, guarantees, insurance
    (
        "the {} fund of county {} holds less than {}: nothing was paid ({})",
        "县 {1} 的 {0} 基金余额不足 {2}：未支付（{3}）",
    ),
    (
        "fund {} is not subsidy, risk_compensation or guarantee",
        "资金 {0} 不是贴息、风险补偿或担保基金",
    ),
    ("deposit {} must be positive", "存入金额 {0} 必须大于零"),
    ("amount {} must be positive", "金额 {0} 必须大于零"),
    (
        "recovery {} of {} is more than is left to recover ({})",
        "{1} 的追偿 {0} 超过剩余待追偿金额（{2}）",
    ),
    (
        "the guarantee fund of {} does not guarantee loans of county {}",
        "{0} 的担保基金不为县 {1} 的贷款担保",
    ),
    (
        "a borrower does not guarantee its own loan ({})",
        "借款人不能为自己的贷款担保（{0}）",
    ),
    (
        "a guarantee needs its guarantee contract number",
        "担保须填写担保合同编号",
    ),
    (
        "share {} is not between 0.01 % and 100 %",
        "份额 {0} 不在 0.01 % 到 100 % 之间",
    ),
    (
        "the fee rate must not be negative and its subsidy at most 100 %",
        "担保费率不能为负，补贴比例不能超过 100 %",
    ),
    (
        "fee payer {} is not borrower or bank",
        "担保费承担方 {0} 不是借款人或银行",
    ),
    (
        "the leverage multiple must be positive and the fund's share between 0 and 100 %",
        "放大倍数必须大于零，基金分担比例须在 0 到 100 % 之间",
    ),
    (
        "national, provincial, company and bank shares must add up to 100 %, not {}",
        "国家、省、担保公司和银行的分担比例合计须为 100 %，而不是 {0}",
    ),
    (
        "guarantor kinds {} are not among household, enterprise, company, county_fund",
        "担保人类型 {0} 不在农户、企业、担保公司、县担保基金之列",
    ),
    (
        "the cap must be between 0.01 % and 100 %",
        "上限须在 0.01 % 到 100 % 之间",
    ),
    (
        "the waterfall names insurance, guarantee and risk_fund, each once",
        "损失分担顺序须列出保险、担保和风险补偿基金，各一次",
    ),
    ("waterfall step {}", "损失分担步骤 {0}"),
    (
        "guarantee insurance needs the share of a default it pays, above 0 and at most 100 %",
        "保证保险须填写其赔付的违约损失比例，大于 0 且不超过 100 %",
    ),
    (
        "only guarantee insurance pays a share of a default, not {}",
        "只有保证保险按违约损失比例赔付，{0} 不适用",
    ),
    (
        "{} insurance covers a loan: name it",
        "{0} 保险保障一笔贷款：请填写该贷款",
    ),
    ("the loan is in county {}", "该贷款属于县 {0}"),
    ("needed without a loan", "未关联贷款时必填"),
    (
        "premiums of policy {} would reach {}, above its premium of {}",
        "保单 {0} 的已缴保费将达到 {1}，超过其保费 {2}",
    ),
    ("policy kind {}", "保单类型 {0}"),
    ("a {} policy does not cover {}", "{0} 保单不保障 {1}"),
    (
        "{} is outside the policy's period {} – {}",
        "{0} 不在保险期间 {1} 至 {2} 内",
    ),
    (
        "must be positive and at most the sum insured of {}",
        "必须大于零且不超过保险金额 {0}",
    ),
    (
        "{} is not between 0 and the sum insured of {}",
        "{0} 不在 0 到保险金额 {1} 之间",
    ),
    (
        "{} is above the policy's {} bps of the principal outstanding: {}",
        "{0} 超过保单约定的未还本金的 {1} 个基点：{2}",
    ),
    ("a refused claim needs its reason", "拒赔须说明理由"),
    (
        "{} is not reported, assessed, paid or refused",
        "{0} 不是已报案、已定损、已赔付或已拒赔",
    ),
    (
        "measure {}[{}]: the payer is central, provincial, county or farmer",
        "度量 {0}[{1}]：承担方须为中央、省、县或农户",
    ),
    ("{} is before starts_on {}", "{0} 早于起始日 {1}"),
    ("{} is before the assessment", "{0} 早于定损日期"),
    ("{} is before the event", "{0} 早于出险日期"),
    ("{} is before the payment on {}", "{0} 早于 {1} 的缴费"),
    ("{} is before the report on {}", "{0} 早于 {1} 的报案"),
    // loans
    (
        "keep_instalment shortens the term of equal_instalment or equal_principal loans; {} repays principal at maturity: use keep_term",
        "“保持月供”只适用于等额本息或等额本金贷款；{0} 到期还本：请选择“保持期限”",
    ),
    (
        "maturity_on {} is not a whole number of months after {}",
        "到期日 {0} 与 {1} 之间不是整月数",
    ),
    (
        "paid_on {} is before the loan started on {}",
        "还款日 {0} 早于贷款起始日 {1}",
    ),
    (
        "requested_on {} is before the loan started on {}",
        "申请日 {0} 早于贷款起始日 {1}",
    ),
    (
        "the decision on {} is before the request of {}",
        "{0} 的决定早于 {1} 的申请",
    ),
    (
        "new maturity {} must be after the current one, {}",
        "新到期日 {0} 须晚于当前到期日 {1}",
    ),
    (
        "nothing falls due after {} to extend",
        "{0} 之后没有到期款项，无需展期",
    ),
    (
        "nothing is left to prepay after {}",
        "{0} 之后没有可提前归还的本金",
    ),
    (
        "{} of interest is owed on {}: it must be paid before a rollover",
        "{1} 尚欠利息 {0}：须先付清才能续贷",
    ),
    (
        "month {} of a maturity wall must be 1 to {}",
        "到期分布的月份 {0} 须在 1 到 {1} 之间",
    ),
    (
        "{} + {} months is beyond the calendar",
        "{0} 加 {1} 个月超出日历范围",
    ),
    ("{}: nothing to prepay", "{0}：没有可提前归还的本金"),
    ("grace_months is negative", "宽限期月数不能为负"),
    ("a reason is required", "须说明理由"),
    (
        "must be normal, special_mention, substandard, doubtful or loss",
        "须为正常、关注、次级、可疑或损失",
    ),
    (
        "must be pending, granted or refused",
        "须为待处理、已批准或已拒绝",
    ),
    ("repayment {}: {}", "还款 {0}：{1}"),
    ("schedule of {}: {}", "{0} 的还款计划：{1}"),
    ("maturity of {}", "{0} 的到期日"),
    ("principal of {}", "{0} 的本金"),
    (
        "penalty of loan {} overflows",
        "贷款 {0} 的罚息超出可计算范围",
    ),
    // credit, field work
    (
        "no scorecard of {} is in force on {}",
        "{0} 在 {1} 没有生效的评分卡",
    ),
    (
        "must be 8 to 64 letters, digits or '-' (a UUID made on the device)",
        "须为 8 到 64 位字母、数字或“-”（设备生成的 UUID）",
    ),
    ("{} is outside {}'s region {}", "{0} 不在 {1} 的辖区 {2} 内"),
    (
        "{} is not a village code",
        "{0} 不是村代码（村代码为 12 位）",
    ),
    // returns and indicators
    (
        "a correction needs a reason (or a return reopened with one)",
        "更正须说明理由（或先说明理由重新打开报表）",
    ),
    (
        "a return is reopened only with a reason",
        "重新打开报表须说明理由",
    ),
    (
        "{}; confirm the warnings to accept the correction",
        "{0}；请确认提示后再接受更正",
    ),
    (
        "{}; it cannot be approved until corrected",
        "{0}；更正之前不能审批",
    ),
    (
        "compares elements of different units: {}",
        "比较了单位不同的数据元：{0}",
    ),
    ("{} is counted in {}, not yuan", "{0} 的单位是 {1}，不是元"),
    ("{} is not a data element", "{0} 不是数据元"),
    (
        "{} is not an indicator code (lowercase letters, digits, '_')",
        "{0} 不是指标代码（小写字母、数字或“_”）",
    ),
    (
        "{} is not a region code prefix (up to 12 digits)",
        "{0} 不是区划代码前缀（至多 12 位数字）",
    ),
    ("{} is a {} code, not a county", "{0} 是{1}代码，不是县"),
    (
        "is required: where was it published?",
        "必填：发布出处是哪里？",
    ),
    (
        "give either a region or a region group, not both or neither",
        "请指定区划或区划组之一",
    ),
    (
        "give a region or a group, not both",
        "请指定区划或区划组，不能同时指定",
    ),
    (
        "unit {} is not yuan, count, percent, pp or times",
        "单位 {0} 不是元、个数、百分比、百分点或倍",
    ),
    (
        "measure {}[{}]: the month must be 1 to 24",
        "度量 {0}[{1}]：月份须在 1 到 24 之间",
    ),
    ("measure {} needs [{}]", "度量 {0} 需要参数 [{1}]"),
    ("unknown measure {}", "未知度量 {0}"),
    ("{} has no regions on {}", "{0} 在 {1} 没有区划"),
    ("no base date before 1900", "没有 1900 年之前的基期"),
    ("no base date", "没有基期日期"),
    ("{} is not xlsx, csv or json", "{0} 不是 xlsx、csv 或 json"),
    (
        "the workbook could not be written: {}",
        "无法生成工作簿：{0}",
    ),
    // alerts
    (
        "alert rule {} cannot be evaluated: {}",
        "预警规则 {0} 无法计算：{1}",
    ),
    (
        "a rule code is 1 to 40 capital letters, digits or '_'",
        "规则代码须为 1 到 40 位大写字母、数字或“_”",
    ),
    (
        "parameter {} must be a lower-case name with a whole number",
        "参数 {0} 须为小写名称并取整数值",
    ),
    ("at most 20 parameters", "最多 20 个参数"),
    ("not a JSON object: {}", "不是 JSON 对象：{0}"),
    ("not a JSON object", "不是 JSON 对象"),
    (
        "give a reason of 1 to {} characters",
        "请填写 1 到 {0} 个字符的理由",
    ),
    // territory, users, regions
    (
        "membership of {} ends on {}, not after it starts",
        "{0} 的归属截止日 {1} 不晚于起始日",
    ),
    (
        "must be one of policy_bank, large_commercial, postal_savings, rural_cooperative, village_bank, other",
        "须为政策性银行、大型商业银行、邮储银行、农村合作金融机构、村镇银行或其他",
    ),
    (
        "must be one of regulator, bank, poverty_office, finance, admin, insurer",
        "须为监管机构、银行、扶贫办、财政局、管理员或保险机构",
    ),
    (
        "must have 1 to 64 characters and no spaces",
        "须为 1 到 64 个字符，不含空格",
    ),
    (
        "may not contain spaces, control characters, ':' or '/'",
        "不能包含空格、控制字符、“:”或“/”",
    ),
    ("must have at least {} characters", "至少 {0} 个字符"),
    ("must have at most {} bytes", "最多 {0} 个字节"),
    ("must have 1 to {} characters", "须为 1 到 {0} 个字符"),
    (
        "must be 1 to {} visible ASCII characters",
        "须为 1 到 {0} 个可见 ASCII 字符",
    ),
    ("is longer than {} characters", "超过 {0} 个字符"),
    ("give 1 to {} characters", "请填写 1 到 {0} 个字符"),
    ("at most {} characters", "最多 {0} 个字符"),
    ("{} is not in a county", "{0} 不属于任何县"),
    ("{} is not in a province", "{0} 不属于任何省"),
    ("{} is not a county code", "{0} 不是县代码"),
    ("{} is the last supported date", "{0} 是支持的最后日期"),
    // general values
    (
        "must be between 0 and {}, not {}",
        "须在 0 到 {0} 之间，而不是 {1}",
    ),
    (
        "must be between 1 and {}, not {}",
        "须在 1 到 {0} 之间，而不是 {1}",
    ),
    ("must be above 0 and at most {}", "须大于 0 且不超过 {0}"),
    ("must be positive", "必须大于零"),
    ("must not be negative", "不能为负"),
    ("must not be empty", "不能为空"),
    ("is required", "必填"),
    (
        "since {} is negative: use 0 for everything",
        "起始序号 {0} 为负：从头读取请用 0",
    ),
    (
        "load_valid and as_of apply to households, enterprises and enterprise_links",
        "load_valid 和 as_of 只适用于贫困户、企业和带贫关系文件",
    ),
    // the server and the database
    (
        "the copy fails its checks, so no backup was written: {}",
        "副本未通过校验，未写入备份：{0}",
    ),
    (
        "not a Fupin database: it has no _sqlx_migrations table (no schema was ever created in it)",
        "不是 Fupin 数据库：没有 _sqlx_migrations 表（从未建立过表结构）",
    ),
    (
        "{}: not a database file (an in-memory database cannot be restored)",
        "{0}：不是数据库文件（内存数据库无法恢复）",
    ),
    (
        "importing {} was refused with {} errors (report: {}): {}",
        "导入 {0} 被拒绝，共 {1} 处错误（报告：{2}）：{3}",
    ),
    (
        "demo generation could not place {} people lifted by breeding bases",
        "演示数据生成无法安置 {0} 名由养殖基地带动脱贫的人员",
    ),
    (
        "cannot read the disk of {}: {}",
        "无法读取 {0} 所在磁盘：{1}",
    ),
    ("cannot read {}: {}", "无法读取 {0}：{1}"),
    (
        "event {}: stored JSON: {}",
        "事件 {0}：存储的 JSON 有误：{1}",
    ),
    ("instant {}: {}", "时间 {0}：{1}"),
    (
        "no randomness from the system: {}",
        "系统无法提供随机数：{0}",
    ),
    ("password hashing stopped: {}", "密码哈希计算中断：{0}"),
    ("cannot be hashed: {}", "无法计算哈希：{0}"),
    // rows of imported files
    (
        "the text looks damaged by a wrong encoding ({}); it was not stored: fix the file and import it again",
        "文字疑似因编码错误而损坏（{0}），未保存：请修正文件后重新导入",
    ),
    (
        "household {}: {} is {} here but {} on row {}; the household columns must agree on every member row",
        "贫困户 {0}：{1} 此处为 {2}，第 {4} 行却为 {3}；同一户各成员行的户信息须一致",
    ),
    (
        "{} is already a member of household {} in village {}, which this file neither lists nor covers; a person belongs to one household at a time",
        "{0} 已是村 {2} 贫困户 {1} 的成员，而本文件既未列出也不覆盖该户；一人同一时间只能属于一户",
    ),
    (
        "{} moves in from household {}, which is refused; fix that household first",
        "{0} 从贫困户 {1} 迁入，而该户被拒绝；请先修正该户",
    ),
    (
        "{} is not a data element: use one of {} (or define it first)",
        "{0} 不是数据元：请使用 {1} 之一（或先定义）",
    ),
    (
        "return {} has {} twice: rows {} and {}",
        "报表 {0} 中 {1} 出现两次：第 {2} 行和第 {3} 行",
    ),
    (
        "return {} is {}: it must be reopened (with a reason) before its values can change",
        "报表 {0} 状态为 {1}：须先（说明理由）重新打开才能修改数值",
    ),
    (
        "return {} was approved meanwhile: reopen it first",
        "报表 {0} 已被审批：请先重新打开",
    ),
    (
        "the {} {} above {} does not exist: import it first or add it to this file",
        "{2} 的上级{0} {1} 不存在：请先导入，或加入本文件",
    ),
    (
        "parent institution {} of {} does not exist: import it first or add it to this file",
        "{1} 的上级机构 {0} 不存在：请先导入，或加入本文件",
    ),
    ("{} does not exist", "{0} 不存在"),
    ("{} ({} is in {})", "{0}（{1} 属于 {2}）"),
    // the web's refusals of a request's fields
    (
        "is required on requests that move money: send a key of your choosing and repeat it when you retry",
        "涉及资金的请求必须提供：自选一个键值，重试时使用同一个",
    ),
    ("must be visible ASCII", "须为可见 ASCII 字符"),
    ("must be a record number", "须为记录编号"),
    (
        "is required (a 12-digit village code)",
        "必填（12 位村代码）",
    ),
    ("{} is finer than 0.01 %", "{0} 精度超过 0.01 %"),
    (
        "is not household, enterprise, company or county_fund",
        "不是农户、企业、担保公司或县担保基金",
    ),
    ("the form has no file field", "表单中没有文件"),
    ("choose what the file holds", "请选择文件内容的类型"),
    ("must be xlsx, csv or json", "须为 xlsx、csv 或 json"),
    (
        "{} is not accident, guarantee, crop or livestock",
        "{0} 不是意外险、保证保险、种植险或养殖险",
    ),
    (
        "must be active, overdue, settled, rolled_over or written_off",
        "须为正常、逾期、结清、续贷或核销",
    ),
    (
        "must be keep_term or keep_instalment",
        "须为保持期限（keep_term）或保持月供（keep_instalment）",
    ),
    (
        "is only for a prepayment (prepayment: true)",
        "仅用于提前还款（prepayment: true）",
    ),
    (
        "{} is after today: end of day runs for days that have ended",
        "{0} 晚于今天：日终处理只针对已结束的日期",
    ),
    ("must be renewal or extension", "须为续贷或展期"),
    ("must be 0 or a sequence number", "须为 0 或序号"),
    ("give 1 to {} village codes", "请填写 1 到 {0} 个村代码"),
    ("{} is not assign or unassign", "{0} 不是分配或取消分配"),
    // sums beyond what a fen amount holds: a defect to report, never a user's mistake
    (
        "the share of loan {} overflows",
        "贷款 {0} 的分担金额超出可计算范围",
    ),
    (
        "subsidy of loan {} overflows",
        "贷款 {0} 的贴息超出可计算范围",
    ),
    (
        "risk claim of loan {} overflows",
        "贷款 {0} 的风险补偿超出可计算范围",
    ),
    ("{} overflows", "{0}超出可计算范围"),
    ("{} overflow", "{0}超出可计算范围"),
];

/// Field names of `{field}: message` errors, as a clerk calls them.
pub const FIELD_NAMES: &[(&str, &str)] = &[
    ("amount", "金额"),
    ("as_of", "日期"),
    ("before", "截止日期"),
    ("check", "校验规则"),
    ("code", "代码"),
    ("condition", "条件"),
    ("county", "县"),
    ("county_code", "县代码"),
    ("description", "说明"),
    ("element", "数据元"),
    ("file", "文件"),
    ("format", "格式"),
    ("group", "区划组"),
    ("guarantor_id", "担保人"),
    ("household_id", "户编号"),
    ("id", "编号"),
    ("institution", "机构"),
    ("kind", "类型"),
    ("line.amount", "授信额度"),
    ("name", "名称"),
    ("new_contract", "新合同"),
    ("parameters", "参数"),
    ("password", "密码"),
    ("period", "期间"),
    ("premium", "保费"),
    ("prepayment_option", "提前还款方式"),
    ("quarter", "季度"),
    ("region", "区划"),
    ("region_code", "区划代码"),
    ("scale", "规模"),
    ("severity", "严重程度"),
    ("share", "分担比例"),
    ("since", "起始序号"),
    ("state", "状态"),
    ("status", "状态"),
    ("subject", "对象"),
    ("sum_insured", "保险金额"),
    ("threshold", "阈值"),
    ("unit", "单位"),
    ("value", "取值"),
    ("village", "村"),
    ("village_code", "村代码"),
];

/// Words that fill a message's `{}`, in Chinese: the areas of `fupin_app::access` (roles are
/// named by the role vocabulary).
pub const PARTS: &[(&str, &str)] = &[
    ("reference data", "参考数据"),
    ("territory", "辖区与机构"),
    ("users", "用户"),
    ("the audit trail", "审计日志"),
    ("the registry", "建档立卡名册"),
    ("loans", "贷款"),
    ("funds", "财政资金"),
    ("guarantees", "担保"),
    ("returns", "报表"),
    ("indicators", "指标"),
    ("alerts", "预警"),
    ("operations (end of day)", "日终处理"),
    ("insurance", "保险"),
];

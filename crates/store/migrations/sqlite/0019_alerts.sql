-- Supervisory alerts (issue 28): rules as data, the alerts they raise, and the answers to them.
--
-- A rule's condition compares the facts of a subject (a loan, a credit line, a village, an
-- enterprise's loans of one day) computed as of a date with the rule's parameters; see
-- fupin_core::alert and docs/formats.md. A rule added as a row works without code.
create table alert_rules (
    code        text primary key,
    name_zh     text not null,
    name_en     text not null,
    severity    text not null check (severity in ('high', 'medium', 'low')),
    subject     text not null check (subject in ('loan', 'credit_line', 'village',
                    'enterprise_day', 'written_off_loan')),
    condition   text not null,
    -- The parameters the condition names, a JSON object of integers: {"cap_fen": 5000000}.
    parameters  text not null,
    regulation  text not null,
    definition  text not null,
    enabled     integer not null default 1 check (enabled in (0, 1))
);

-- One alert per rule and subject: the same alert from the day it is first seen until the day
-- its rule stops holding (closed_on), reopened if it holds again.
create table alerts (
    id               integer primary key,
    rule_code        text not null references alert_rules (code),
    subject_key      text not null,
    -- The institution that answers it (null: the regulator's own, e.g. a village).
    institution_code text references institutions (code),
    village_code     text not null references regions (code),
    county_code      text not null,
    status           text not null check (status in ('open', 'explained', 'corrected',
                         'escalated', 'dismissed', 'closed')),
    first_seen       text not null,
    last_seen        text not null,
    closed_on        text,
    -- The facts and the loans, households, amounts and dates behind it, JSON.
    evidence_json    text not null,
    unique (rule_code, subject_key)
);
create index alerts_county on alerts (county_code, status);
create index alerts_institution on alerts (institution_code, status);

-- The answers to an alert, in order.
create table alert_answers (
    alert_id    integer not null references alerts (id),
    seq         integer not null,
    answered_at text not null,
    actor       text not null,
    kind        text not null check (kind in ('explain', 'correct', 'escalate', 'dismiss')),
    note        text not null,
    primary key (alert_id, seq)
);

insert into alert_rules (code, name_zh, name_en, severity, subject, condition, parameters,
    regulation, definition) values
('MULTI_BANK', '一户多行贷款', 'Household borrowing at several banks', 'high', 'loan',
 'is_microcredit = 1 and household_banks_count >= banks_min', '{"banks_min": 2}',
 '银监发〔2017〕42号 二(三)', 'A poverty micro-credit loan of a household that holds such loans at banks_min or more institutions on the date.'),
('HOUSEHOLD_TOTAL', '户均贷款超过上限', 'Household micro-credit above its cap', 'high', 'loan',
 'is_microcredit = 1 and household_microcredit_total_fen > cap_fen', '{"cap_fen": 5000000}',
 '银监发〔2017〕42号 二(二)', 'The household''s poverty micro-credit outstanding on the date, all banks together, exceeds cap_fen (50,000 yuan).'),
('AMOUNT_CAP', '单笔金额超过5万元', 'Loan amount above the cap', 'high', 'loan',
 'is_microcredit = 1 and amount_fen > cap_fen', '{"cap_fen": 5000000}',
 '银监发〔2017〕42号 二(二)', 'A poverty micro-credit loan whose principal exceeds cap_fen.'),
('TERM_CAP', '期限超过3年', 'Term above the cap', 'medium', 'loan',
 'is_microcredit = 1 and term_months > cap_months', '{"cap_months": 36}',
 '银监发〔2017〕42号 二(二)', 'A poverty micro-credit loan whose term from disbursement to its original maturity exceeds cap_months.'),
('NOT_REGISTERED', '借款人放款时非建档立卡户', 'Borrower not registered at disbursement', 'high', 'loan',
 'is_microcredit = 1 and borrower_registered_on_disbursement = 0', '{}',
 '银监发〔2017〕42号 二(一)', 'A poverty micro-credit loan whose household had no registry version valid on the disbursement date.'),
('EXITED', '借款人放款前已脱贫退出', 'Borrower exited before disbursement', 'medium', 'loan',
 'is_microcredit = 1 and borrower_exited_years_before_disbursement > grace_years', '{"grace_years": 2}',
 '银监发〔2017〕42号 二(一)', 'A poverty micro-credit loan whose household was recorded as exited on the disbursement date, in a year more than grace_years before the year of disbursement (an exited household keeps the policy for a grace period: 脱贫不脱政策).'),
('AGE_LIMIT', '借款人年龄超出18-65岁', 'Borrower outside the age limits', 'medium', 'loan',
 'is_microcredit = 1 and borrower_age_years > age_max or is_microcredit = 1 and borrower_age_years < age_min', '{"age_min": 18, "age_max": 65}',
 '银监发〔2017〕42号 二(一)', 'A poverty micro-credit loan whose household head was older than age_max or younger than age_min on the disbursement date (冒名贷款 risk).'),
('PURPOSE_ENTERPRISE', '贷款用途指向企业（户贷企用）', 'Purpose names an enterprise (户贷企用)', 'high', 'loan',
 'is_microcredit = 1 and purpose_names_enterprise = 1', '{}',
 '银监发〔2017〕42号 二(四)', 'A poverty micro-credit loan whose purpose names an enterprise or an enterprise use: 入股, 分红, 转贷, 指标交换, 公司, 合作社.'),
('FUNNEL_GROUP', '同日集中放款给同一企业带动户', 'Loans of one day to households linked to one enterprise', 'high', 'enterprise_day',
 'linked_loans_count >= loans_min', '{"loans_min": 5}',
 '银监发〔2017〕42号 二(四)', 'loans_min or more poverty micro-credit loans disbursed by one bank on one day to households linked to the same enterprise on that day.'),
('SUBSIDY_OVERDUE', '逾期期间申领贴息', 'Subsidy claimed for overdue days', 'high', 'loan',
 'subsidy_overdue_days > 0', '{}',
 '财金〔2017〕…号 贴息管理', 'A loan whose subsidy claims count more days in a quarter than it was outstanding and not overdue in that quarter.'),
('VILLAGE_OVERDUE', '村逾期率远高于县', 'Village overdue rate far above its county', 'medium', 'village',
 'village_loans_count >= loans_min and village_overdue_rate_bps >= county_overdue_rate_bps * factor and village_overdue_rate_bps - county_overdue_rate_bps >= gap_bps',
 '{"loans_min": 10, "factor": 3, "gap_bps": 1000}',
 '银监发〔2017〕42号 三(二)', 'A village with loans_min or more loans outstanding whose share of overdue loans is at least factor times its county''s and gap_bps above it.'),
('WRITE_OFF_BALANCE_RISE', '核销后贷款余额上升', 'Balance rising after write-off', 'high', 'written_off_loan',
 'balance_rise_after_write_off_fen > tolerance_fen', '{"tolerance_fen": 0}',
 '财金〔2017〕90号 核销管理', 'A loan written off on or before the date whose principal balance on the date is above its balance at the end of the write-off day by more than tolerance_fen.'),
('LINE_ABOVE_SCORECARD', '授信额度高于评级对应额度', 'Credit line above the scorecard''s line', 'medium', 'credit_line',
 'line_above_recommended_fen > tolerance_fen', '{"tolerance_fen": 0}',
 '银监发〔2017〕42号 二(二)', 'A credit line in force on the date whose amount exceeds the line its credit file''s grade recommends by more than tolerance_fen.');

-- A member's date of death as the registry records it (issue 28: loans to the deceased,
-- 冒名贷款), null while alive; read from the households file's optional column `died_on`
-- (死亡日期) into the import's working table, then kept on the member's version like any other
-- member field. And the alert rule that reads it.
alter table members add column died_on text;
alter table registry_import_rows add column died_on text;

insert into alert_rules (code, name_zh, name_en, severity, subject, condition, parameters,
    regulation, definition) values
('DECEASED', '借款人已死亡仍有贷款余额', 'Borrower recorded as deceased, loan outstanding', 'high', 'loan',
 'borrower_days_since_death >= days_min', '{"days_min": 1}',
 '银监发〔2017〕42号 二(一)', 'A household loan still outstanding on the date (not settled, not written off) whose borrower, the household head on the disbursement date, is recorded in the registry as deceased at least days_min days before the date (冒名贷款 risk, or a balance to recover from the estate).');

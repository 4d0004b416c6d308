-- no-transaction
-- The loan officer (信贷员) of a loan, from the loans file's optional column, and the alert
-- subject 'officer': a bank's officer in one county, with the same facts as a village.
--
-- SQLite cannot change a CHECK constraint in place: alert_rules is rebuilt by the documented
-- procedure (foreign keys off, new table, copy, drop, rename), in one transaction.
PRAGMA foreign_keys = OFF;
BEGIN;
alter table loans add column officer text;
create table alert_rules_new (
    code        text primary key,
    name_zh     text not null,
    name_en     text not null,
    severity    text not null check (severity in ('high', 'medium', 'low')),
    subject     text not null check (subject in ('loan', 'credit_line', 'village',
                    'enterprise_day', 'written_off_loan', 'officer')),
    condition   text not null,
    -- The parameters the condition names, a JSON object of integers: {"cap_fen": 5000000}.
    parameters  text not null,
    regulation  text not null,
    definition  text not null,
    enabled     integer not null default 1 check (enabled in (0, 1))
);
insert into alert_rules_new (code, name_zh, name_en, severity, subject, condition, parameters,
    regulation, definition, enabled)
select code, name_zh, name_en, severity, subject, condition, parameters, regulation,
    definition, enabled from alert_rules;
drop table alert_rules;
alter table alert_rules_new rename to alert_rules;
insert into alert_rules (code, name_zh, name_en, severity, subject, condition, parameters,
    regulation, definition) values
('OFFICER_OVERDUE', '信贷员逾期率远高于县', 'Loan officer''s overdue rate far above the county''s', 'medium', 'officer',
 'officer_loans_count >= loans_min and officer_overdue_rate_bps >= county_overdue_rate_bps * factor and officer_overdue_rate_bps - county_overdue_rate_bps >= gap_bps',
 '{"loans_min": 10, "factor": 3, "gap_bps": 1000}',
 '银监发〔2017〕42号 三(二)', 'A loan officer of a bank with loans_min or more loans outstanding in a county whose share of overdue loans there is at least factor times the county''s and gap_bps above it.');
COMMIT;
PRAGMA foreign_keys = ON;

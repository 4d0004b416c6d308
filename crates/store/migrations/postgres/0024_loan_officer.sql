-- The loan officer (信贷员) of a loan, from the loans file's optional column, and the alert
-- subject 'officer': a bank's officer in one county, with the same facts as a village.
alter table loans add column officer text;
alter table alert_rules drop constraint alert_rules_subject_check;
alter table alert_rules add constraint alert_rules_subject_check check (subject in ('loan',
    'credit_line', 'village', 'enterprise_day', 'written_off_loan', 'officer'));
insert into alert_rules (code, name_zh, name_en, severity, subject, condition, parameters,
    regulation, definition) values
('OFFICER_OVERDUE', '信贷员逾期率远高于县', 'Loan officer''s overdue rate far above the county''s', 'medium', 'officer',
 'officer_loans_count >= loans_min and officer_overdue_rate_bps >= county_overdue_rate_bps * factor and officer_overdue_rate_bps - county_overdue_rate_bps >= gap_bps',
 '{"loans_min": 10, "factor": 3, "gap_bps": 1000}',
 '银监发〔2017〕42号 三(二)', 'A loan officer of a bank with loans_min or more loans outstanding in a county whose share of overdue loans there is at least factor times the county''s and gap_bps above it.');

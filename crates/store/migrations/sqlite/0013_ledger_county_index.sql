-- The totals of a county (or of every county under a region) by kind, as of a date: read for
-- each covered loan (the leverage cap) and by the indicators. The primary key leads with the
-- kind, which a pattern cannot seek on; this index leads with the county code, which a range can.
create index ledger_bucket_days_county
    on ledger_bucket_days (county_code, kind, institution_code, value_date);

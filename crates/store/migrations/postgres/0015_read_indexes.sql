-- Reads by region: the registry's lists and counts take the households of a range of village
-- codes as of a date, and find each one's version there without reading the table's rows.
create index household_versions_village_household
    on household_versions (village_code, household_id, valid_from, valid_to);
-- A household's loans (its page), found by the borrower's id alone.
create index loans_borrower_id on loans (borrower_id);

-- Running totals of the registry and credit-coverage counts (issue #23): per village and day,
-- the change of each count on that day, so that a count as of D over a region is the sum of
-- the deltas of its villages on or before D. Maintained in the transaction of every write to
-- household_versions, members, credit_files and credit_lines (`totals::refresh`); `fupin
-- totals check` recomputes them. An existing database is filled at its next start.
create table registry_totals (
    village_code     text not null,
    day              text not null,
    -- Households with status poor or relapsed.
    poor_households  integer not null,
    -- Members of those households.
    poor_people      integer not null,
    -- Households with status poor, exited or relapsed.
    registered       integer not null,
    -- Registered and not exempt (three full coverage).
    eligible         integer not null,
    -- Eligible with a rated credit file.
    rated            integer not null,
    -- Eligible with a credit line in force.
    with_line        integer not null,
    primary key (village_code, day)
) without rowid;

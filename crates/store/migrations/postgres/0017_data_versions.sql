-- A version per data area, moved in the same transaction as every write to that area (by the
-- audit append, which every write makes): what is computed from an area's data is current while
-- its version is. The version is the audit sequence number of the area's last write, so a
-- database restored from a backup of the same history carries the same versions for the same
-- data. Sign-ins, reads of personal data and user administration move none.
create table data_versions (
    area    text primary key,
    version bigint not null
);
insert into data_versions (area, version) values
    ('registry', 0), ('credit', 0), ('loans', 0), ('funds', 0), ('returns', 0), ('territory', 0);

-- Foundation: regions and the audit trail.
-- Portable subset: TEXT for codes, ISO dates (YYYY-MM-DD) and instants (RFC 3339, UTC);
-- INTEGER (64-bit) for money in fen, counts and 0/1 flags. PostgreSQL uses the same columns
-- with BIGINT for INTEGER (migrations/postgres).

create table regions (
    code            text primary key check (length(code) = 12),
    name            text not null,
    name_en         text,
    level           text not null check (level in ('province', 'city', 'county', 'township', 'village')),
    parent_code     text references regions (code) deferrable initially immediate,
    population      integer check (population >= 0),
    poverty_county  integer not null default 0 check (poverty_county in (0, 1)),
    poverty_village integer not null default 0 check (poverty_village in (0, 1)),
    -- Validity of the code itself (codes are abolished and replaced, e.g. 361121 -> 361104).
    valid_from      text,
    valid_to        text,
    successor_code  text references regions (code) deferrable initially immediate,
    note            text
);
create index regions_parent on regions (parent_code);

-- Append-only, hash-chained record of every write (and every read of a full ID number).
create table audit_log (
    seq         integer primary key,
    at          text not null,
    actor       text not null,
    action      text not null,
    entity      text not null,
    entity_id   text not null,
    before_json text,
    after_json  text,
    request_id  text,
    prev_hash   text not null,
    hash        text not null
);

-- One row: the chain's head. Updating it first serialises audit appends on both engines.
create table audit_head (
    id   integer primary key check (id = 1),
    seq  integer not null,
    hash text not null
);
insert into audit_head (id, seq, hash) values (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

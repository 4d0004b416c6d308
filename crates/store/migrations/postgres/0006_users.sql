-- Users, sign-in sessions, API tokens, failed sign-in counters and idempotent responses.
-- Instants are RFC 3339 UTC text with milliseconds ("2026-01-31T08:00:00.000Z"), all in the
-- same format, so text comparison orders them.

create table users (
    name             text primary key,
    display_name     text,
    role             text not null check (role in ('regulator', 'bank', 'poverty_office',
                         'finance', 'admin')),
    -- Scope: the region (12-digit code) the user sees; everything at or under it.
    region_code      text not null,
    -- For bank users: their institution.
    institution_code text references institutions (code),
    -- Argon2id in PHC string form.
    password_hash    text not null,
    disabled         bigint not null default 0 check (disabled in (0, 1)),
    created_at       text not null,
    check (role <> 'bank' or institution_code is not null)
);

-- A browser session. Only the SHA-256 of the cookie value is stored.
create table sessions (
    id_hash     text primary key,
    user_name   text not null references users (name),
    csrf_token  text not null,
    created_at  text not null,
    expires_at  text not null
);
create index sessions_user on sessions (user_name);

-- A token for programs (Authorization: Bearer). Only its SHA-256 is stored.
create table api_tokens (
    id          text primary key,
    token_hash  text not null unique,
    user_name   text not null references users (name),
    created_at  text not null,
    revoked_at  text
);
create index api_tokens_user on api_tokens (user_name);

-- Failed sign-ins per attempted name (known or not, so the lockout reveals nothing).
create table sign_in_failures (
    name         text primary key,
    failures     bigint not null,
    locked_until text
);

-- The first response to a request carrying an Idempotency-Key, per user and key.
-- status is null while the first request is still being processed.
create table idempotency_keys (
    user_name    text not null,
    idem_key     text not null,
    request_hash text not null,
    status       bigint,
    response     text,
    created_at   text not null,
    primary key (user_name, idem_key)
);

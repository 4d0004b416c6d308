-- On SQLite this version keeps the most written tables in their primary key's B-tree (WITHOUT
-- ROWID). PostgreSQL has no rowid and stores every table as a heap beside its primary-key
-- index, so nothing changes here; the version exists so that both engines count the same.
select 1;

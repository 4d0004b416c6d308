-- Issue 22: the households of a registry import that differ from the registry (new, changed,
-- or gaining or losing a member). One set statement fills it after the checks; only these
-- households are then read back and compared row by row, so a file that changes nothing costs
-- one comparison instead of reading every household again. Empty outside an import, like the
-- other working tables.
create table registry_import_changed (
    household_id text primary key
);

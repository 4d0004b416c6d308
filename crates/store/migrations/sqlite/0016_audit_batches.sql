-- The compact audit trail (#22): an import's entries stored as one record per batch, their
-- actions, keys and before/after JSON deflated here (store::audit::append_batch). Null for a
-- record that stands for itself.
alter table audit_log add column batch blob;

-- The audit page searches by action (`member.read_id`) and by actor, newest first, a page at a
-- time: each an index that ends with the sequence number, so a search reads only its page.
create index audit_log_action on audit_log (action, seq);
create index audit_log_actor on audit_log (actor, seq);

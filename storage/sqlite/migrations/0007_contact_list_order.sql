-- A contact's conversations are listed newest first (threading by subject
-- and by phone channel does it for every inbound message). Without id in
-- the index the planner preferred walking conversations_newest over the
-- whole time window to avoid a sort, one row per conversation of the
-- tenant; with it, the contact's own rows come out already in order.
DROP INDEX conversations_by_contact;
CREATE INDEX conversations_by_contact ON conversations (tenant_id, contact_id, last_message_at, id);

-- Statistics (inbox.StatsTx) aggregate messages by creation time, source,
-- direction and conversation without reading their documents, so these
-- facts become columns. Rows written before this migration get them from
-- their document when it is plain JSON; the others (deflated documents)
-- keep NULL and are read from the document when statistics need them.
ALTER TABLE messages ADD COLUMN source TEXT;
ALTER TABLE messages ADD COLUMN direction TEXT;
UPDATE messages SET
	source = json_extract(CAST(doc AS TEXT), '$.Source'),
	direction = json_extract(CAST(doc AS TEXT), '$.Direction')
WHERE json_valid(CAST(doc AS TEXT));
CREATE INDEX messages_by_created ON messages (tenant_id, created_at, conversation_id, source, direction);
CREATE INDEX messages_without_facts ON messages (tenant_id, created_at) WHERE direction IS NULL;
CREATE INDEX conversations_by_created ON conversations (tenant_id, created_at);

-- Statistics (inbox.StatsTx) aggregate messages by creation time, source,
-- direction and conversation without reading their documents, so these
-- facts become columns, filled from the documents of existing rows.
ALTER TABLE messages ADD COLUMN source text, ADD COLUMN direction text;
UPDATE messages SET source = doc->>'Source', direction = doc->>'Direction';
CREATE INDEX messages_by_created ON messages (tenant_id, created_at) INCLUDE (conversation_id, source, direction);
CREATE INDEX messages_without_facts ON messages (tenant_id, created_at) WHERE direction IS NULL;
CREATE INDEX conversations_by_created ON conversations (tenant_id, created_at);

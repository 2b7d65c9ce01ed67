-- Statistics per agent and per intent, and first responses measured from
-- the customer's first message (inbox.Conversation.FirstInboundAt) rather
-- than from when it was stored: conversation_facts gains the three.
ALTER TABLE conversation_facts ADD COLUMN first_inbound_at TEXT NOT NULL DEFAULT '';
ALTER TABLE conversation_facts ADD COLUMN assignee TEXT NOT NULL DEFAULT '';
ALTER TABLE conversation_facts ADD COLUMN intent TEXT NOT NULL DEFAULT '';

DROP TRIGGER conversation_facts_insert;
DROP TRIGGER conversation_facts_update;

DELETE FROM conversation_facts;
INSERT INTO conversation_facts
SELECT tenant_id, created_at, id, source, folder_id, status,
	COALESCE(json_extract(CAST(doc AS TEXT), '$.FirstResponseAt'), ''), COALESCE(json_extract(CAST(doc AS TEXT), '$.ResolvedAt'), ''),
	COALESCE(json_extract(CAST(doc AS TEXT), '$.Classification.by'), ''), COALESCE(json_extract(CAST(doc AS TEXT), '$.Classification.folder_id'), ''),
	COALESCE(json_extract(CAST(doc AS TEXT), '$.Classification.error'), ''), COALESCE(json_extract(CAST(doc AS TEXT), '$.Classification.auto_folder_id'), ''),
	COALESCE(json_extract(CAST(doc AS TEXT), '$.Classification.auto_by'), ''),
	COALESCE(json_extract(CAST(doc AS TEXT), '$.FirstInboundAt'), ''), assignee, intent
FROM conversations;

CREATE TRIGGER conversation_facts_insert AFTER INSERT ON conversations
BEGIN
	INSERT INTO conversation_facts VALUES (NEW.tenant_id, NEW.created_at, NEW.id, NEW.source, NEW.folder_id, NEW.status,
		COALESCE(json_extract(CAST(NEW.doc AS TEXT), '$.FirstResponseAt'), ''), COALESCE(json_extract(CAST(NEW.doc AS TEXT), '$.ResolvedAt'), ''),
		COALESCE(json_extract(CAST(NEW.doc AS TEXT), '$.Classification.by'), ''), COALESCE(json_extract(CAST(NEW.doc AS TEXT), '$.Classification.folder_id'), ''),
		COALESCE(json_extract(CAST(NEW.doc AS TEXT), '$.Classification.error'), ''), COALESCE(json_extract(CAST(NEW.doc AS TEXT), '$.Classification.auto_folder_id'), ''),
		COALESCE(json_extract(CAST(NEW.doc AS TEXT), '$.Classification.auto_by'), ''),
		COALESCE(json_extract(CAST(NEW.doc AS TEXT), '$.FirstInboundAt'), ''), NEW.assignee, NEW.intent);
END;

CREATE TRIGGER conversation_facts_update AFTER UPDATE ON conversations
BEGIN
	DELETE FROM conversation_facts WHERE tenant_id = OLD.tenant_id AND created_at = OLD.created_at AND id = OLD.id;
	INSERT INTO conversation_facts VALUES (NEW.tenant_id, NEW.created_at, NEW.id, NEW.source, NEW.folder_id, NEW.status,
		COALESCE(json_extract(CAST(NEW.doc AS TEXT), '$.FirstResponseAt'), ''), COALESCE(json_extract(CAST(NEW.doc AS TEXT), '$.ResolvedAt'), ''),
		COALESCE(json_extract(CAST(NEW.doc AS TEXT), '$.Classification.by'), ''), COALESCE(json_extract(CAST(NEW.doc AS TEXT), '$.Classification.folder_id'), ''),
		COALESCE(json_extract(CAST(NEW.doc AS TEXT), '$.Classification.error'), ''), COALESCE(json_extract(CAST(NEW.doc AS TEXT), '$.Classification.auto_folder_id'), ''),
		COALESCE(json_extract(CAST(NEW.doc AS TEXT), '$.Classification.auto_by'), ''),
		COALESCE(json_extract(CAST(NEW.doc AS TEXT), '$.FirstInboundAt'), ''), NEW.assignee, NEW.intent);
END;

-- Statistics per agent and per intent, and first responses measured from
-- the customer's first message (inbox.Conversation.FirstInboundAt) rather
-- than from when it was stored: conversation_facts gains the three.
ALTER TABLE conversation_facts ADD COLUMN first_inbound_at text NOT NULL DEFAULT '';
ALTER TABLE conversation_facts ADD COLUMN assignee text NOT NULL DEFAULT '';
ALTER TABLE conversation_facts ADD COLUMN intent text NOT NULL DEFAULT '';

CREATE OR REPLACE FUNCTION conversation_facts_sync() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP IN ('UPDATE', 'DELETE') THEN
		DELETE FROM conversation_facts WHERE tenant_id = OLD.tenant_id AND created_at = OLD.created_at AND id = OLD.id;
	END IF;
	IF TG_OP IN ('INSERT', 'UPDATE') THEN
		INSERT INTO conversation_facts VALUES (NEW.tenant_id, NEW.created_at, NEW.id, NEW.source, NEW.folder_id, NEW.status,
			COALESCE(NEW.doc->>'FirstResponseAt', ''), COALESCE(NEW.doc->>'ResolvedAt', ''),
			COALESCE(NEW.doc->'Classification'->>'by', ''), COALESCE(NEW.doc->'Classification'->>'folder_id', ''),
			COALESCE(NEW.doc->'Classification'->>'error', ''), COALESCE(NEW.doc->'Classification'->>'auto_folder_id', ''),
			COALESCE(NEW.doc->'Classification'->>'auto_by', ''),
			COALESCE(NEW.doc->>'FirstInboundAt', ''), NEW.assignee, NEW.intent);
	END IF;
	RETURN NULL;
END
$$;

UPDATE conversation_facts f SET first_inbound_at = COALESCE(c.doc->>'FirstInboundAt', ''), assignee = c.assignee, intent = c.intent
FROM conversations c WHERE c.tenant_id = f.tenant_id AND c.id = f.id;

-- Statistics roll-ups kept by triggers, so inbox.StatsTx reads thousands of
-- rows instead of every message and conversation document.
--
-- message_volume counts messages per UTC hour (created_at / 1h, messages
-- created since 1970 whose direction is known), folder of their
-- conversation, source and direction. It follows inserts, deletes and
-- moves of messages and refiling and deletion of conversations.
CREATE TABLE message_volume (
	tenant_id TEXT NOT NULL,
	hour INTEGER NOT NULL,
	folder_id TEXT NOT NULL,
	source TEXT NOT NULL,
	direction TEXT NOT NULL,
	n INTEGER NOT NULL,
	PRIMARY KEY (tenant_id, hour, folder_id, source, direction)
) WITHOUT ROWID;

INSERT INTO message_volume (tenant_id, hour, folder_id, source, direction, n)
SELECT m.tenant_id, m.created_at / 3600000000000, c.folder_id, m.source, m.direction, COUNT(*)
FROM messages m JOIN conversations c ON c.tenant_id = m.tenant_id AND c.id = m.conversation_id
WHERE m.direction IS NOT NULL AND m.created_at >= 0
GROUP BY 1, 2, 3, 4, 5;

CREATE TRIGGER message_volume_insert AFTER INSERT ON messages
WHEN NEW.direction IS NOT NULL AND NEW.created_at >= 0
BEGIN
	INSERT INTO message_volume (tenant_id, hour, folder_id, source, direction, n)
	SELECT NEW.tenant_id, NEW.created_at / 3600000000000, c.folder_id, NEW.source, NEW.direction, 1
	FROM conversations c WHERE c.tenant_id = NEW.tenant_id AND c.id = NEW.conversation_id
	ON CONFLICT (tenant_id, hour, folder_id, source, direction) DO UPDATE SET n = n + 1;
END;

-- A message deleted with its conversation was already subtracted by
-- message_volume_conversation_delete: its conversation is gone, the
-- folder lookup finds nothing and nothing is counted twice.
CREATE TRIGGER message_volume_delete AFTER DELETE ON messages
WHEN OLD.direction IS NOT NULL AND OLD.created_at >= 0
BEGIN
	UPDATE message_volume SET n = n - 1
	WHERE tenant_id = OLD.tenant_id AND hour = OLD.created_at / 3600000000000 AND source = OLD.source AND direction = OLD.direction
		AND folder_id = (SELECT folder_id FROM conversations WHERE tenant_id = OLD.tenant_id AND id = OLD.conversation_id);
END;

CREATE TRIGGER message_volume_move AFTER UPDATE OF conversation_id ON messages
WHEN OLD.conversation_id <> NEW.conversation_id AND NEW.direction IS NOT NULL AND NEW.created_at >= 0
BEGIN
	UPDATE message_volume SET n = n - 1
	WHERE tenant_id = OLD.tenant_id AND hour = OLD.created_at / 3600000000000 AND source = OLD.source AND direction = OLD.direction
		AND folder_id = (SELECT folder_id FROM conversations WHERE tenant_id = OLD.tenant_id AND id = OLD.conversation_id);
	INSERT INTO message_volume (tenant_id, hour, folder_id, source, direction, n)
	SELECT NEW.tenant_id, NEW.created_at / 3600000000000, c.folder_id, NEW.source, NEW.direction, 1
	FROM conversations c WHERE c.tenant_id = NEW.tenant_id AND c.id = NEW.conversation_id
	ON CONFLICT (tenant_id, hour, folder_id, source, direction) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER message_volume_refile AFTER UPDATE OF folder_id ON conversations
WHEN OLD.folder_id <> NEW.folder_id
BEGIN
	UPDATE message_volume SET n = n - (SELECT COUNT(*) FROM messages m
		WHERE m.tenant_id = OLD.tenant_id AND m.conversation_id = OLD.id AND m.direction IS NOT NULL AND m.created_at >= 0
			AND m.created_at / 3600000000000 = message_volume.hour AND m.source = message_volume.source AND m.direction = message_volume.direction)
	WHERE tenant_id = OLD.tenant_id AND folder_id = OLD.folder_id AND hour IN (SELECT created_at / 3600000000000 FROM messages
		WHERE tenant_id = OLD.tenant_id AND conversation_id = OLD.id AND direction IS NOT NULL AND created_at >= 0);
	INSERT INTO message_volume (tenant_id, hour, folder_id, source, direction, n)
	SELECT NEW.tenant_id, m.created_at / 3600000000000, NEW.folder_id, m.source, m.direction, COUNT(*) FROM messages m
	WHERE m.tenant_id = NEW.tenant_id AND m.conversation_id = NEW.id AND m.direction IS NOT NULL AND m.created_at >= 0
	GROUP BY 2, 4, 5
	ON CONFLICT (tenant_id, hour, folder_id, source, direction) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER message_volume_conversation_delete AFTER DELETE ON conversations
BEGIN
	UPDATE message_volume SET n = n - (SELECT COUNT(*) FROM messages m
		WHERE m.tenant_id = OLD.tenant_id AND m.conversation_id = OLD.id AND m.direction IS NOT NULL AND m.created_at >= 0
			AND m.created_at / 3600000000000 = message_volume.hour AND m.source = message_volume.source AND m.direction = message_volume.direction)
	WHERE tenant_id = OLD.tenant_id AND folder_id = OLD.folder_id AND hour IN (SELECT created_at / 3600000000000 FROM messages
		WHERE tenant_id = OLD.tenant_id AND conversation_id = OLD.id AND direction IS NOT NULL AND created_at >= 0);
END;

-- conversation_facts holds what statistics read of each conversation, in
-- creation order, so they never decode conversation documents. Times are
-- the documents' RFC 3339 strings (exact to the nanosecond).
CREATE TABLE conversation_facts (
	tenant_id TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	id TEXT NOT NULL,
	source TEXT NOT NULL,
	folder_id TEXT NOT NULL,
	status TEXT NOT NULL,
	first_response_at TEXT NOT NULL,
	resolved_at TEXT NOT NULL,
	decided_by TEXT NOT NULL,
	decided_folder_id TEXT NOT NULL,
	decision_error TEXT NOT NULL,
	auto_folder_id TEXT NOT NULL,
	auto_by TEXT NOT NULL,
	PRIMARY KEY (tenant_id, created_at, id)
) WITHOUT ROWID;

INSERT INTO conversation_facts
SELECT tenant_id, created_at, id, source, folder_id, status,
	COALESCE(json_extract(CAST(doc AS TEXT), '$.FirstResponseAt'), ''), COALESCE(json_extract(CAST(doc AS TEXT), '$.ResolvedAt'), ''),
	COALESCE(json_extract(CAST(doc AS TEXT), '$.Classification.by'), ''), COALESCE(json_extract(CAST(doc AS TEXT), '$.Classification.folder_id'), ''),
	COALESCE(json_extract(CAST(doc AS TEXT), '$.Classification.error'), ''), COALESCE(json_extract(CAST(doc AS TEXT), '$.Classification.auto_folder_id'), ''),
	COALESCE(json_extract(CAST(doc AS TEXT), '$.Classification.auto_by'), '')
FROM conversations;

CREATE TRIGGER conversation_facts_insert AFTER INSERT ON conversations
BEGIN
	INSERT INTO conversation_facts VALUES (NEW.tenant_id, NEW.created_at, NEW.id, NEW.source, NEW.folder_id, NEW.status,
		COALESCE(json_extract(CAST(NEW.doc AS TEXT), '$.FirstResponseAt'), ''), COALESCE(json_extract(CAST(NEW.doc AS TEXT), '$.ResolvedAt'), ''),
		COALESCE(json_extract(CAST(NEW.doc AS TEXT), '$.Classification.by'), ''), COALESCE(json_extract(CAST(NEW.doc AS TEXT), '$.Classification.folder_id'), ''),
		COALESCE(json_extract(CAST(NEW.doc AS TEXT), '$.Classification.error'), ''), COALESCE(json_extract(CAST(NEW.doc AS TEXT), '$.Classification.auto_folder_id'), ''),
		COALESCE(json_extract(CAST(NEW.doc AS TEXT), '$.Classification.auto_by'), ''));
END;

CREATE TRIGGER conversation_facts_update AFTER UPDATE ON conversations
BEGIN
	DELETE FROM conversation_facts WHERE tenant_id = OLD.tenant_id AND created_at = OLD.created_at AND id = OLD.id;
	INSERT INTO conversation_facts VALUES (NEW.tenant_id, NEW.created_at, NEW.id, NEW.source, NEW.folder_id, NEW.status,
		COALESCE(json_extract(CAST(NEW.doc AS TEXT), '$.FirstResponseAt'), ''), COALESCE(json_extract(CAST(NEW.doc AS TEXT), '$.ResolvedAt'), ''),
		COALESCE(json_extract(CAST(NEW.doc AS TEXT), '$.Classification.by'), ''), COALESCE(json_extract(CAST(NEW.doc AS TEXT), '$.Classification.folder_id'), ''),
		COALESCE(json_extract(CAST(NEW.doc AS TEXT), '$.Classification.error'), ''), COALESCE(json_extract(CAST(NEW.doc AS TEXT), '$.Classification.auto_folder_id'), ''),
		COALESCE(json_extract(CAST(NEW.doc AS TEXT), '$.Classification.auto_by'), ''));
END;

CREATE TRIGGER conversation_facts_delete AFTER DELETE ON conversations
BEGIN
	DELETE FROM conversation_facts WHERE tenant_id = OLD.tenant_id AND created_at = OLD.created_at AND id = OLD.id;
END;

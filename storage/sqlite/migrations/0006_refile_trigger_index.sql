-- The refile and conversation-delete roll-up triggers of 0005 let SQLite
-- read messages through messages_by_created (covering, but a range over
-- every message of the tenant) instead of messages_by_conversation: a Move
-- took hundreds of milliseconds on 100k conversations. INDEXED BY pins the
-- conversation index.
DROP TRIGGER message_volume_refile;
DROP TRIGGER message_volume_conversation_delete;

CREATE TRIGGER message_volume_refile AFTER UPDATE OF folder_id ON conversations
WHEN OLD.folder_id <> NEW.folder_id
BEGIN
	UPDATE message_volume SET n = n - (SELECT COUNT(*) FROM messages m INDEXED BY messages_by_conversation
		WHERE m.tenant_id = OLD.tenant_id AND m.conversation_id = OLD.id AND m.direction IS NOT NULL AND +m.created_at >= 0
			AND m.created_at / 3600000000000 = message_volume.hour AND m.source = message_volume.source AND m.direction = message_volume.direction)
	WHERE tenant_id = OLD.tenant_id AND folder_id = OLD.folder_id AND hour IN (SELECT created_at / 3600000000000 FROM messages INDEXED BY messages_by_conversation
		WHERE tenant_id = OLD.tenant_id AND conversation_id = OLD.id AND direction IS NOT NULL AND +created_at >= 0);
	INSERT INTO message_volume (tenant_id, hour, folder_id, source, direction, n)
	SELECT NEW.tenant_id, m.created_at / 3600000000000, NEW.folder_id, m.source, m.direction, COUNT(*) FROM messages m INDEXED BY messages_by_conversation
	WHERE m.tenant_id = NEW.tenant_id AND m.conversation_id = NEW.id AND m.direction IS NOT NULL AND +m.created_at >= 0
	GROUP BY 2, 4, 5
	ON CONFLICT (tenant_id, hour, folder_id, source, direction) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER message_volume_conversation_delete AFTER DELETE ON conversations
BEGIN
	UPDATE message_volume SET n = n - (SELECT COUNT(*) FROM messages m INDEXED BY messages_by_conversation
		WHERE m.tenant_id = OLD.tenant_id AND m.conversation_id = OLD.id AND m.direction IS NOT NULL AND +m.created_at >= 0
			AND m.created_at / 3600000000000 = message_volume.hour AND m.source = message_volume.source AND m.direction = message_volume.direction)
	WHERE tenant_id = OLD.tenant_id AND folder_id = OLD.folder_id AND hour IN (SELECT created_at / 3600000000000 FROM messages INDEXED BY messages_by_conversation
		WHERE tenant_id = OLD.tenant_id AND conversation_id = OLD.id AND direction IS NOT NULL AND +created_at >= 0);
END;

-- One agent's read state is the team's corrected by their marks
-- (inbox.ReadState). Each mark now carries its conversation's folder and
-- team state, kept by read_marks_follow: 0 not counted (spam or
-- archived), 1 counted and read by the team, 2 counted and unread for
-- the team. The agent's counts are then the team's (conversations_unread)
-- less their read marks in state 2 plus their unread marks in state 1,
-- each a range of read_marks_state: no conversation row is read.
ALTER TABLE read_marks ADD COLUMN folder_id text NOT NULL DEFAULT '',
	ADD COLUMN team smallint NOT NULL DEFAULT 0;
UPDATE read_marks r SET folder_id = c.folder_id,
	team = CASE WHEN c.status IN ('spam', 'archived') THEN 0 WHEN c.unread > 0 THEN 2 ELSE 1 END
FROM conversations c WHERE c.tenant_id = r.tenant_id AND c.id = r.conversation_id;
CREATE INDEX read_marks_state ON read_marks (tenant_id, agent_id, unread, team, folder_id, conversation_id);

CREATE FUNCTION read_marks_follow() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	UPDATE read_marks SET folder_id = NEW.folder_id,
		team = CASE WHEN NEW.status IN ('spam', 'archived') THEN 0 WHEN NEW.unread > 0 THEN 2 ELSE 1 END
	WHERE tenant_id = NEW.tenant_id AND conversation_id = NEW.id;
	RETURN NULL;
END $$;
CREATE TRIGGER read_marks_follow AFTER UPDATE OF folder_id, unread, status ON conversations
	FOR EACH ROW WHEN (OLD.folder_id IS DISTINCT FROM NEW.folder_id OR (OLD.unread > 0) IS DISTINCT FROM (NEW.unread > 0)
		OR OLD.status IS DISTINCT FROM NEW.status)
	EXECUTE FUNCTION read_marks_follow();

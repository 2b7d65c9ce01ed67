-- Statistics roll-ups kept by triggers, so inbox.StatsTx reads thousands of
-- rows instead of every message and conversation document.
--
-- message_volume counts messages per UTC hour (created_at / 1h, messages
-- created since 1970 whose direction is known), folder of their
-- conversation, source and direction. It follows inserts, deletes and
-- moves of messages and refiling and deletion of conversations.
CREATE TABLE message_volume (
	tenant_id text NOT NULL,
	hour bigint NOT NULL,
	folder_id text NOT NULL,
	source text NOT NULL,
	direction text NOT NULL,
	n bigint NOT NULL,
	PRIMARY KEY (tenant_id, hour, folder_id, source, direction)
);

INSERT INTO message_volume (tenant_id, hour, folder_id, source, direction, n)
SELECT m.tenant_id, m.created_at / 3600000000000, c.folder_id, m.source, m.direction, COUNT(*)
FROM messages m JOIN conversations c ON c.tenant_id = m.tenant_id AND c.id = m.conversation_id
WHERE m.direction IS NOT NULL AND m.created_at >= 0
GROUP BY 1, 2, 3, 4, 5;

-- message_volume_add adds delta messages of one conversation's hour.
CREATE FUNCTION message_volume_add(t text, conv text, h bigint, src text, dir text, delta bigint) RETURNS void
LANGUAGE sql AS $$
	INSERT INTO message_volume AS v (tenant_id, hour, folder_id, source, direction, n)
	SELECT t, h, c.folder_id, src, dir, delta FROM conversations c WHERE c.tenant_id = t AND c.id = conv
	ON CONFLICT (tenant_id, hour, folder_id, source, direction) DO UPDATE SET n = v.n + excluded.n;
$$;

CREATE FUNCTION message_volume_on_message() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP IN ('DELETE', 'UPDATE') AND OLD.direction IS NOT NULL AND OLD.created_at >= 0 THEN
		PERFORM message_volume_add(OLD.tenant_id, OLD.conversation_id, OLD.created_at / 3600000000000, OLD.source, OLD.direction, -1);
	END IF;
	IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.direction IS NOT NULL AND NEW.created_at >= 0 THEN
		PERFORM message_volume_add(NEW.tenant_id, NEW.conversation_id, NEW.created_at / 3600000000000, NEW.source, NEW.direction, 1);
	END IF;
	RETURN NULL;
END
$$;

-- A message deleted with its conversation was already subtracted when the
-- conversation went: the folder lookup finds nothing then.
CREATE TRIGGER message_volume_insert AFTER INSERT OR DELETE ON messages
	FOR EACH ROW EXECUTE FUNCTION message_volume_on_message();
CREATE TRIGGER message_volume_move AFTER UPDATE OF conversation_id ON messages
	FOR EACH ROW WHEN (OLD.conversation_id IS DISTINCT FROM NEW.conversation_id) EXECUTE FUNCTION message_volume_on_message();

CREATE FUNCTION message_volume_on_conversation() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	WITH counted AS (
		SELECT m.created_at / 3600000000000 AS hour, m.source, m.direction, COUNT(*) AS n FROM messages m
		WHERE m.tenant_id = OLD.tenant_id AND m.conversation_id = OLD.id AND m.direction IS NOT NULL AND m.created_at >= 0
		GROUP BY 1, 2, 3)
	UPDATE message_volume v SET n = v.n - counted.n FROM counted
	WHERE v.tenant_id = OLD.tenant_id AND v.folder_id = OLD.folder_id AND v.hour = counted.hour
		AND v.source = counted.source AND v.direction = counted.direction;
	IF TG_OP = 'UPDATE' THEN
		INSERT INTO message_volume AS v (tenant_id, hour, folder_id, source, direction, n)
		SELECT NEW.tenant_id, m.created_at / 3600000000000, NEW.folder_id, m.source, m.direction, COUNT(*) FROM messages m
		WHERE m.tenant_id = NEW.tenant_id AND m.conversation_id = NEW.id AND m.direction IS NOT NULL AND m.created_at >= 0
		GROUP BY 2, 4, 5
		ON CONFLICT (tenant_id, hour, folder_id, source, direction) DO UPDATE SET n = v.n + excluded.n;
	END IF;
	RETURN NULL;
END
$$;

CREATE TRIGGER message_volume_refile AFTER UPDATE OF folder_id ON conversations
	FOR EACH ROW WHEN (OLD.folder_id IS DISTINCT FROM NEW.folder_id) EXECUTE FUNCTION message_volume_on_conversation();
CREATE TRIGGER message_volume_conversation_delete AFTER DELETE ON conversations
	FOR EACH ROW EXECUTE FUNCTION message_volume_on_conversation();

-- conversation_facts holds what statistics read of each conversation, in
-- creation order, so they never decode conversation documents. Times are
-- the documents' RFC 3339 strings (exact to the nanosecond).
CREATE TABLE conversation_facts (
	tenant_id text NOT NULL,
	created_at bigint NOT NULL,
	id text NOT NULL,
	source text NOT NULL,
	folder_id text NOT NULL,
	status text NOT NULL,
	first_response_at text NOT NULL,
	resolved_at text NOT NULL,
	decided_by text NOT NULL,
	decided_folder_id text NOT NULL,
	decision_error text NOT NULL,
	auto_folder_id text NOT NULL,
	auto_by text NOT NULL,
	PRIMARY KEY (tenant_id, created_at, id)
);

INSERT INTO conversation_facts
SELECT tenant_id, created_at, id, source, folder_id, status,
	COALESCE(doc->>'FirstResponseAt', ''), COALESCE(doc->>'ResolvedAt', ''),
	COALESCE(doc->'Classification'->>'by', ''), COALESCE(doc->'Classification'->>'folder_id', ''),
	COALESCE(doc->'Classification'->>'error', ''), COALESCE(doc->'Classification'->>'auto_folder_id', ''),
	COALESCE(doc->'Classification'->>'auto_by', '')
FROM conversations;

CREATE FUNCTION conversation_facts_sync() RETURNS trigger
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
			COALESCE(NEW.doc->'Classification'->>'auto_by', ''));
	END IF;
	RETURN NULL;
END
$$;

CREATE TRIGGER conversation_facts_sync AFTER INSERT OR UPDATE OR DELETE ON conversations
	FOR EACH ROW EXECUTE FUNCTION conversation_facts_sync();

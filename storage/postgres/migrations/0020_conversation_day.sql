-- conversation_day rolls conversation_facts up by UTC day of creation and
-- by every dimension inbox.Engine.Stats counts (source, folder, status,
-- assignee, intent, and the automatic filing as inbox.FactAutoChoice
-- reads it), so statistics by week or month read a few rows per day
-- instead of one per conversation. first_waits and resolutions list the
-- exact durations of the day's conversations (inbox.FactDurations), in
-- nanoseconds, each followed by a comma: percentiles stay exact.
-- Durations are computed from the RFC 3339 times of conversation_facts
-- (as encoding/json writes them: a fraction of up to nine digits, then
-- "Z" or an offset). Conversations created before 1970 are not rolled up;
-- statistics read those from conversation_facts.
CREATE TABLE conversation_day (
	tenant_id text NOT NULL,
	day bigint NOT NULL,
	source text NOT NULL,
	folder_id text NOT NULL,
	status text NOT NULL,
	assignee text NOT NULL,
	intent text NOT NULL,
	auto_by text NOT NULL,
	auto_folder_id text NOT NULL,
	n bigint NOT NULL,
	first_waits text NOT NULL,
	resolutions text NOT NULL,
	PRIMARY KEY (tenant_id, day, source, folder_id, status, assignee, intent, auto_by, auto_folder_id)
);

-- doc_time_nanos reads a document's RFC 3339 time as Unix nanoseconds,
-- NULL for "" and the zero time.
CREATE FUNCTION doc_time_nanos(x text) RETURNS bigint
LANGUAGE sql STABLE AS $$
	SELECT CASE WHEN x = '' OR x LIKE '0001-01-01T00:00:00%' THEN NULL ELSE
		extract(epoch FROM (substr(x, 1, 19) || '+00')::timestamptz)::bigint * 1000000000
		+ CASE WHEN substr(x, 20, 1) = '.' THEN rpad(substr(x, 21, length(x) - 20 - CASE WHEN right(x, 1) = 'Z' THEN 1 ELSE 6 END), 9, '0')::bigint ELSE 0 END
		- CASE WHEN right(x, 1) = 'Z' THEN 0 ELSE CASE substr(x, length(x) - 5, 1) WHEN '-' THEN -1 ELSE 1 END
			* (substr(x, length(x) - 4, 2)::bigint * 3600 + substr(x, length(x) - 1, 2)::bigint * 60) * 1000000000 END
	END
$$;

-- conversation_day_key returns what a conversation_facts row adds to the
-- roll-up: its automatic filing (inbox.FactAutoChoice) and durations
-- (inbox.FactDurations), NULL when it has none.
CREATE FUNCTION conversation_day_key(f conversation_facts, OUT auto_by text, OUT auto_folder_id text, OUT first_wait bigint, OUT resolution bigint)
LANGUAGE plpgsql STABLE AS $$
DECLARE
	fr bigint := doc_time_nanos(f.first_response_at);
	fi bigint := doc_time_nanos(f.first_inbound_at);
	z bigint := doc_time_nanos(f.resolved_at);
	since bigint := f.created_at;
BEGIN
	IF f.decided_by = 'manual' THEN
		auto_by := f.auto_by;
		auto_folder_id := f.auto_folder_id;
	ELSIF f.decision_error <> '' OR f.decided_folder_id = '' OR f.decided_by = '' THEN
		auto_by := '';
		auto_folder_id := '';
	ELSE
		auto_by := f.decided_by;
		auto_folder_id := f.decided_folder_id;
	END IF;
	IF fi IS NOT NULL AND fi < since THEN
		since := fi;
	END IF;
	IF fr IS NOT NULL AND fr >= since THEN
		first_wait := fr - since;
	END IF;
	IF z IS NOT NULL AND z >= f.created_at THEN
		resolution := z - f.created_at;
	END IF;
END
$$;

INSERT INTO conversation_day
SELECT f.tenant_id, f.created_at / 86400000000000, f.source, f.folder_id, f.status, f.assignee, f.intent, k.auto_by, k.auto_folder_id,
	COUNT(*), COALESCE(string_agg(k.first_wait || ',', ''), ''), COALESCE(string_agg(k.resolution || ',', ''), '')
FROM conversation_facts f, LATERAL conversation_day_key(f) k
WHERE f.created_at >= 0
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9;

CREATE FUNCTION conversation_day_sync() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	k record;
	entry text;
	at int;
BEGIN
	IF TG_OP = 'DELETE' AND OLD.created_at >= 0 THEN
		SELECT * INTO k FROM conversation_day_key(OLD);
		UPDATE conversation_day d SET n = d.n - 1
		WHERE d.tenant_id = OLD.tenant_id AND d.day = OLD.created_at / 86400000000000 AND d.source = OLD.source AND d.folder_id = OLD.folder_id
			AND d.status = OLD.status AND d.assignee = OLD.assignee AND d.intent = OLD.intent AND d.auto_by = k.auto_by AND d.auto_folder_id = k.auto_folder_id;
		IF k.first_wait IS NOT NULL THEN
			entry := ',' || k.first_wait || ',';
			UPDATE conversation_day d SET first_waits = substr(d.first_waits, 1, strpos(',' || d.first_waits, entry) - 1)
				|| substr(d.first_waits, strpos(',' || d.first_waits, entry) + length(entry) - 1)
			WHERE d.tenant_id = OLD.tenant_id AND d.day = OLD.created_at / 86400000000000 AND d.source = OLD.source AND d.folder_id = OLD.folder_id
				AND d.status = OLD.status AND d.assignee = OLD.assignee AND d.intent = OLD.intent AND d.auto_by = k.auto_by AND d.auto_folder_id = k.auto_folder_id
				AND strpos(',' || d.first_waits, entry) > 0;
		END IF;
		IF k.resolution IS NOT NULL THEN
			entry := ',' || k.resolution || ',';
			UPDATE conversation_day d SET resolutions = substr(d.resolutions, 1, strpos(',' || d.resolutions, entry) - 1)
				|| substr(d.resolutions, strpos(',' || d.resolutions, entry) + length(entry) - 1)
			WHERE d.tenant_id = OLD.tenant_id AND d.day = OLD.created_at / 86400000000000 AND d.source = OLD.source AND d.folder_id = OLD.folder_id
				AND d.status = OLD.status AND d.assignee = OLD.assignee AND d.intent = OLD.intent AND d.auto_by = k.auto_by AND d.auto_folder_id = k.auto_folder_id
				AND strpos(',' || d.resolutions, entry) > 0;
		END IF;
		DELETE FROM conversation_day d WHERE d.tenant_id = OLD.tenant_id AND d.day = OLD.created_at / 86400000000000 AND d.n <= 0;
	ELSIF TG_OP = 'INSERT' AND NEW.created_at >= 0 THEN
		SELECT * INTO k FROM conversation_day_key(NEW);
		INSERT INTO conversation_day VALUES (NEW.tenant_id, NEW.created_at / 86400000000000, NEW.source, NEW.folder_id, NEW.status,
			NEW.assignee, NEW.intent, k.auto_by, k.auto_folder_id, 1, COALESCE(k.first_wait || ',', ''), COALESCE(k.resolution || ',', ''))
		ON CONFLICT (tenant_id, day, source, folder_id, status, assignee, intent, auto_by, auto_folder_id) DO UPDATE
		SET n = conversation_day.n + 1, first_waits = conversation_day.first_waits || EXCLUDED.first_waits,
			resolutions = conversation_day.resolutions || EXCLUDED.resolutions;
	END IF;
	RETURN NULL;
END
$$;

CREATE TRIGGER conversation_day_sync AFTER INSERT OR DELETE ON conversation_facts
	FOR EACH ROW EXECUTE FUNCTION conversation_day_sync();

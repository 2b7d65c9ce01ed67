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
	tenant_id TEXT NOT NULL,
	day INTEGER NOT NULL,
	source TEXT NOT NULL,
	folder_id TEXT NOT NULL,
	status TEXT NOT NULL,
	assignee TEXT NOT NULL,
	intent TEXT NOT NULL,
	auto_by TEXT NOT NULL,
	auto_folder_id TEXT NOT NULL,
	n INTEGER NOT NULL,
	first_waits TEXT NOT NULL,
	resolutions TEXT NOT NULL,
	PRIMARY KEY (tenant_id, day, source, folder_id, status, assignee, intent, auto_by, auto_folder_id)
) WITHOUT ROWID;

INSERT INTO conversation_day
SELECT tenant_id, created_at / 86400000000000, source, folder_id, status, assignee, intent, ab, af, COUNT(*),
	COALESCE(group_concat(w || ',', ''), ''), COALESCE(group_concat(r || ',', ''), '')
FROM (SELECT tenant_id, created_at, source, folder_id, status, assignee, intent, ab, af,
		CASE WHEN fr IS NULL THEN NULL WHEN fi IS NOT NULL AND fi < c THEN CASE WHEN fr >= fi THEN fr - fi END WHEN fr >= c THEN fr - c END AS w,
		CASE WHEN z IS NOT NULL AND z >= c THEN z - c END AS r
	FROM (SELECT tenant_id, created_at, source, folder_id, status, assignee, intent,
			CASE WHEN decided_by = 'manual' THEN auto_by WHEN decision_error <> '' OR decided_folder_id = '' OR decided_by = '' THEN '' ELSE decided_by END AS ab,
			CASE WHEN decided_by = 'manual' THEN auto_folder_id WHEN decision_error <> '' OR decided_folder_id = '' OR decided_by = '' THEN '' ELSE decided_folder_id END AS af,
			(CASE WHEN first_response_at = '' OR first_response_at LIKE '0001-01-01T00:00:00%' THEN NULL ELSE
			unixepoch(substr(first_response_at, 1, 19)) * 1000000000
			+ CASE WHEN substr(first_response_at, 20, 1) = '.' THEN CAST(substr(substr(first_response_at, 21, length(first_response_at) - 20 - CASE WHEN substr(first_response_at, -1) = 'Z' THEN 1 ELSE 6 END) || '000000000', 1, 9) AS INTEGER) ELSE 0 END
			- CASE WHEN substr(first_response_at, -1) = 'Z' THEN 0 ELSE CASE substr(first_response_at, -6, 1) WHEN '-' THEN -1 ELSE 1 END * (CAST(substr(first_response_at, -5, 2) AS INTEGER) * 3600 + CAST(substr(first_response_at, -2, 2) AS INTEGER) * 60) * 1000000000 END END) AS fr,
			(CASE WHEN first_inbound_at = '' OR first_inbound_at LIKE '0001-01-01T00:00:00%' THEN NULL ELSE
			unixepoch(substr(first_inbound_at, 1, 19)) * 1000000000
			+ CASE WHEN substr(first_inbound_at, 20, 1) = '.' THEN CAST(substr(substr(first_inbound_at, 21, length(first_inbound_at) - 20 - CASE WHEN substr(first_inbound_at, -1) = 'Z' THEN 1 ELSE 6 END) || '000000000', 1, 9) AS INTEGER) ELSE 0 END
			- CASE WHEN substr(first_inbound_at, -1) = 'Z' THEN 0 ELSE CASE substr(first_inbound_at, -6, 1) WHEN '-' THEN -1 ELSE 1 END * (CAST(substr(first_inbound_at, -5, 2) AS INTEGER) * 3600 + CAST(substr(first_inbound_at, -2, 2) AS INTEGER) * 60) * 1000000000 END END) AS fi,
			created_at AS c,
			(CASE WHEN resolved_at = '' OR resolved_at LIKE '0001-01-01T00:00:00%' THEN NULL ELSE
			unixepoch(substr(resolved_at, 1, 19)) * 1000000000
			+ CASE WHEN substr(resolved_at, 20, 1) = '.' THEN CAST(substr(substr(resolved_at, 21, length(resolved_at) - 20 - CASE WHEN substr(resolved_at, -1) = 'Z' THEN 1 ELSE 6 END) || '000000000', 1, 9) AS INTEGER) ELSE 0 END
			- CASE WHEN substr(resolved_at, -1) = 'Z' THEN 0 ELSE CASE substr(resolved_at, -6, 1) WHEN '-' THEN -1 ELSE 1 END * (CAST(substr(resolved_at, -5, 2) AS INTEGER) * 3600 + CAST(substr(resolved_at, -2, 2) AS INTEGER) * 60) * 1000000000 END END) AS z
		FROM conversation_facts WHERE created_at >= 0))
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9;

CREATE TRIGGER conversation_day_insert AFTER INSERT ON conversation_facts WHEN NEW.created_at >= 0
BEGIN
	INSERT INTO conversation_day
	SELECT NEW.tenant_id, NEW.created_at / 86400000000000, NEW.source, NEW.folder_id, NEW.status, NEW.assignee, NEW.intent,
		CASE WHEN NEW.decided_by = 'manual' THEN NEW.auto_by WHEN NEW.decision_error <> '' OR NEW.decided_folder_id = '' OR NEW.decided_by = '' THEN '' ELSE NEW.decided_by END,
		CASE WHEN NEW.decided_by = 'manual' THEN NEW.auto_folder_id WHEN NEW.decision_error <> '' OR NEW.decided_folder_id = '' OR NEW.decided_by = '' THEN '' ELSE NEW.decided_folder_id END,
		1, COALESCE(w || ',', ''), COALESCE(r || ',', '')
	FROM (SELECT CASE WHEN fr IS NULL THEN NULL WHEN fi IS NOT NULL AND fi < c THEN CASE WHEN fr >= fi THEN fr - fi END WHEN fr >= c THEN fr - c END AS w,
			CASE WHEN z IS NOT NULL AND z >= c THEN z - c END AS r
		FROM (SELECT (CASE WHEN NEW.first_response_at = '' OR NEW.first_response_at LIKE '0001-01-01T00:00:00%' THEN NULL ELSE
			unixepoch(substr(NEW.first_response_at, 1, 19)) * 1000000000
			+ CASE WHEN substr(NEW.first_response_at, 20, 1) = '.' THEN CAST(substr(substr(NEW.first_response_at, 21, length(NEW.first_response_at) - 20 - CASE WHEN substr(NEW.first_response_at, -1) = 'Z' THEN 1 ELSE 6 END) || '000000000', 1, 9) AS INTEGER) ELSE 0 END
			- CASE WHEN substr(NEW.first_response_at, -1) = 'Z' THEN 0 ELSE CASE substr(NEW.first_response_at, -6, 1) WHEN '-' THEN -1 ELSE 1 END * (CAST(substr(NEW.first_response_at, -5, 2) AS INTEGER) * 3600 + CAST(substr(NEW.first_response_at, -2, 2) AS INTEGER) * 60) * 1000000000 END END) AS fr,
			(CASE WHEN NEW.first_inbound_at = '' OR NEW.first_inbound_at LIKE '0001-01-01T00:00:00%' THEN NULL ELSE
			unixepoch(substr(NEW.first_inbound_at, 1, 19)) * 1000000000
			+ CASE WHEN substr(NEW.first_inbound_at, 20, 1) = '.' THEN CAST(substr(substr(NEW.first_inbound_at, 21, length(NEW.first_inbound_at) - 20 - CASE WHEN substr(NEW.first_inbound_at, -1) = 'Z' THEN 1 ELSE 6 END) || '000000000', 1, 9) AS INTEGER) ELSE 0 END
			- CASE WHEN substr(NEW.first_inbound_at, -1) = 'Z' THEN 0 ELSE CASE substr(NEW.first_inbound_at, -6, 1) WHEN '-' THEN -1 ELSE 1 END * (CAST(substr(NEW.first_inbound_at, -5, 2) AS INTEGER) * 3600 + CAST(substr(NEW.first_inbound_at, -2, 2) AS INTEGER) * 60) * 1000000000 END END) AS fi,
			NEW.created_at AS c,
			(CASE WHEN NEW.resolved_at = '' OR NEW.resolved_at LIKE '0001-01-01T00:00:00%' THEN NULL ELSE
			unixepoch(substr(NEW.resolved_at, 1, 19)) * 1000000000
			+ CASE WHEN substr(NEW.resolved_at, 20, 1) = '.' THEN CAST(substr(substr(NEW.resolved_at, 21, length(NEW.resolved_at) - 20 - CASE WHEN substr(NEW.resolved_at, -1) = 'Z' THEN 1 ELSE 6 END) || '000000000', 1, 9) AS INTEGER) ELSE 0 END
			- CASE WHEN substr(NEW.resolved_at, -1) = 'Z' THEN 0 ELSE CASE substr(NEW.resolved_at, -6, 1) WHEN '-' THEN -1 ELSE 1 END * (CAST(substr(NEW.resolved_at, -5, 2) AS INTEGER) * 3600 + CAST(substr(NEW.resolved_at, -2, 2) AS INTEGER) * 60) * 1000000000 END END) AS z))
	WHERE true
	ON CONFLICT (tenant_id, day, source, folder_id, status, assignee, intent, auto_by, auto_folder_id)
	DO UPDATE SET n = n + 1, first_waits = first_waits || excluded.first_waits, resolutions = resolutions || excluded.resolutions;
END;

CREATE TRIGGER conversation_day_delete AFTER DELETE ON conversation_facts WHEN OLD.created_at >= 0
BEGIN
	UPDATE conversation_day SET (n, first_waits, resolutions) = (SELECT conversation_day.n - 1,
			CASE WHEN w IS NULL OR instr(',' || conversation_day.first_waits, ',' || w || ',') = 0 THEN conversation_day.first_waits ELSE substr(conversation_day.first_waits, 1, instr(',' || conversation_day.first_waits, ',' || w || ',') - 1) || substr(conversation_day.first_waits, instr(',' || conversation_day.first_waits, ',' || w || ',') + length(w || ',')) END,
			CASE WHEN r IS NULL OR instr(',' || conversation_day.resolutions, ',' || r || ',') = 0 THEN conversation_day.resolutions ELSE substr(conversation_day.resolutions, 1, instr(',' || conversation_day.resolutions, ',' || r || ',') - 1) || substr(conversation_day.resolutions, instr(',' || conversation_day.resolutions, ',' || r || ',') + length(r || ',')) END
		FROM (SELECT CASE WHEN fr IS NULL THEN NULL WHEN fi IS NOT NULL AND fi < c THEN CASE WHEN fr >= fi THEN fr - fi END WHEN fr >= c THEN fr - c END AS w,
			CASE WHEN z IS NOT NULL AND z >= c THEN z - c END AS r
		FROM (SELECT (CASE WHEN OLD.first_response_at = '' OR OLD.first_response_at LIKE '0001-01-01T00:00:00%' THEN NULL ELSE
			unixepoch(substr(OLD.first_response_at, 1, 19)) * 1000000000
			+ CASE WHEN substr(OLD.first_response_at, 20, 1) = '.' THEN CAST(substr(substr(OLD.first_response_at, 21, length(OLD.first_response_at) - 20 - CASE WHEN substr(OLD.first_response_at, -1) = 'Z' THEN 1 ELSE 6 END) || '000000000', 1, 9) AS INTEGER) ELSE 0 END
			- CASE WHEN substr(OLD.first_response_at, -1) = 'Z' THEN 0 ELSE CASE substr(OLD.first_response_at, -6, 1) WHEN '-' THEN -1 ELSE 1 END * (CAST(substr(OLD.first_response_at, -5, 2) AS INTEGER) * 3600 + CAST(substr(OLD.first_response_at, -2, 2) AS INTEGER) * 60) * 1000000000 END END) AS fr,
			(CASE WHEN OLD.first_inbound_at = '' OR OLD.first_inbound_at LIKE '0001-01-01T00:00:00%' THEN NULL ELSE
			unixepoch(substr(OLD.first_inbound_at, 1, 19)) * 1000000000
			+ CASE WHEN substr(OLD.first_inbound_at, 20, 1) = '.' THEN CAST(substr(substr(OLD.first_inbound_at, 21, length(OLD.first_inbound_at) - 20 - CASE WHEN substr(OLD.first_inbound_at, -1) = 'Z' THEN 1 ELSE 6 END) || '000000000', 1, 9) AS INTEGER) ELSE 0 END
			- CASE WHEN substr(OLD.first_inbound_at, -1) = 'Z' THEN 0 ELSE CASE substr(OLD.first_inbound_at, -6, 1) WHEN '-' THEN -1 ELSE 1 END * (CAST(substr(OLD.first_inbound_at, -5, 2) AS INTEGER) * 3600 + CAST(substr(OLD.first_inbound_at, -2, 2) AS INTEGER) * 60) * 1000000000 END END) AS fi,
			OLD.created_at AS c,
			(CASE WHEN OLD.resolved_at = '' OR OLD.resolved_at LIKE '0001-01-01T00:00:00%' THEN NULL ELSE
			unixepoch(substr(OLD.resolved_at, 1, 19)) * 1000000000
			+ CASE WHEN substr(OLD.resolved_at, 20, 1) = '.' THEN CAST(substr(substr(OLD.resolved_at, 21, length(OLD.resolved_at) - 20 - CASE WHEN substr(OLD.resolved_at, -1) = 'Z' THEN 1 ELSE 6 END) || '000000000', 1, 9) AS INTEGER) ELSE 0 END
			- CASE WHEN substr(OLD.resolved_at, -1) = 'Z' THEN 0 ELSE CASE substr(OLD.resolved_at, -6, 1) WHEN '-' THEN -1 ELSE 1 END * (CAST(substr(OLD.resolved_at, -5, 2) AS INTEGER) * 3600 + CAST(substr(OLD.resolved_at, -2, 2) AS INTEGER) * 60) * 1000000000 END END) AS z)))
	WHERE tenant_id = OLD.tenant_id AND day = OLD.created_at / 86400000000000 AND source = OLD.source AND folder_id = OLD.folder_id
		AND status = OLD.status AND assignee = OLD.assignee AND intent = OLD.intent
		AND auto_by = CASE WHEN OLD.decided_by = 'manual' THEN OLD.auto_by WHEN OLD.decision_error <> '' OR OLD.decided_folder_id = '' OR OLD.decided_by = '' THEN '' ELSE OLD.decided_by END
		AND auto_folder_id = CASE WHEN OLD.decided_by = 'manual' THEN OLD.auto_folder_id WHEN OLD.decision_error <> '' OR OLD.decided_folder_id = '' OR OLD.decided_by = '' THEN '' ELSE OLD.decided_folder_id END;
	DELETE FROM conversation_day WHERE tenant_id = OLD.tenant_id AND day = OLD.created_at / 86400000000000 AND n <= 0;
END;

-- conversation_day (0020) was kept by a trigger on conversation_facts, so
-- every conversation change updated one of a few rows per day: concurrent
-- writers (mailboxes synced side by side, background filing beside
-- intake) waited on those rows and deadlocked, and each change rewrote
-- the day's list of durations. PostgreSQL aggregates conversation_facts
-- when statistics are read instead (conversation_days, the same rows the
-- table held), which it does in a few milliseconds per thousand
-- conversations; SQLite, with one writer, keeps its table.
DROP TRIGGER conversation_day_sync ON conversation_facts;
DROP FUNCTION conversation_day_sync();
DROP TABLE conversation_day;

-- conversation_days returns the conversation_day rows of a tenant's
-- conversations created on UTC days [from_day, to_day) (days since 1970).
CREATE FUNCTION conversation_days(p_tenant text, from_day bigint, to_day bigint)
RETURNS TABLE (day bigint, source text, folder_id text, status text, assignee text, intent text, auto_by text, auto_folder_id text,
	n bigint, first_waits text, resolutions text)
LANGUAGE sql STABLE AS $$
	SELECT f.created_at / 86400000000000, f.source, f.folder_id, f.status, f.assignee, f.intent, k.auto_by, k.auto_folder_id,
		COUNT(*), COALESCE(string_agg(k.first_wait || ',', ''), ''), COALESCE(string_agg(k.resolution || ',', ''), '')
	FROM conversation_facts f, LATERAL conversation_day_key(f) k
	WHERE f.tenant_id = p_tenant AND f.created_at >= greatest(from_day, 0) * 86400000000000 AND f.created_at < to_day * 86400000000000
	GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
$$;

-- message_volume_day sums message_volume per UTC day (hour / 24), so
-- statistics by week or month read one row per day and group instead of
-- twenty-four. A trigger on message_volume keeps every day equal to the
-- sum of its hours, whatever changed them (new, deleted or moved messages,
-- refiled or deleted conversations).
CREATE TABLE message_volume_day (
	tenant_id text NOT NULL,
	day bigint NOT NULL,
	folder_id text NOT NULL,
	source text NOT NULL,
	direction text NOT NULL,
	n bigint NOT NULL,
	PRIMARY KEY (tenant_id, day, folder_id, source, direction)
);

INSERT INTO message_volume_day (tenant_id, day, folder_id, source, direction, n)
SELECT tenant_id, hour / 24, folder_id, source, direction, SUM(n) FROM message_volume GROUP BY 1, 2, 3, 4, 5;

CREATE FUNCTION message_volume_day_follow() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP IN ('DELETE', 'UPDATE') THEN
		UPDATE message_volume_day SET n = n - OLD.n
		WHERE tenant_id = OLD.tenant_id AND day = OLD.hour / 24 AND folder_id = OLD.folder_id AND source = OLD.source AND direction = OLD.direction;
	END IF;
	IF TG_OP IN ('INSERT', 'UPDATE') THEN
		INSERT INTO message_volume_day AS d (tenant_id, day, folder_id, source, direction, n)
		VALUES (NEW.tenant_id, NEW.hour / 24, NEW.folder_id, NEW.source, NEW.direction, NEW.n)
		ON CONFLICT (tenant_id, day, folder_id, source, direction) DO UPDATE SET n = d.n + excluded.n;
	END IF;
	RETURN NULL;
END
$$;

CREATE TRIGGER message_volume_day_follow AFTER INSERT OR UPDATE OR DELETE ON message_volume
	FOR EACH ROW EXECUTE FUNCTION message_volume_day_follow();

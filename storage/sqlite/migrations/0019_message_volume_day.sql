-- message_volume_day sums message_volume per UTC day (hour / 24), so
-- statistics by week or month read one row per day and group instead of
-- twenty-four. Triggers on message_volume keep every day equal to the sum
-- of its hours, whatever changed them (new, deleted or moved messages,
-- refiled or deleted conversations).
CREATE TABLE message_volume_day (
	tenant_id TEXT NOT NULL,
	day INTEGER NOT NULL,
	folder_id TEXT NOT NULL,
	source TEXT NOT NULL,
	direction TEXT NOT NULL,
	n INTEGER NOT NULL,
	PRIMARY KEY (tenant_id, day, folder_id, source, direction)
) WITHOUT ROWID;

INSERT INTO message_volume_day (tenant_id, day, folder_id, source, direction, n)
SELECT tenant_id, hour / 24, folder_id, source, direction, SUM(n) FROM message_volume GROUP BY 1, 2, 3, 4, 5;

CREATE TRIGGER message_volume_day_insert AFTER INSERT ON message_volume
BEGIN
	INSERT INTO message_volume_day (tenant_id, day, folder_id, source, direction, n)
	VALUES (NEW.tenant_id, NEW.hour / 24, NEW.folder_id, NEW.source, NEW.direction, NEW.n)
	ON CONFLICT (tenant_id, day, folder_id, source, direction) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER message_volume_day_update AFTER UPDATE ON message_volume
BEGIN
	UPDATE message_volume_day SET n = n - OLD.n
	WHERE tenant_id = OLD.tenant_id AND day = OLD.hour / 24 AND folder_id = OLD.folder_id AND source = OLD.source AND direction = OLD.direction;
	INSERT INTO message_volume_day (tenant_id, day, folder_id, source, direction, n)
	VALUES (NEW.tenant_id, NEW.hour / 24, NEW.folder_id, NEW.source, NEW.direction, NEW.n)
	ON CONFLICT (tenant_id, day, folder_id, source, direction) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER message_volume_day_delete AFTER DELETE ON message_volume
BEGIN
	UPDATE message_volume_day SET n = n - OLD.n
	WHERE tenant_id = OLD.tenant_id AND day = OLD.hour / 24 AND folder_id = OLD.folder_id AND source = OLD.source AND direction = OLD.direction;
END;

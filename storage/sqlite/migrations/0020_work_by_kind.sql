-- Due work of one kind (the worker looks for other kinds while
-- classification waits for a sync to end) is read from an index, not by
-- scanning every due item of the tenant.
CREATE INDEX work_kind_due ON work (tenant_id, kind, failed, not_before);

package sqlstore

import (
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
)

// AddCount adds n to a counter window and returns its total, in one
// upsert; windows of the key older than driver.MaxCountAge are deleted.
func (t *tx) AddCount(key string, window time.Time, n int) (int, error) {
	const op = "add count"
	if key == "" {
		return 0, fmt.Errorf("%s: %w", op, inbox.Invalid("key", "is required"))
	}
	at := nanos(window)
	var total int
	if n == 0 {
		err := t.queryRow(op, []any{&total}, `SELECT count FROM counters WHERE tenant_id = ? AND key = ? AND starts = ?`, string(t.tenant), key, at)
		if errors.Is(err, sql.ErrNoRows) {
			return 0, nil
		}
		return total, err
	}
	if err := t.queryRow(op, []any{&total}, `INSERT INTO counters (tenant_id, key, starts, count) VALUES (?, ?, ?, ?)
		ON CONFLICT (tenant_id, key, starts) DO UPDATE SET count = counters.count + excluded.count RETURNING count`,
		string(t.tenant), key, at, n); err != nil {
		return 0, err
	}
	if _, err := t.exec(op, `DELETE FROM counters WHERE tenant_id = ? AND key = ? AND starts < ?`,
		string(t.tenant), key, nanos(window.Add(-driver.MaxCountAge))); err != nil {
		return 0, err
	}
	return total, nil
}

package memstore

import (
	"fmt"
	"time"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
)

// countKey is one counter window.
type countKey struct {
	key    string
	window int64 // Unix microseconds
}

// AddCount adds n to a counter window and returns its total; windows
// older than driver.MaxCountAge are dropped as counters are written.
func (t *tx) AddCount(key string, window time.Time, n int) (int, error) {
	if key == "" {
		return 0, fmt.Errorf("memstore: add count: %w", inbox.Invalid("key", "is required"))
	}
	k := countKey{key, ts(window).UnixMicro()}
	if n == 0 {
		if err := t.read(); err != nil {
			return 0, err
		}
		return t.state.counts[k], nil
	}
	if err := t.write("add count"); err != nil {
		return 0, err
	}
	total := t.state.counts[k] + n
	put(&t.undo, t.state.counts, k, total)
	old := ts(window).Add(-driver.MaxCountAge).UnixMicro()
	for ck := range t.state.counts {
		if ck.key == key && ck.window < old {
			del(&t.undo, t.state.counts, ck)
		}
	}
	return total, nil
}

package inbox

import (
	"context"

	"github.com/inboxkit/inboxkit/inbox/internal/background"
)

// BackgroundContext marks ctx as background work's: the engine's worker
// (slow classification, auto-replies, contact linking) runs with it. A
// store that runs one write at a time (SQLite) lets writes of contexts
// without the mark — intake and agents' actions — go first, so a queue
// of background writes never holds a webhook's answer or an agent's
// click (stores read the mark with driver.IsBackground).
func BackgroundContext(ctx context.Context) context.Context {
	return background.With(ctx)
}

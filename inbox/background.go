package inbox

import "context"

type backgroundKey struct{}

// BackgroundContext marks ctx as background work's: the engine's worker
// (slow classification, auto-replies, contact linking) runs with it. A
// store that runs one write at a time (SQLite) lets writes of contexts
// without the mark — intake and agents' actions — go first, so a queue
// of background writes never holds a webhook's answer or an agent's
// click; see IsBackground.
func BackgroundContext(ctx context.Context) context.Context {
	return context.WithValue(ctx, backgroundKey{}, true)
}

// IsBackground reports whether ctx is background work's
// (BackgroundContext). Stores use it to order their writes.
func IsBackground(ctx context.Context) bool {
	b, _ := ctx.Value(backgroundKey{}).(bool)
	return b
}

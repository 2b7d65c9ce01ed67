// Package background marks a context as background work's, for
// inbox.BackgroundContext and driver.IsBackground.
package background

import "context"

type key struct{}

// With returns ctx marked as background work's.
func With(ctx context.Context) context.Context { return context.WithValue(ctx, key{}, true) }

// Is reports whether ctx carries the mark.
func Is(ctx context.Context) bool {
	b, _ := ctx.Value(key{}).(bool)
	return b
}

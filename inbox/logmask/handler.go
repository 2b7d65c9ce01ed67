package logmask

import (
	"context"
	"log/slog"
)

// Handler is a slog.Handler that masks records before passing them to the
// next handler.
type Handler struct {
	next   slog.Handler
	masker *Masker
	// sensitive is set inside a group whose name is a sensitive key: every
	// value below it is masked.
	sensitive bool
}

var _ slog.Handler = (*Handler)(nil)

// New returns a Handler masking records per opts before next sees them.
func New(next slog.Handler, opts Options) *Handler {
	return &Handler{next: next, masker: NewMasker(opts)}
}

// NewLogger is shorthand for slog.New(New(next, opts)).
func NewLogger(next slog.Handler, opts Options) *slog.Logger {
	return slog.New(New(next, opts))
}

// Masker returns the text masker the handler uses.
func (h *Handler) Masker() *Masker { return h.masker }

// Enabled reports whether the next handler handles level.
func (h *Handler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

// Handle masks the message and every attribute, then passes the record on.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, h.masker.String(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.masker.attr(a, h.sensitive, 0))
		return true
	})
	return h.next.Handle(ctx, out)
}

// WithAttrs masks attrs once, when they are attached.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	masked := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		masked[i] = h.masker.attr(a, h.sensitive, 0)
	}
	return &Handler{next: h.next.WithAttrs(masked), masker: h.masker, sensitive: h.sensitive}
}

// WithGroup opens a group; a group named like a credential masks all it
// holds.
func (h *Handler) WithGroup(name string) slog.Handler {
	return &Handler{
		next:      h.next.WithGroup(name),
		masker:    h.masker,
		sensitive: h.sensitive || h.masker.SensitiveKey(name),
	}
}

package logmasktest

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/inboxkit/inboxkit/inbox/logmask"
)

// Recorder keeps every line logged through its logger. It is safe for
// concurrent use.
type Recorder struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p to the record.
func (r *Recorder) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.buf.Write(p)
}

// String returns everything recorded so far.
func (r *Recorder) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.buf.String()
}

// New returns a logger that masks with opts, writes JSON lines at debug
// level and above into a Recorder, and the Recorder. Pass the logger to the
// component under test (Options.Logger) and call Leaks or RequireNoLeaks
// at the end.
func New(opts logmask.Options) (*slog.Logger, *Recorder) {
	rec := &Recorder{}
	h := slog.NewJSONHandler(rec, &slog.HandlerOptions{Level: slog.LevelDebug})
	return logmask.NewLogger(h, opts), rec
}

// Leaks returns the indexes of the secrets found in the record, in plain
// form or in the escaped forms JSON and Go quoting would give them. Empty
// secrets are ignored.
func (r *Recorder) Leaks(secrets ...string) []int {
	logs := r.String()
	var leaked []int
	for i, s := range secrets {
		if s == "" {
			continue
		}
		for _, form := range forms(s) {
			if strings.Contains(logs, form) {
				leaked = append(leaked, i)
				break
			}
		}
	}
	return leaked
}

// RequireNoLeaks fails t if any secret appears in the record. The failure
// names the secrets by position and length only, so the test output does
// not repeat them.
func (r *Recorder) RequireNoLeaks(t testing.TB, secrets ...string) {
	t.Helper()
	for _, i := range r.Leaks(secrets...) {
		t.Errorf("secret #%d (%d bytes) appears in the logs", i, len(secrets[i]))
	}
}

// forms are the ways s may be written by a log handler.
func forms(s string) []string {
	out := []string{s}
	if b, err := json.Marshal(s); err == nil {
		out = append(out, string(b[1:len(b)-1]))
	}
	q := strconv.Quote(s)
	return append(out, q[1:len(q)-1])
}

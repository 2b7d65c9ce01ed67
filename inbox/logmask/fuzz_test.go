package logmask_test

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/inboxkit/inboxkit/inbox/logmask"
)

// FuzzMask checks that masking never panics, is idempotent, never leaves a
// whole email address in place, and that the handler accepts any message
// and attribute.
func FuzzMask(f *testing.F) {
	for _, seed := range []string{
		"", "plain text", "claire.dubois@courriel.example", "+33 6 12 34 56 78", "06 12 34 56 78",
		"Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc", `{"password":"x","api_key":"y"}`,
		"postgres://u:p@h/db", "sk-proj-AbCdEf0123456789AbCdEf0123", "sig=abc&x=1", strings.Repeat("@", 600),
		"0033612345678 0612345678 +1 (555) 123-4567", "é@é.fr \xff\xfe",
	} {
		f.Add(seed, "key")
	}
	m := logmask.NewMasker(logmask.Options{})
	var out bytes.Buffer
	logger := logmask.NewLogger(slog.NewJSONHandler(&out, nil), logmask.Options{})
	f.Fuzz(func(t *testing.T, s, key string) {
		once := m.String(s)
		if twice := m.String(once); twice != once {
			t.Fatalf("not idempotent:\n%q\n%q\n%q", s, once, twice)
		}
		if utf8.ValidString(s) && !utf8.ValidString(once) {
			t.Fatalf("masking broke UTF-8: %q → %q", s, once)
		}
		_ = m.PhoneValue(s)
		_ = m.SensitiveKey(key)
		out.Reset()
		logger.Info(s, key, s, "nested", map[string]any{key: []any{s, []byte(s)}})
	})
}

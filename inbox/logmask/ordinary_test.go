package logmask_test

import (
	"bufio"
	"bytes"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox/logmask"
)

// ordinaryLines reads testdata/ordinary.txt: log lines with ids,
// durations, counts, folder names and English and French words, and no
// secret or personal datum.
func ordinaryLines(t *testing.T) []string {
	f, err := os.Open("testdata/ordinary.txt")
	require.NoError(t, err)
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := sc.Text(); l != "" && !strings.HasPrefix(l, "#") {
			lines = append(lines, l)
		}
	}
	require.NoError(t, sc.Err())
	require.GreaterOrEqual(t, len(lines), 40)
	return lines
}

// TestOrdinaryLinesAreUnchanged: the masker must not hide what makes a
// log useful. Each line goes through String and, as a message, through the
// handler.
func TestOrdinaryLinesAreUnchanged(t *testing.T) {
	m := logmask.NewMasker(logmask.Options{})
	for _, line := range ordinaryLines(t) {
		require.Equal(t, line, m.String(line))
	}
	var out bytes.Buffer
	logger := logmask.NewLogger(slog.NewJSONHandler(&out, nil), logmask.Options{})
	for _, line := range ordinaryLines(t) {
		out.Reset()
		logger.Info(line)
		require.Contains(t, out.String(), jsonString(t, line))
	}
}

// TestOrdinaryAttributesAreUnchanged: counts, dates, folder names and
// flags whose keys share a word with a credential stay readable.
func TestOrdinaryAttributesAreUnchanged(t *testing.T) {
	attrs := []any{
		"prompt_tokens", 250, "completion_tokens", 40, "total_tokens", 290, "max_tokens", 1000,
		"tokens_left", 58, "token_budget", 100000, "secret_count", 0, "signature_lines", 3,
		"pass_count", 2, "cookie_consent", true, "credential_check", "ok", "auth_method", "oauth2",
		"token_type", "Bearer", "auth_url", "https://login.example/oauth/authorize",
		"from", "2025-03-01", "to", "2025-03-31", "from", "Inbox", "to", "Support",
		"folder", "Rendez-vous", "integration", "int-0123456789", "duration", 1200 * time.Millisecond,
		"password", "none", "api_key", "missing",
	}
	var masked, plain bytes.Buffer
	noTime := &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}}
	logmask.NewLogger(slog.NewTextHandler(&masked, noTime), logmask.Options{}).Info("ordinary", attrs...)
	slog.New(slog.NewTextHandler(&plain, noTime)).Info("ordinary", attrs...)
	require.Equal(t, plain.String(), masked.String())
}

// TestSecretsNextToOrdinaryWords: the tuning keeps masking what it must.
func TestSecretsNextToOrdinaryWords(t *testing.T) {
	m := logmask.NewMasker(logmask.Options{})
	for _, tc := range []struct{ in, want string }{
		{"pass=Tr0ub4dor&3 user=claire", "pass=[redacted] user=claire"},
		{"token: 482913 sent by sms", "token: [redacted] sent by sms"},
		{"secret: s3cr3t-value", "secret: [redacted]"},
		{"password=1234", "password=[redacted]"},
		{"sig=deadbeef", "sig=[redacted]"},
		{"cookie: session=abc123", "cookie: [redacted]"},
		{"call 0033612345678 or +33 6 12 34 56 78", "call ***********78 or +** * ** ** ** 78"},
		{"tel 06 12 34 56 78, fax 01 02 03 04 05", "tel ** ** ** ** 78, fax ** ** ** ** 05"},
		{"contact claire.dubois@courriel.example", "contact c***@courriel.example"},
	} {
		require.Equal(t, tc.want, m.String(tc.in), tc.in)
	}
	var out bytes.Buffer
	logmask.NewLogger(slog.NewTextHandler(&out, nil), logmask.Options{}).Info("x",
		"otp", 482913, "pin", 1234, "token", 123456, "api_token", "abc", "from", "33612345678", "to", "+33 6 12 34 56 78",
		"signature", "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN", "password", "hunter2")
	for _, leak := range []string{"482913", "1234", "123456", "abc", "336123456", "12 34 56", "K5oZ", "hunter2"} {
		require.NotContains(t, out.String(), leak)
	}
}

func jsonString(t *testing.T, s string) string {
	var b bytes.Buffer
	slog.New(slog.NewJSONHandler(&b, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key != slog.MessageKey {
			return slog.Attr{}
		}
		return a
	}})).Info(s)
	out := strings.TrimSpace(b.String())
	return strings.TrimSuffix(strings.TrimPrefix(out, `{"msg":`), "}")
}

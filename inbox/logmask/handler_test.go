package logmask_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox/logmask"
	"github.com/inboxkit/inboxkit/inbox/seal"
)

// The secrets and personal data an inbox handles, as they would reach a
// log line.
const (
	customerEmail = "claire.dubois@courriel.example"
	customerPhone = "+33 6 12 34 56 78"
	vonageMSISDN  = "33612345678"
	frenchPhone   = "06 12 34 56 78"
	imapPassword  = "Tr0ub4dor&3-Lumiere"
	openAIKey     = "sk-proj-AbCdEf0123456789AbCdEf0123"
	vonageSecret  = "a1B2c3D4e5F6g7H8"
	jwtToken      = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
	basicAuth     = "Basic Y2xhaXJlOmh1bnRlcjI="
	pgPassword    = "S3cretPgPass"
	webhookSig    = "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4="
	sessionCookie = "sess_9f8e7d6c5b4a39281706"
	bearerOpaque  = "opaque-access-7Hq2Lm9Zp4"
)

// leaks are the fragments that must not appear in any output: each secret
// and, for personal data, the part the mask hides.
var leaks = []string{
	"claire.dubois", "laire.dubois", imapPassword, "Tr0ub4dor", openAIKey, "AbCdEf0123456789", vonageSecret,
	jwtToken, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9", "Y2xhaXJlOmh1bnRlcjI", pgPassword, "K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN",
	sessionCookie, bearerOpaque, "12 34 56", "336123456", "06 12 34", "612345",
}

type imapConfig struct {
	Host     string `json:"host"`
	User     string `json:"user"`
	Password string `json:"password"`
	APIKey   string
	Token    seal.Secret
	Notify   []string
	Extra    map[string]any
	Next     *imapConfig
}

// logEverything logs every secret through logger in all the ways code in
// an inbox might.
func logEverything(logger *slog.Logger) {
	ctx := context.Background()
	logger.Info("new mail from " + customerEmail + " phone " + customerPhone)
	logger.Info(fmt.Sprintf("imap login failed for %s password=%s", customerEmail, imapPassword))
	logger.Warn("openai call", "authorization", "Bearer "+openAIKey, "model", "gpt-4o-mini")
	logger.Info("request", "header", "Authorization: "+basicAuth)
	logger.Info("vonage", slog.Group("auth", "api_key", "abcd1234", "api_secret", vonageSecret), "msisdn", vonageMSISDN)
	logger.Info("sms", "from", vonageMSISDN, "to", customerPhone, "text", "rappelez-moi au "+frenchPhone)
	logger.Info("jwt", "raw", jwtToken, "note", "signed "+jwtToken)
	logger.Info("db", "dsn", "postgres://inbox:"+pgPassword+"@db.internal:5432/inbox")
	u, _ := url.Parse("https://crm.example/hook?sig=" + url.QueryEscape(webhookSig) + "&ts=1")
	logger.Info("webhook", "url", u, "webhook-signature", webhookSig)
	logger.Error("send failed", "err", fmt.Errorf("smtp auth for %s: %w", customerEmail, errors.New("535 bad password="+imapPassword)))
	logger.Info("headers", "h", http.Header{"Authorization": {"Bearer " + bearerOpaque}, "Cookie": {"session=" + sessionCookie}, "X-Mailer": {"lamp"}})
	cfg := &imapConfig{
		Host: "imap.example", User: customerEmail, Password: imapPassword, APIKey: openAIKey,
		Token: seal.NewSecret(bearerOpaque), Notify: []string{customerEmail, "Bearer " + bearerOpaque},
		Extra: map[string]any{"client_secret": vonageSecret, "contact": customerPhone, "list": []any{jwtToken, 42}},
		Next:  &imapConfig{Password: pgPassword},
	}
	logger.Info("config", "cfg", cfg, "copy", *cfg)
	logger.Info("bytes", "body", []byte("password: "+imapPassword), "raw", json.RawMessage(`{"token":"`+bearerOpaque+`"}`))
	logger.With("token", bearerOpaque, "user", customerEmail).Info("with attrs", "n", 3)
	logger.WithGroup("credentials").Info("grouped", "value", imapPassword, "list", []string{pgPassword})
	logger.WithGroup("imap").With("password", imapPassword).Info("nested", slog.Group("smtp", "pass", pgPassword, slog.Group("deep", "cookie", sessionCookie)))
	logger.LogAttrs(ctx, slog.LevelInfo, "attrs", slog.Any("err", errors.New("Authorization: "+basicAuth)), slog.String("contact", customerPhone))
	logger.Info("stringer", "who", stringer(customerEmail+" "+frenchPhone))
	logger.Info("array", "tokens", [2]string{jwtToken, bearerOpaque}, "ptrs", []*imapConfig{{Password: imapPassword}})
}

type stringer string

func (s stringer) String() string { return string(s) }

func TestNoSecretReachesTheLog(t *testing.T) {
	var out bytes.Buffer
	for _, next := range []slog.Handler{
		slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelDebug}),
		slog.NewJSONHandler(&out, &slog.HandlerOptions{Level: slog.LevelDebug}),
	} {
		logEverything(logmask.NewLogger(next, logmask.Options{}))
	}
	logs := out.String()
	// Unmasked output would contain them: the test would catch a leak.
	var raw bytes.Buffer
	logEverything(slog.New(slog.NewTextHandler(&raw, nil)))
	for _, leak := range leaks {
		require.Contains(t, raw.String(), leak, "fixture must use %q", leak)
		require.NotContains(t, logs, leak, "leaked %q", leak)
	}
	// JSON escaping must not hide a leak from the check above.
	require.NotContains(t, logs, "3-Lumiere")

	// Masked output is still useful.
	require.Contains(t, logs, "c***@courriel.example")
	require.Contains(t, logs, "78")
	require.Contains(t, logs, "model=gpt-4o-mini")
	require.Contains(t, logs, "host=imap.example")
	require.Contains(t, logs, `"X-Mailer":["lamp"]`)
}

func TestHandlerShapes(t *testing.T) {
	var out bytes.Buffer
	logger := logmask.NewLogger(slog.NewJSONHandler(&out, nil), logmask.Options{})
	logger.Info("m", "cfg", imapConfig{Host: "h", Password: "p", Notify: []string{"a@b.example"}}, "n", 7, "ok", true)
	var rec map[string]any
	require.NoError(t, json.Unmarshal(out.Bytes(), &rec))
	require.Equal(t, float64(7), rec["n"])
	require.Equal(t, true, rec["ok"])
	cfg := rec["cfg"].(map[string]any)
	require.Equal(t, "h", cfg["host"])
	require.Equal(t, "[redacted]", cfg["password"])
	require.Equal(t, []any{"a***@b.example"}, cfg["Notify"])
}

func TestHandlerLevelsAndOptions(t *testing.T) {
	var out bytes.Buffer
	h := logmask.New(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelWarn}), logmask.Options{
		SensitiveKeys: []string{"iban"},
		AllowKeys:     []string{"prompt_tokens"},
	})
	require.False(t, h.Enabled(context.Background(), slog.LevelInfo))
	require.True(t, h.Enabled(context.Background(), slog.LevelError))
	logger := slog.New(h)
	logger.Info("hidden")
	logger.Warn("shown", "iban", "FR7630006000011234567890189", "prompt_tokens", 812)
	require.NotContains(t, out.String(), "hidden")
	require.Contains(t, out.String(), "iban=[redacted]")
	require.Contains(t, out.String(), "prompt_tokens=812")
	require.Equal(t, "c***@x.example", h.Masker().String("cl@x.example"))
}

func BenchmarkHandlerClean(b *testing.B) {
	logger := logmask.NewLogger(slog.NewTextHandler(io.Discard, nil), logmask.Options{})
	b.ReportAllocs()
	for b.Loop() {
		logger.Info("imap sync finished", "integration", "int_01hx", "fetched", 12, "cursor", "4294967295:1200")
	}
}

func BenchmarkHandlerSecrets(b *testing.B) {
	logger := logmask.NewLogger(slog.NewTextHandler(io.Discard, nil), logmask.Options{})
	b.ReportAllocs()
	for b.Loop() {
		logger.Info("reply to "+customerEmail+" failed", "password", imapPassword, "to", customerPhone, "err", errors.New("Bearer "+bearerOpaque))
	}
}

func BenchmarkTextHandlerBaseline(b *testing.B) {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	b.ReportAllocs()
	for b.Loop() {
		logger.Info("imap sync finished", "integration", "int_01hx", "fetched", 12, "cursor", "4294967295:1200")
	}
}

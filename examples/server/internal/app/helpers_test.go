package app_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/inboxkit/inboxkit/channel/webhook"
	"github.com/inboxkit/inboxkit/examples/server/internal/app"
	"github.com/inboxkit/inboxkit/inbox/seal"
)

// newServer starts the whole reference server on an SQLite file in a
// temporary directory, seeded with the demo tenant.
func newServer(t testing.TB) (*app.App, *httptest.Server) {
	t.Helper()
	return newServerWithHistory(t, 0)
}

// newServerWithHistory also seeds history older, finished conversations.
func newServerWithHistory(t testing.TB, history int) (*app.App, *httptest.Server) {
	t.Helper()
	return newServerWith(t, func(c *app.Config) { c.DemoHistory = history })
}

// newServerWith is newServer with a configuration changed by edit.
func newServerWith(t testing.TB, edit func(*app.Config)) (*app.App, *httptest.Server) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var material [seal.KeySize]byte
	_, _ = rand.Read(material[:])
	keys, err := seal.ParseKeys("k1:" + base64.StdEncoding.EncodeToString(material[:]))
	require.NoError(t, err)
	secret, err := webhook.NewSecret()
	require.NoError(t, err)
	cfg := app.Config{DataDir: t.TempDir(), Keys: keys, Demo: true, DemoWebhookSecret: secret.Encode(), BcryptCost: bcrypt.MinCost,
		VonageSMSURL: fakeVonage(t, "") + "/sms"}
	if edit != nil {
		edit(&cfg)
	}
	a, err := app.New(ctx, cfg)
	require.NoError(t, err)
	done := make(chan struct{})
	go func() { _ = a.Run(ctx); close(done) }()
	ts := httptest.NewServer(a.Handler())
	t.Cleanup(func() {
		ts.CloseClientConnections()
		ts.Close()
		cancel()
		<-done
		require.NoError(t, a.Close())
	})
	return a, ts
}

// fakeVonage serves the Vonage account API's balance, which SMS
// integrations are checked against when saved: it accepts every API key,
// or only apiKey when set. It returns the API's root URL.
func fakeVonage(t testing.TB, apiKey string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/account/get-balance" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Query().Get("api_secret") == "" || (apiKey != "" && r.URL.Query().Get("api_key") != apiKey) {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"type":"https://developer.nexmo.com/api-errors#unauthorized","title":"Unauthorized"}`))
			return
		}
		_, _ = w.Write([]byte(`{"value":10.28,"autoReload":false}`))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func httptestServer(a *app.App) *httptest.Server { return httptest.NewServer(a.Handler()) }

package app_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
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
	cfg := app.Config{DataDir: t.TempDir(), Keys: keys, Demo: true, DemoWebhookSecret: secret.Encode(), BcryptCost: bcrypt.MinCost}
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

func httptestServer(a *app.App) *httptest.Server { return httptest.NewServer(a.Handler()) }

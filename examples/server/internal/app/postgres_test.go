package app_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"net/url"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/inboxkit/inboxkit/examples/server/internal/app"
	"github.com/inboxkit/inboxkit/examples/server/internal/demo"
	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/seal"
	"github.com/inboxkit/inboxkit/internal/pgtest"
)

// TestInstancesStartTogetherOnPostgres: instances started at the same
// moment on an empty database take turns to set it up, so the demo
// tenant, its folders and its accounts exist once.
func TestInstancesStartTogetherOnPostgres(t *testing.T) {
	schema := pgtest.FreshSchema(t)
	u, err := url.Parse(pgtest.DSN())
	require.NoError(t, err)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	var material [seal.KeySize]byte
	_, _ = rand.Read(material[:])
	keys, err := seal.ParseKeys("k1:" + base64.StdEncoding.EncodeToString(material[:]))
	require.NoError(t, err)

	ctx := context.Background()
	apps := make([]*app.App, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i := range apps {
		wg.Go(func() {
			apps[i], errs[i] = app.New(ctx, app.Config{DB: u.String(), Blobs: t.TempDir(), Keys: keys, Demo: true, BcryptCost: bcrypt.MinCost})
		})
	}
	wg.Wait()
	for i, a := range apps {
		require.NoError(t, errs[i])
		t.Cleanup(func() { require.NoError(t, a.Close()) })
	}
	require.True(t, apps[0].Demo.Seeded != apps[1].Demo.Seeded, "one instance seeded the demo, the other found it")
	folders, err := apps[1].Engine.Folders(ctx, demo.TenantID)
	require.NoError(t, err)
	names := map[string]int{}
	for _, f := range folders {
		names[f.Name]++
	}
	for name, n := range names {
		require.Equal(t, 1, n, "folder %q exists once", name)
	}
	acc, err := apps[0].Accounts.Authenticate(ctx, demo.Employees[0].Email, demo.Password)
	require.NoError(t, err)
	require.Equal(t, inbox.TenantID(demo.TenantID), inbox.TenantID(acc.TenantID))
}

// TestPostgresURLErrorsKeepThePassword: a wrong or unreachable database
// URL stops the start with the reason, never the password.
func TestPostgresURLErrorsKeepThePassword(t *testing.T) {
	ctx := context.Background()
	for url, want := range map[string]string{
		"postgres://inbox:hunter2-secret@127.0.0.1:5432/test?search_path=Not-A-Schema": "search_path must name one lower-case schema",
		"postgres://inbox:hunter2-secret@127.0.0.1:1/test?connect_timeout=2":           "127.0.0.1:1/test",
		"postgres://inbox:hunter2-secret@[::1/test":                                    "not a valid PostgreSQL URL",
	} {
		_, err := app.New(ctx, app.Config{DB: url, Blobs: t.TempDir()})
		require.ErrorContains(t, err, want, url)
		require.NotContains(t, err.Error(), "hunter2", url)
	}
}

package auth

import (
	"context"
	"database/sql"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/internal/pgtest"
)

// sharedDB opens n connection pools on one fresh schema: as many server
// instances sharing a database.
func sharedDB(t *testing.T, n int) []*sql.DB {
	t.Helper()
	schema := pgtest.FreshSchema(t)
	admin := pgtest.Admin(t)
	_, err := admin.Exec(`CREATE SCHEMA ` + schema)
	require.NoError(t, err)
	var dbs []*sql.DB
	for range n {
		cfg, err := pgx.ParseConfig(pgtest.DSN())
		require.NoError(t, err)
		cfg.RuntimeParams["search_path"] = schema
		db := stdlib.OpenDB(*cfg)
		t.Cleanup(func() { _ = db.Close() })
		dbs = append(dbs, db)
	}
	return dbs
}

// TestDirectorySharedThroughTheDatabase: two instances on one database
// see each other's accounts and tokens at once, and changes made at the
// same moment on both are all kept.
func TestDirectorySharedThroughTheDatabase(t *testing.T) {
	ctx := context.Background()
	dbs := sharedDB(t, 2)
	a, err := OpenDirectory(DirectoryOptions{DB: dbs[0], BcryptCost: bcrypt.MinCost})
	require.NoError(t, err)
	b, err := OpenDirectory(DirectoryOptions{DB: dbs[1], BcryptCost: bcrypt.MinCost})
	require.NoError(t, err)

	_, err = a.CreateAccount(ctx, NewAccount{Tenant: "t1", ID: "claire", Email: "claire@example.com", Name: "Claire", Role: RoleAdmin, Password: "correct horse"})
	require.NoError(t, err)
	acc, err := b.Authenticate(ctx, "Claire@example.com", "correct horse")
	require.NoError(t, err, "an account created on one instance logs in on the other")
	require.Equal(t, "claire", acc.ID)
	ok, err := b.EmployeeExists(ctx, "t1", "claire")
	require.NoError(t, err)
	require.True(t, ok)
	_, err = b.CreateAccount(ctx, NewAccount{Tenant: "t2", ID: "claire2", Email: "claire@example.com", Name: "Claire", Role: RoleAdmin, Password: "correct horse"})
	require.ErrorIs(t, err, inbox.ErrConflict, "an email logs into one account, whichever instance is asked")

	tok, clear, err := b.CreateToken(ctx, "t1", "crm", RoleAgent)
	require.NoError(t, err)
	got, ok := a.LookupToken(clear)
	require.True(t, ok, "a token made on one instance works on the other")
	require.Equal(t, tok.ID, got.ID)
	require.NoError(t, a.RevokeToken(ctx, "t1", tok.ID))
	_, ok = b.LookupToken(clear)
	require.False(t, ok, "a token revoked on one instance is refused by the other at once")

	var wg sync.WaitGroup
	for i, d := range []*Directory{a, b, a, b} {
		wg.Go(func() {
			_, err := d.CreateAccount(ctx, NewAccount{Tenant: "t1", ID: "agent" + string(rune('a'+i)), Email: "agent" + string(rune('a'+i)) + "@example.com",
				Name: "Agent", Role: RoleAgent, Password: "long enough"})
			require.NoError(t, err)
		})
	}
	wg.Wait()
	require.Len(t, a.Accounts("t1"), 5, "accounts created at the same moment on both instances are all kept")
	require.Len(t, b.Accounts("t1"), 5)

	raw := ""
	require.NoError(t, dbs[0].QueryRow(`SELECT doc FROM server_directory`).Scan(&raw))
	require.NotContains(t, raw, "correct horse")
	require.NotContains(t, raw, clear, "only the token's hash is stored")
}

// TestSessionsSharedThroughTheDatabase: a session started on one instance
// is valid on the other, slides and expires the same way as in memory,
// and a logout on one ends it on both.
func TestSessionsSharedThroughTheDatabase(t *testing.T) {
	ctx := context.Background()
	dbs := sharedDB(t, 2)
	clk := &fakeClock{t: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)}
	a, err := OpenSessions(ctx, SessionOptions{DB: dbs[0], TTL: time.Hour, Now: clk.now})
	require.NoError(t, err)
	b, err := OpenSessions(ctx, SessionOptions{DB: dbs[1], TTL: time.Hour, Now: clk.now})
	require.NoError(t, err)

	sess := a.Create("t", "claire")
	got, ok := b.Get(sess.ID)
	require.True(t, ok, "a session from one instance works on the other")
	require.Equal(t, "claire", got.AccountID)
	require.Equal(t, sess.CSRF, got.CSRF)
	_, ok = b.Get("forged")
	require.False(t, ok)

	clk.t = clk.t.Add(50 * time.Minute)
	_, ok = a.Get(sess.ID)
	require.True(t, ok)
	clk.t = clk.t.Add(50 * time.Minute)
	peek, ok := b.Peek(sess.ID)
	require.True(t, ok, "use on one instance slides the expiry for the other")
	require.True(t, peek.ExpiresAt.Equal(clk.t.Add(10*time.Minute)), "peeking does not extend: %v", peek.ExpiresAt)
	clk.t = clk.t.Add(11 * time.Minute)
	_, ok = b.Get(sess.ID)
	require.False(t, ok, "expired")

	sess = a.Create("t", "claire")
	for range 8 * 24 {
		clk.t = clk.t.Add(59 * time.Minute)
		b.Get(sess.ID)
	}
	_, ok = a.Get(sess.ID)
	require.False(t, ok, "sessions end after MaxAge whatever the activity")

	sess = a.Create("t", "claire")
	b.Delete(sess.ID)
	_, ok = a.Get(sess.ID)
	require.False(t, ok, "a logout on one instance ends the session on the other")

	var stored int
	require.NoError(t, dbs[0].QueryRow(`SELECT count(*) FROM server_sessions WHERE id = $1`, sess.ID).Scan(&stored))
	require.Zero(t, stored, "the table does not hold cookie values")
}

// TestLoginFailuresCountedAcrossInstances: guesses spread over two
// instances count together, leave the window the same way, and a
// successful login on one clears the account's count on both.
func TestLoginFailuresCountedAcrossInstances(t *testing.T) {
	ctx := context.Background()
	dbs := sharedDB(t, 2)
	clk := &fakeClock{t: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)}
	a, err := OpenLoginLimiter(ctx, dbs[0], 3, 10*time.Minute, clk.now)
	require.NoError(t, err)
	b, err := OpenLoginLimiter(ctx, dbs[1], 3, 10*time.Minute, clk.now)
	require.NoError(t, err)

	for i, l := range []*LoginLimiter{a, b, a} {
		at, _ := l.Reserve("ip:10.0.0."+string(rune('1'+i)), "email:claire@example.com")
		require.NotNil(t, at, "guess %d", i+1)
		at.Failed()
	}
	at, wait := b.Reserve("ip:10.0.0.9", "email:claire@example.com")
	require.Nil(t, at, "three guesses on two instances block the account on both")
	require.Equal(t, 10*time.Minute, wait)
	ok, _ := a.Allow("ip:10.0.0.9", "email:ines@example.com")
	require.True(t, ok, "other accounts are not blocked")

	clk.t = clk.t.Add(10 * time.Minute)
	at, _ = b.Reserve("ip:10.0.0.9", "email:claire@example.com")
	require.NotNil(t, at, "failures leave the window")
	at.Failed()
	at, _ = a.Reserve("ip:10.0.0.8", "email:claire@example.com")
	require.NotNil(t, at)
	at.Succeeded("email:claire@example.com")
	for range 2 {
		at, _ = b.Reserve("ip:10.0.0.7", "email:claire@example.com")
		require.NotNil(t, at, "a success on one instance cleared the count on the other")
		at.Failed()
	}

	var stored int
	require.NoError(t, dbs[0].QueryRow(`SELECT count(*) FROM server_login_failures WHERE key LIKE '%@%' OR key LIKE 'ip:%'`).Scan(&stored))
	require.Zero(t, stored, "the table holds hashes, not addresses")
}

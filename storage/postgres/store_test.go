package postgres_test

import (
	"context"
	"database/sql"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/internal/pgtest"
	"github.com/inboxkit/inboxkit/storage/postgres"
	"github.com/inboxkit/inboxkit/storage/storetest"
)

func testDSN() string { return pgtest.DSN() }

func adminDB(t testing.TB) *sql.DB { return pgtest.Admin(t) }

func freshSchema(t testing.TB) string { return pgtest.FreshSchema(t) }

// openTemp opens a store in a fresh schema dropped at cleanup.
func openTemp(t testing.TB) *postgres.Store {
	t.Helper()
	schema := freshSchema(t)
	s, err := postgres.Open(context.Background(), testDSN(), postgres.Options{Schema: schema})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) inbox.Store { return openTemp(t) })
}

// TestConcurrentOpenMigratesOnce starts several instances on one new
// schema at once: the advisory lock makes them take turns.
func TestConcurrentOpenMigratesOnce(t *testing.T) {
	schema := freshSchema(t)
	var wg sync.WaitGroup
	errs := make([]error, 5)
	for i := range errs {
		wg.Go(func() {
			s, err := postgres.Open(context.Background(), testDSN(), postgres.Options{Schema: schema, MaxConns: 2})
			if err == nil {
				err = s.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	var applied int
	require.NoError(t, adminDB(t).QueryRow(`SELECT COUNT(*) FROM `+schema+`.schema_migrations`).Scan(&applied))
	s, err := postgres.Open(context.Background(), testDSN(), postgres.Options{Schema: schema})
	require.NoError(t, err)
	defer s.Close()
	_, known, err := s.SchemaVersion(context.Background())
	require.NoError(t, err)
	require.Equal(t, known, applied, "each migration recorded once")
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	schema := freshSchema(t)
	s, err := postgres.Open(context.Background(), testDSN(), postgres.Options{Schema: schema})
	require.NoError(t, err)
	require.NoError(t, s.Close())
	_, err = adminDB(t).Exec(`INSERT INTO ` + schema + `.schema_migrations (version, name, applied_at) VALUES (999, '0999_future', 0)`)
	require.NoError(t, err)
	_, err = postgres.Open(context.Background(), testDSN(), postgres.Options{Schema: schema})
	require.ErrorIs(t, err, inbox.ErrUnsupported)
	require.Contains(t, err.Error(), "version 999 is newer")
	require.Contains(t, err.Error(), schema)
}

func TestOpenErrorsNameTheServerNotThePassword(t *testing.T) {
	_, err := postgres.Open(context.Background(), "postgres://inboxkit:s3cret-pass@127.0.0.1:1/nodb?sslmode=disable&connect_timeout=2", postgres.Options{})
	require.Error(t, err)
	require.ErrorIs(t, err, inbox.ErrTemporary)
	require.Contains(t, err.Error(), "127.0.0.1:1/nodb")
	require.NotContains(t, err.Error(), "s3cret-pass")

	_, err = postgres.Open(context.Background(), "postgres://%zz", postgres.Options{})
	require.ErrorIs(t, err, inbox.ErrInvalid)
	_, err = postgres.Open(context.Background(), testDSN(), postgres.Options{Schema: "Robert'); DROP TABLE students;--"})
	require.ErrorIs(t, err, inbox.ErrInvalid)
}

package postgres_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/storage/postgres"
	"github.com/inboxkit/inboxkit/storage/storetest"
)

// testDSN is the server the tests use: INBOXKIT_TEST_POSTGRES or the local
// default.
func testDSN() string {
	if dsn := os.Getenv("INBOXKIT_TEST_POSTGRES"); dsn != "" {
		return dsn
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// adminDB connects to the test server, or skips the test when there is
// none.
func adminDB(t testing.TB) *sql.DB {
	t.Helper()
	cfg, err := pgx.ParseConfig(testDSN())
	require.NoError(t, err)
	db := stdlib.OpenDB(*cfg)
	if err := db.PingContext(context.Background()); err != nil {
		_ = db.Close()
		t.Skipf("PostgreSQL not reachable at INBOXKIT_TEST_POSTGRES (%s:%d): %v", cfg.Host, cfg.Port, err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// freshSchema returns a new schema name that is dropped when t ends.
func freshSchema(t testing.TB) string {
	t.Helper()
	db := adminDB(t)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "inboxkit_test_" + hex.EncodeToString(b)
	t.Cleanup(func() {
		_, err := db.ExecContext(context.Background(), `DROP SCHEMA IF EXISTS `+schema+` CASCADE`)
		require.NoError(t, err)
	})
	return schema
}

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

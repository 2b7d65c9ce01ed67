// Package pgtest gives tests a PostgreSQL server to talk to: the DSN from
// INBOXKIT_TEST_POSTGRES (default: the local trust-auth server, database
// test) and a fresh schema per test, dropped when the test ends. A server
// that cannot be reached skips the test, or fails it under the test script
// (see internal/testenv).
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/inboxkit/inboxkit/internal/testenv"
)

// DSN is the server the tests use.
func DSN() string {
	if dsn := os.Getenv("INBOXKIT_TEST_POSTGRES"); dsn != "" {
		return dsn
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// Admin connects to the test server, closed when t ends.
func Admin(t testing.TB) *sql.DB {
	t.Helper()
	cfg, err := pgx.ParseConfig(DSN())
	if err != nil {
		t.Fatalf("INBOXKIT_TEST_POSTGRES: %v", err)
	}
	db := stdlib.OpenDB(*cfg)
	if err := db.PingContext(context.Background()); err != nil {
		_ = db.Close()
		testenv.Missing(t, "PostgreSQL not reachable at INBOXKIT_TEST_POSTGRES (%s:%d): %v", cfg.Host, cfg.Port, err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// FreshSchema returns a new schema name that is dropped when t ends.
func FreshSchema(t testing.TB) string {
	t.Helper()
	db := Admin(t)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "inboxkit_test_" + hex.EncodeToString(b)
	t.Cleanup(func() {
		if _, err := db.ExecContext(context.Background(), `DROP SCHEMA IF EXISTS `+schema+` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return schema
}

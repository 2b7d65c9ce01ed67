package chaos_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/internal/chaos"
	"github.com/inboxkit/inboxkit/internal/dovecot"
	"github.com/inboxkit/inboxkit/internal/testenv"
)

// TestMain turns the test binary into a worker process when the fleet
// tests start it with chaos.WorkerEnv set.
func TestMain(m *testing.M) {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	ran, code := chaos.RunWorkerFromEnv(ctx)
	stop()
	if ran {
		os.Exit(code)
	}
	os.Exit(m.Run())
}

func testDSN() string {
	if dsn := os.Getenv("INBOXKIT_TEST_POSTGRES"); dsn != "" {
		return dsn
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// requireServices ends the test when PostgreSQL or Dovecot is missing.
func requireServices(t *testing.T, postgres bool) {
	t.Helper()
	if _, err := os.Stat(dovecot.Binary); err != nil {
		testenv.Missing(t, "dovecot not installed at %s (scripts/install-dovecot.sh installs it)", dovecot.Binary)
	}
	if !postgres {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, testDSN())
	if err != nil {
		testenv.Missing(t, "PostgreSQL not reachable at INBOXKIT_TEST_POSTGRES: %v", err)
	}
	_ = conn.Close(ctx)
}

// freshSchema returns a new schema name, dropped when the test ends, and
// a pool whose search_path is that schema.
func freshSchema(t *testing.T) (string, *sql.DB) {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "inboxkit_chaos_" + hex.EncodeToString(b)
	db, err := chaos.OpenSchema(testDSN(), schema)
	require.NoError(t, err)
	_, err = db.Exec(`CREATE SCHEMA ` + schema)
	require.NoError(t, err)
	t.Cleanup(func() {
		_, err := db.Exec(`DROP SCHEMA IF EXISTS ` + schema + ` CASCADE`)
		require.NoError(t, err)
		_ = db.Close()
	})
	return schema, db
}

func sealKey(t *testing.T) []byte {
	key := make([]byte, 32)
	_, err := rand.Read(key)
	require.NoError(t, err)
	return key
}

// mail builds a small customer message with a unique Message-ID.
func mail(id, from, to, subject string) []byte {
	return fmt.Appendf(nil, "From: %s\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: <%s>\r\nDate: Mon, 02 Mar 2026 10:00:00 +0100\r\n"+
		"Content-Type: text/plain; charset=utf-8\r\n\r\nBonjour, où en est ma commande ?\r\n", from, to, subject, id)
}

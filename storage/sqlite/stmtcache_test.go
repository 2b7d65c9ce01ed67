package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func openCaching(t *testing.T) *sql.DB {
	t.Helper()
	c, err := newCachingConnector(filepath.Join(t.TempDir(), "cache.db"), time.Second)
	require.NoError(t, err)
	db := sql.OpenDB(c)
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { require.NoError(t, db.Close()) })
	return db
}

func TestStatementCacheReusesAndNests(t *testing.T) {
	ctx := context.Background()
	db := openCaching(t)
	_, err := db.ExecContext(ctx, `CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL UNIQUE)`)
	require.NoError(t, err)
	for i := range 5 {
		_, err := db.ExecContext(ctx, `INSERT INTO t (id, v) VALUES (?, ?)`, i, fmt.Sprint("v", i))
		require.NoError(t, err)
	}
	// A failed execution leaves the cached statement usable.
	_, err = db.ExecContext(ctx, `INSERT INTO t (id, v) VALUES (?, ?)`, 9, "v1")
	require.ErrorContains(t, err, "UNIQUE")
	_, err = db.ExecContext(ctx, `INSERT INTO t (id, v) VALUES (?, ?)`, 5, "v5")
	require.NoError(t, err)

	// The same text while its rows are open gets a statement of its own.
	tx, err := db.BeginTx(ctx, nil)
	require.NoError(t, err)
	const q = `SELECT v FROM t WHERE id >= ? ORDER BY id`
	rows, err := tx.QueryContext(ctx, q, 0)
	require.NoError(t, err)
	var outer, inner []string
	for rows.Next() {
		var v string
		require.NoError(t, rows.Scan(&v))
		outer = append(outer, v)
		var first string
		require.NoError(t, tx.QueryRowContext(ctx, q, 5).Scan(&first))
		inner = append(inner, first)
	}
	require.NoError(t, rows.Err())
	require.NoError(t, rows.Close())
	require.NoError(t, tx.Commit())
	require.Equal(t, []string{"v0", "v1", "v2", "v3", "v4", "v5"}, outer)
	require.Equal(t, []string{"v5", "v5", "v5", "v5", "v5", "v5"}, inner)
}

func TestStatementCacheIsBounded(t *testing.T) {
	ctx := context.Background()
	db := openCaching(t)
	for i := range maxCachedStatements + 50 {
		var n int
		require.NoError(t, db.QueryRowContext(ctx, fmt.Sprintf(`SELECT %d`, i)).Scan(&n))
		require.Equal(t, i, n)
	}
	conn, err := db.Conn(ctx)
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.Raw(func(dc any) error {
		require.Len(t, dc.(*cachingConn).stmts, maxCachedStatements)
		return nil
	}))
}

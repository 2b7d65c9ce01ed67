package sqlite

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"time"

	msqlite "modernc.org/sqlite"
)

// maxCachedStatements bounds the prepared statements one connection keeps.
// The store issues a few dozen distinct statements; queries built with a
// variable number of placeholders (IN lists) add more, and once the bound
// is reached new texts are prepared and finalised per use as before.
const maxCachedStatements = 256

// cachingConnector opens modernc connections that keep their prepared
// statements. database/sql prepares a statement on every ExecContext or
// QueryContext of a driver that runs SQL text directly, and parsing the
// SQL was an eighth of the CPU of ingest: the trigger-laden INSERTs and
// UPDATEs of a batch are the same few texts thousands of times.
type cachingConnector struct {
	base driver.Connector
	// busyTimeout bounds retries of a connection refused as busy.
	busyTimeout time.Duration
}

func newCachingConnector(dsn string, busyTimeout time.Duration) (driver.Connector, error) {
	base, err := msqlite.NewConnector(dsn)
	if err != nil {
		return nil, err
	}
	return cachingConnector{base: base, busyTimeout: busyTimeout}, nil
}

// Connect opens a connection. Its pragmas can meet SQLITE_BUSY without
// SQLite calling the busy handler (switching a new file to WAL while
// another process or pool is creating it): that is retried, with short
// pauses, for up to the busy timeout.
func (c cachingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.base.Connect(ctx)
	deadline := time.Now().Add(c.busyTimeout)
	for pause := time.Millisecond; err != nil && isBusy(err) && time.Now().Before(deadline); pause = min(2*pause, 50*time.Millisecond) {
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(pause):
		}
		conn, err = c.base.Connect(ctx)
	}
	if err != nil {
		return nil, err
	}
	bc, ok := conn.(baseConn)
	if !ok {
		_ = conn.Close()
		return nil, fmt.Errorf("sqlite: driver connection %T lacks a context-aware interface", conn)
	}
	return &cachingConn{base: bc, stmts: make(map[string]*cachedStmt)}, nil
}

func (c cachingConnector) Driver() driver.Driver { return c.base.Driver() }

// baseConn is what cachingConn needs of the modernc connection.
type baseConn interface {
	driver.Conn
	driver.ConnPrepareContext
	driver.ConnBeginTx
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

// cachingConn hands out one prepared statement per SQL text. It does not
// implement driver.ExecerContext or driver.QueryerContext on purpose:
// database/sql then prepares through PrepareContext, which serves the
// cached statement, and closes it after the call (or when the rows are
// closed), which returns it to the cache. database/sql uses a connection
// from one goroutine at a time, so the cache needs no lock.
type cachingConn struct {
	base  baseConn
	stmts map[string]*cachedStmt
}

var (
	_ driver.Conn               = (*cachingConn)(nil)
	_ driver.ConnPrepareContext = (*cachingConn)(nil)
	_ driver.ConnBeginTx        = (*cachingConn)(nil)
	_ driver.Pinger             = (*cachingConn)(nil)
	_ driver.SessionResetter    = (*cachingConn)(nil)
	_ driver.Validator          = (*cachingConn)(nil)
)

// cachedStmt is a statement of the cache. While busy (a call or open rows
// use it) a second use of the same text, such as a query issued while
// iterating the rows of the same query, gets a statement of its own.
type cachedStmt struct {
	driver.Stmt
	busy bool
}

// lease is the statement handed to database/sql; closing it returns the
// cached statement.
type lease struct {
	*cachedStmt
}

func (l lease) Close() error {
	l.busy = false
	return nil
}

func (l lease) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	return l.Stmt.(driver.StmtExecContext).ExecContext(ctx, args)
}

func (l lease) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	return l.Stmt.(driver.StmtQueryContext).QueryContext(ctx, args)
}

func (c *cachingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	if s, ok := c.stmts[query]; ok && !s.busy {
		s.busy = true
		return lease{s}, nil
	}
	st, err := c.base.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if _, taken := c.stmts[query]; taken || len(c.stmts) >= maxCachedStatements {
		return st, nil
	}
	s := &cachedStmt{Stmt: st, busy: true}
	c.stmts[query] = s
	return lease{s}, nil
}

func (c *cachingConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

// Close finalises the cached statements, then closes the connection.
func (c *cachingConn) Close() error {
	var errs []error
	for q, s := range c.stmts {
		errs = append(errs, s.Stmt.Close())
		delete(c.stmts, q)
	}
	errs = append(errs, c.base.Close())
	return errors.Join(errs...)
}

// Begin is required by driver.Conn; database/sql calls BeginTx.
func (c *cachingConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *cachingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.base.BeginTx(ctx, opts)
}

func (c *cachingConn) Ping(ctx context.Context) error { return c.base.Ping(ctx) }

func (c *cachingConn) ResetSession(ctx context.Context) error {
	return c.base.ResetSession(ctx)
}

func (c *cachingConn) IsValid() bool { return c.base.IsValid() }

// isBusy reports whether err is SQLite's "database is locked" or "table is
// locked".
func isBusy(err error) bool {
	var se *msqlite.Error
	return errors.As(err, &se) && (se.Code()&codeConstraintMask == codeBusy || se.Code()&codeConstraintMask == codeLocked)
}

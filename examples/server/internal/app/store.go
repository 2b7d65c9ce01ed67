package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
	"github.com/inboxkit/inboxkit/storage/blob"
	"github.com/inboxkit/inboxkit/storage/blob/s3blob"
	"github.com/inboxkit/inboxkit/storage/memstore"
	"github.com/inboxkit/inboxkit/storage/postgres"
	"github.com/inboxkit/inboxkit/storage/sqlite"
)

// IsPostgres reports whether db (Config.DB) names a PostgreSQL database.
func IsPostgres(db string) bool {
	return strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://")
}

// schemaParam is what a search_path in a PostgreSQL URL may name: one
// schema, which the store creates and the broker names its channel after.
var schemaParam = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// pgSchema returns the single schema a PostgreSQL URL's search_path
// names, or "".
func pgSchema(dsn string) (string, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		// The URL may hold a password: the parser's message is not shown.
		return "", inbox.Invalid("db", "is not a valid PostgreSQL URL")
	}
	sp := strings.TrimSpace(cfg.RuntimeParams["search_path"])
	if sp == "" {
		return "", nil
	}
	if !schemaParam.MatchString(sp) {
		return "", inbox.Invalid("db", "search_path must name one lower-case schema")
	}
	return sp, nil
}

// openStore opens the store Config.DB names and returns the name shown
// in the features.
func (a *App) openStore(ctx context.Context) (string, error) {
	cfg := a.cfg
	switch {
	case cfg.DB == MemoryDB:
		a.Store = memstore.New()
		return "memory", nil
	case IsPostgres(cfg.DB):
		schema, err := pgSchema(cfg.DB)
		if err != nil {
			return "", err
		}
		st, err := postgres.Open(ctx, cfg.DB, postgres.Options{Logger: a.log, Schema: schema})
		if err != nil {
			return "", err
		}
		a.Store = st
		// Events of every instance on this database reach the live
		// pages of every other.
		a.broker, err = postgres.NewBroker(cfg.DB, postgres.BrokerOptions{Schema: schema, Logger: a.log})
		if err != nil {
			return "", err
		}
		a.closers = append(a.closers, func() error { a.broker.Close(); return nil })
		// Accounts, tokens and sessions live in tables of the same
		// database, so any instance serves any request.
		pc, err := pgx.ParseConfig(cfg.DB)
		if err != nil {
			return "", inbox.Invalid("db", "is not a valid PostgreSQL URL")
		}
		if schema != "" {
			pc.RuntimeParams["search_path"] = schema
		}
		a.authDB = stdlib.OpenDB(*pc)
		a.authDB.SetMaxOpenConns(4)
		a.closers = append(a.closers, a.authDB.Close)
		return "postgres", nil
	}
	if err := a.dataDir(); err != nil {
		return "", err
	}
	path := cfg.DB
	if path == "" {
		path = filepath.Join(cfg.DataDir, "inbox.db")
	}
	st, err := sqlite.Open(ctx, path, sqlite.Options{Logger: a.log})
	if err != nil {
		return "", fmt.Errorf("open %s: %w", path, err)
	}
	a.Store = st
	return "sqlite", nil
}

// dataDir creates the data directory.
func (a *App) dataDir() error {
	dir := a.cfg.DataDir
	if dir == "" {
		return inbox.Invalid("DataDir", "is required with an SQLite database or blobs in the data directory")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	// Every file the server writes there is 0600 and every directory
	// 0700; a directory the host created more open is only reported.
	if st, err := os.Stat(dir); err == nil && st.Mode().Perm()&0o077 != 0 {
		a.log.Warn("server: the data directory is open to other local users; chmod 700 it",
			"dir", dir, "mode", fmt.Sprintf("%04o", st.Mode().Perm()))
	}
	return nil
}

// openBlobs opens the blob store Config.Blobs names.
func (a *App) openBlobs(ctx context.Context) (inbox.BlobStore, error) {
	cfg := a.cfg
	spec := cfg.Blobs
	if spec == "" && cfg.DB == MemoryDB {
		return blob.NewMemory(), nil
	}
	if IsBucket(spec) {
		return openBucket(ctx, spec)
	}
	path := spec
	if path == "" {
		if err := a.dataDir(); err != nil {
			return nil, err
		}
		path = filepath.Join(cfg.DataDir, "blobs")
	}
	dir, err := blob.Dir(path)
	if err != nil {
		return nil, fmt.Errorf("blob directory: %w", err)
	}
	a.closers = append(a.closers, dir.Close)
	// Temporary files of a run that was killed mid-write were never
	// acknowledged: clear them in the background. An hour's margin
	// leaves alone the writes other instances sharing the directory
	// have in progress.
	go func() {
		if n, err := dir.RemoveLeftovers(context.WithoutCancel(ctx), time.Hour); err != nil {
			a.log.Warn("server: clear leftover blob files", "err", err)
		} else if n > 0 {
			a.log.Info("server: cleared leftover blob files", "removed", n)
		}
	}()
	return dir, nil
}

// IsBucket reports whether a Config.Blobs value names an S3-compatible
// bucket.
func IsBucket(spec string) bool { return strings.HasPrefix(spec, "s3://") }

// openBucket opens an S3-compatible bucket; the credentials come from
// AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.
func openBucket(ctx context.Context, spec string) (inbox.BlobStore, error) {
	opts, err := s3blob.ParseURL(spec)
	if err != nil {
		return nil, err
	}
	return s3blob.New(ctx, opts)
}

// setupLease is the lease instances sharing a store take in turn to set
// up tenants, accounts and demo data at start.
const setupLease = "server/setup"

// holdSetup waits for the setup lease when the store is shared by
// several instances (PostgreSQL) and returns its release.
func (a *App) holdSetup(ctx context.Context) (release func(), err error) {
	l, ok := a.Store.(driver.Leaser)
	if !ok || !IsPostgres(a.cfg.DB) {
		return func() {}, nil
	}
	holder := "setup-" + inbox.NewID()
	// Long enough for a demo seed; a process killed while holding it
	// delays the others' start by this much at most.
	const ttl = 2 * time.Minute
	for {
		got, err := l.AcquireLease(ctx, setupLease, holder, ttl)
		if err != nil {
			return nil, fmt.Errorf("wait for the other instances' setup: %w", err)
		}
		if got {
			break
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	return func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := l.ReleaseLease(rctx, setupLease, holder); err != nil {
			a.log.Warn("server: release the setup lease", "err", err)
		}
	}, nil
}

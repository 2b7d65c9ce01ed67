package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
	"github.com/inboxkit/inboxkit/storage/sqlstore"
)

// Options configure Open. The zero value is a good default.
type Options struct {
	// Logger receives structured logs. Nil: discarded.
	Logger *slog.Logger
	// Schema, when set, is created if missing and used as the search_path
	// of every connection, so several applications (or test runs) can
	// share a database. "" uses the DSN's search_path.
	Schema string
	// MaxConns bounds the connection pool. 0 means 10.
	MaxConns int
}

// Store is the PostgreSQL implementation of driver.Store, for any number of
// stateless instances sharing one database.
type Store struct {
	*sqlstore.Store
	parallel int
	analyzer *firstAnalyzer
	lexemes  *lexemeStats // what the planner's statistics say of the search index
}

var _ driver.Store = (*Store)(nil)

// Features adds parallel writers to the SQL stores' capabilities.
func (s *Store) Features() driver.Features {
	f := s.Store.Features()
	f.ParallelWrites = true
	return f
}

var schemaName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// Open connects to the database named by dsn (a postgres:// URL or a
// key=value string), applies pending migrations under an advisory lock and
// returns the store. A database written by a newer schema is refused.
// Errors name the host and database, never the password.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", inbox.Invalid("dsn", "cannot be parsed as a PostgreSQL connection string"))
	}
	name := fmt.Sprintf("%s:%d/%s", cfg.Host, cfg.Port, cfg.Database)
	if opts.Schema != "" {
		if !schemaName.MatchString(opts.Schema) {
			return nil, fmt.Errorf("postgres %s: %w", name, inbox.Invalid("Options.Schema", "must be a lower-case SQL identifier"))
		}
		name += " schema " + opts.Schema
		cfg.RuntimeParams["search_path"] = opts.Schema
	}
	if opts.MaxConns <= 0 {
		opts.MaxConns = 10
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(opts.MaxConns)
	db.SetMaxIdleConns(opts.MaxConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if opts.Schema != "" {
		// A concurrent Open creating the same schema makes IF NOT EXISTS
		// fail with a unique violation: the schema exists, which is the goal.
		if _, err := db.ExecContext(ctx, `CREATE SCHEMA IF NOT EXISTS `+opts.Schema); err != nil && !errors.Is(classify(err), inbox.ErrConflict) {
			_ = db.Close()
			return nil, fmt.Errorf("postgres %s: create schema: %w", name, classify(err))
		}
	}
	lexemes := newLexemeStats()
	s, err := sqlstore.New(ctx, sqlstore.Config{Dialect: dialect{log: logger, stats: lexemes}, Writer: db, Name: name, Logger: logger})
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	return &Store{Store: s, parallel: parallelWrites(opts.MaxConns), analyzer: newFirstAnalyzer(db, logger), lexemes: lexemes}, nil
}

// Update runs fn in a read-write transaction (driver.Store); once it has
// committed, tables that filled before autovacuum reached them get their
// first statistics (analyze.go).
func (s *Store) Update(ctx context.Context, tenant inbox.TenantID, fn func(tx driver.Tx) error) error {
	err := s.Store.Update(ctx, tenant, fn)
	if err == nil {
		s.analyzer.afterWrite(time.Now())
	}
	return err
}

// Close stops background work and closes the connection pool.
func (s *Store) Close() error {
	s.analyzer.stop()
	return s.Store.Close()
}

// ParallelWrites is how many write transactions of one tenant IngestOne
// runs at once (driver.ParallelWriter): PostgreSQL executes them on
// separate backends, so one batch's statements overlap another's round
// trips and commit. A quarter of the pool, at least two, leaves
// connections for everything else.
func (s *Store) ParallelWrites() int { return s.parallel }

func parallelWrites(maxConns int) int { return max(maxConns/4, 2) }

// classify maps an error met before the store exists.
func classify(err error) error {
	if sentinel, code, ok := (dialect{}).Classify(err); ok {
		return fmt.Errorf("%s: %w", code, sentinel)
	}
	return fmt.Errorf("%w: the database refused the request", inbox.ErrTemporary)
}

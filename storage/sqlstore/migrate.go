package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"

	"github.com/inboxkit/inboxkit/inbox"
)

// Migration is one versioned schema step.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// LoadMigrations reads "NNNN_name.sql" files from fsys in version order.
func LoadMigrations(fsys fs.FS) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var out []Migration
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %q: name must start with a positive version and '_'", name)
		}
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("read migration %q: %w", name, err)
		}
		out = append(out, Migration{Version: v, Name: strings.TrimSuffix(name, ".sql"), SQL: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i := 1; i < len(out); i++ {
		if out[i].Version == out[i-1].Version {
			return nil, fmt.Errorf("migrations %q and %q share version %d", out[i-1].Name, out[i].Name, out[i].Version)
		}
	}
	return out, nil
}

// SchemaVersion returns the highest applied migration (0 for a new
// database) and the highest this build knows.
func (s *Store) SchemaVersion(ctx context.Context) (applied, known int, err error) {
	migs, err := LoadMigrations(s.d.Migrations())
	if err != nil {
		return 0, 0, err
	}
	if len(migs) > 0 {
		known = migs[len(migs)-1].Version
	}
	err = s.writer.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&applied)
	if err != nil {
		return 0, known, s.wrap("read schema version", err)
	}
	return applied, known, nil
}

// migrate applies pending migrations, each in its own transaction, while
// holding the dialect's migration lock so instances starting together
// take turns. A database already past this build's schema is refused.
func (s *Store) migrate(ctx context.Context) error {
	migs, err := LoadMigrations(s.d.Migrations())
	if err != nil {
		return fmt.Errorf("%s %s: %w", s.d.Name(), s.name, err)
	}
	conn, err := s.writer.Conn(ctx)
	if err != nil {
		return fmt.Errorf("%s %s: connect: %w", s.d.Name(), s.name, s.wrap("connect", err))
	}
	defer conn.Close()
	unlock, err := s.d.LockMigrations(ctx, conn)
	if err != nil {
		return fmt.Errorf("%s %s: lock migrations: %w", s.d.Name(), s.name, s.wrap("lock migrations", err))
	}
	defer unlock()
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY,
		name TEXT NOT NULL,
		applied_at BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("%s %s: create schema_migrations: %w", s.d.Name(), s.name, s.wrap("create schema_migrations", err))
	}
	known := 0
	if len(migs) > 0 {
		known = migs[len(migs)-1].Version
	}
	for _, m := range migs {
		done, err := s.applyMigration(ctx, conn, m, known)
		if err != nil {
			return err
		}
		if done {
			s.log.Info("sqlstore: migration applied", "dialect", s.d.Name(), "version", m.Version, "name", m.Name)
		}
	}
	_, err = s.currentVersion(ctx, conn, known)
	return err
}

func (s *Store) currentVersion(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, known int) (int, error) {
	var v int
	if err := q.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("%s %s: read schema version: %w", s.d.Name(), s.name, s.wrap("read schema version", err))
	}
	if v > known {
		return v, fmt.Errorf("%s %s: database schema version %d is newer than this build of inboxkit knows (%d): upgrade inboxkit before opening it: %w",
			s.d.Name(), s.name, v, known, inbox.ErrUnsupported)
	}
	return v, nil
}

// applyMigration runs m unless the database already has it; the version
// is re-read inside the transaction so a concurrent opener that got there
// first is noticed.
func (s *Store) applyMigration(ctx context.Context, conn *sql.Conn, m Migration, known int) (bool, error) {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("%s %s: migration %s: %w", s.d.Name(), s.name, m.Name, s.wrap("begin migration", err))
	}
	defer func() { _ = tx.Rollback() }()
	cur, err := s.currentVersion(ctx, tx, known)
	if err != nil {
		return false, err
	}
	if cur >= m.Version {
		return false, nil
	}
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		s.log.Error("sqlstore: migration failed", "dialect", s.d.Name(), "name", m.Name, "err", err)
		return false, fmt.Errorf("%s %s: migration %s failed: %w", s.d.Name(), s.name, m.Name, s.wrap("migrate", err))
	}
	if _, err := tx.ExecContext(ctx, s.d.Rebind(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`),
		m.Version, m.Name, s.now().UnixNano()); err != nil {
		return false, fmt.Errorf("%s %s: record migration %s: %w", s.d.Name(), s.name, m.Name, s.wrap("record migration", err))
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("%s %s: commit migration %s: %w", s.d.Name(), s.name, m.Name, s.wrap("commit migration", err))
	}
	return true, nil
}

package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"strings"
	"time"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
)

// Config assembles a Store from opened databases. The sqlite and postgres
// packages build it; hosts call their Open functions instead.
type Config struct {
	// Dialect is required.
	Dialect Dialect
	// Writer runs read-write transactions. Required.
	Writer *sql.DB
	// Reader runs read-only transactions. Nil: Writer.
	Reader *sql.DB
	// Name identifies the database in error messages (a file path or a
	// host/database, never a password).
	Name string
	// Logger receives structured logs. Nil: discarded.
	Logger *slog.Logger
	// Now tells the time for CreatedAt/UpdatedAt defaults. Nil: time.Now.
	Now func() time.Time
	// CompressMessages compresses message documents (S2; for databases that do
	// not compress large values themselves).
	CompressMessages bool
	// SerialWriter says Writer runs one transaction at a time (SQLite):
	// the store then orders waiting write transactions itself, those of
	// intake and agents before background work's (driver.IsBackground).
	SerialWriter bool
}

// Store implements driver.Store over database/sql with a Dialect.
type Store struct {
	d      Dialect
	writer *sql.DB
	reader *sql.DB
	name   string
	log    *slog.Logger
	now    func() time.Time
	// compress compresses message documents (see packDoc).
	compress bool
	// gate orders write transactions on a serial writer; nil otherwise.
	gate *writeGate
}

var _ driver.Store = (*Store)(nil)

// Features: the SQL stores offer leases, the knowledge base on their
// full-text index, and statistics aggregated in the database.
func (s *Store) Features() driver.Features {
	return driver.Features{Leases: true, Knowledge: true, Stats: true}
}

// New migrates the database to the current schema and returns a Store.
// It fails with a clear error when the database was written by a newer
// schema than this build knows.
func New(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.Dialect == nil || cfg.Writer == nil {
		return nil, fmt.Errorf("sqlstore: %w", inbox.Invalid("Config", "Dialect and Writer are required"))
	}
	s := &Store{d: cfg.Dialect, writer: cfg.Writer, reader: cfg.Reader, name: cfg.Name, log: cfg.Logger, now: cfg.Now, compress: cfg.CompressMessages}
	if cfg.SerialWriter {
		s.gate = &writeGate{}
	}
	if s.reader == nil {
		s.reader = s.writer
	}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if s.now == nil {
		s.now = time.Now
	}
	if err := s.migrate(ctx); err != nil {
		return nil, err
	}
	if err := s.backfillContactSearch(ctx); err != nil {
		return nil, fmt.Errorf("%s %s: %w", s.d.Name(), s.name, err)
	}
	if err := s.backfillNoteSearch(ctx); err != nil {
		return nil, fmt.Errorf("%s %s: %w", s.d.Name(), s.name, err)
	}
	return s, nil
}

// Dialect returns the store's dialect.
func (s *Store) Dialect() Dialect { return s.d }

// Close closes both connection pools.
func (s *Store) Close() error {
	err := s.writer.Close()
	if s.reader != s.writer {
		err = errors.Join(err, s.reader.Close())
	}
	return err
}

// CreateTenant stores a new tenant; ErrConflict if the id exists.
func (s *Store) CreateTenant(ctx context.Context, t *inbox.Tenant) error {
	if t.ID == "" {
		return fmt.Errorf("create tenant: %w", inbox.Invalid("tenant.id", "is required"))
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	if t.CreatedAt.IsZero() {
		t.CreatedAt = now
	}
	if t.UpdatedAt.IsZero() {
		t.UpdatedAt = t.CreatedAt
	}
	doc, err := encode(t)
	if err != nil {
		return err
	}
	res, err := s.writer.ExecContext(ctx, s.d.Rebind(`INSERT INTO tenants (id, doc) VALUES (?, ?) ON CONFLICT DO NOTHING`), string(t.ID), doc)
	if err != nil {
		return s.wrap("create tenant", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("create tenant %q: %w: the id exists", t.ID, inbox.ErrConflict)
	}
	return nil
}

// UpdateTenant replaces a tenant's name and settings.
func (s *Store) UpdateTenant(ctx context.Context, t *inbox.Tenant) error {
	cur, err := s.GetTenant(ctx, t.ID)
	if err != nil {
		return err
	}
	cur.Name, cur.Settings = t.Name, t.Settings
	if !t.UpdatedAt.IsZero() {
		cur.UpdatedAt = t.UpdatedAt
	} else {
		cur.UpdatedAt = s.now().UTC().Truncate(time.Microsecond)
	}
	doc, err := encode(cur)
	if err != nil {
		return err
	}
	if _, err := s.writer.ExecContext(ctx, s.d.Rebind(`UPDATE tenants SET doc = ? WHERE id = ?`), doc, string(t.ID)); err != nil {
		return s.wrap("update tenant", err)
	}
	*t = cur
	return nil
}

// GetTenant returns ErrNotFound for an unknown id.
func (s *Store) GetTenant(ctx context.Context, id inbox.TenantID) (inbox.Tenant, error) {
	var doc []byte
	err := s.reader.QueryRowContext(ctx, s.d.Rebind(`SELECT doc FROM tenants WHERE id = ?`), string(id)).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return inbox.Tenant{}, fmt.Errorf("tenant %q: %w", id, inbox.ErrNotFound)
	}
	if err != nil {
		return inbox.Tenant{}, s.wrap("get tenant", err)
	}
	var t inbox.Tenant
	return t, decode(doc, &t)
}

// tenantDocs reads tenant rows, which have no created_at column.
func tenantDocs(rows *sql.Rows) ([]inbox.Tenant, error) {
	defer rows.Close()
	var out []inbox.Tenant
	for rows.Next() {
		var doc []byte
		var v inbox.Tenant
		if err := rows.Scan(&doc); err != nil {
			return nil, err
		}
		if err := decode(doc, &v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// ListTenants returns every tenant ordered by id.
func (s *Store) ListTenants(ctx context.Context) ([]inbox.Tenant, error) {
	rows, err := s.reader.QueryContext(ctx, `SELECT doc FROM tenants ORDER BY id`)
	if err != nil {
		return nil, s.wrap("list tenants", err)
	}
	out, err := tenantDocs(rows)
	if err != nil {
		return nil, s.wrap("list tenants", err)
	}
	return out, nil
}

// Update runs fn in a read-write transaction scoped to tenant.
func (s *Store) Update(ctx context.Context, tenant inbox.TenantID, fn func(tx driver.Tx) error) error {
	return s.run(ctx, s.writer, false, tenant, fn)
}

// View runs fn in a read-only transaction scoped to tenant.
func (s *Store) View(ctx context.Context, tenant inbox.TenantID, fn func(tx driver.Tx) error) error {
	return s.run(ctx, s.reader, true, tenant, fn)
}

func (s *Store) run(ctx context.Context, db *sql.DB, readOnly bool, tenant inbox.TenantID, fn func(tx driver.Tx) error) (err error) {
	if tenant == "" {
		return inbox.Invalid("tenant", "is required")
	}
	if !readOnly && s.gate != nil {
		if err := s.gate.acquire(ctx, driver.IsBackground(ctx)); err != nil {
			return s.wrap("begin transaction", err)
		}
		defer s.gate.release()
	}
	sqlTx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: readOnly})
	if err != nil {
		return s.wrap("begin transaction", err)
	}
	t := &tx{s: s, ctx: ctx, tx: sqlTx, tenant: tenant, readOnly: readOnly}
	defer func() {
		if p := recover(); p != nil {
			t.done = true
			_ = sqlTx.Rollback()
			panic(p)
		}
		if err == nil {
			err = t.flushVolume()
		}
		if err == nil {
			err = t.flushThreadKeys()
		}
		if err == nil {
			err = t.flushIndex()
		}
		t.done = true
		if err != nil {
			_ = sqlTx.Rollback()
			return
		}
		if cerr := sqlTx.Commit(); cerr != nil {
			err = s.wrap("commit", cerr)
		}
	}()
	var exists int
	if err := sqlTx.QueryRowContext(ctx, s.d.Rebind(`SELECT 1 FROM tenants WHERE id = ?`), string(tenant)).Scan(&exists); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("tenant %q: %w", tenant, inbox.ErrNotFound)
		}
		return s.wrap("load tenant", err)
	}
	return fn(t)
}

// encode marshals a record without HTML escaping, so message bodies stay
// the size they are.
func encode(v any) ([]byte, error) {
	if err := inbox.CheckText(recordName(v), v); err != nil {
		return nil, err
	}
	var b jsonBuffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode %T: %w", v, err)
	}
	return b.bytes(), nil
}

// recordName names a record type in errors ("*inbox.FollowUp" →
// "follow_up").
func recordName(v any) string {
	t := reflect.TypeOf(v)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return "record"
	}
	var b strings.Builder
	for i, r := range t.Name() {
		if r >= 'A' && r <= 'Z' {
			if i > 0 {
				b.WriteByte('_')
			}
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// decode unmarshals a record and puts its times in UTC.
func decode(doc []byte, v any) error {
	if err := json.Unmarshal(doc, v); err != nil {
		return fmt.Errorf("decode stored %T: %w", v, err)
	}
	utcTimes(reflect.ValueOf(v))
	return nil
}

type jsonBuffer struct{ b []byte }

func (j *jsonBuffer) Write(p []byte) (int, error) { j.b = append(j.b, p...); return len(p), nil }

// bytes drops the encoder's trailing newline.
func (j *jsonBuffer) bytes() []byte {
	if n := len(j.b); n > 0 && j.b[n-1] == '\n' {
		return j.b[:n-1]
	}
	return j.b
}

// scanDocs reads (doc, created_at) rows. The created_at column is
// authoritative: updates never write it, so CreatedAt never changes.
func scanDocs[T any](rows *sql.Rows) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		var doc []byte
		var created int64
		if err := rows.Scan(&doc, &created); err != nil {
			return nil, err
		}
		var v T
		if err := decode(doc, &v); err != nil {
			return nil, err
		}
		setCreated(&v, created)
		out = append(out, v)
	}
	return out, rows.Err()
}

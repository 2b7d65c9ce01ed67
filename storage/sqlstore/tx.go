package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
)

// tx implements driver.Tx on one database transaction bound to a tenant.
type tx struct {
	s        *Store
	ctx      context.Context
	tx       *sql.Tx
	tenant   inbox.TenantID
	readOnly bool
	done     bool
	// searchPrepared: the dialect's search statements ran (SearchPreparer).
	searchPrepared bool
	// pending full-text documents, written just before commit or before
	// the first statement that reads or rewrites the index. SQLite's FTS5
	// flushes its in-memory terms at every statement savepoint once it is
	// part of a transaction; indexing last turns a flush per write into one
	// per transaction.
	pending []SearchDoc
	// volume counts the messages inserted by this transaction for the
	// message_volume roll-up (volume.go).
	volume map[volumeDelta]int64
	// threadKeys are the thread keys of inserted messages, written at
	// commit or before they are read (flushThreadKeys).
	threadKeys []pendingThreadKey
	// existing holds conversations this transaction created or found,
	// so inserting a batch's messages does not ask again for each one.
	// Only DeleteConversation, in this transaction, can remove them.
	existing map[string]bool
	// convRows holds the conversation rows this transaction wrote, as it
	// wrote them (rememberConversation); statements that change
	// conversations behind UpdateConversation drop them.
	convRows map[string]convRow
}

// sawConversation records that the conversation exists.
func (t *tx) sawConversation(id string) {
	if t.existing == nil {
		t.existing = map[string]bool{}
	}
	t.existing[id] = true
}

// index queues a document for the full-text index.
func (t *tx) index(d SearchDoc) { t.pending = append(t.pending, d) }

// flushIndex writes the queued full-text documents in row order. FTS5
// writes its pending terms out as a new segment whenever a row number is
// lower than the previous one, and conversation subjects (negative row
// numbers) interleave with messages: unsorted, a batch that opens twenty
// conversations wrote twenty small segments and merged them again.
func (t *tx) flushIndex() error {
	slices.SortStableFunc(t.pending, func(a, b SearchDoc) int { return cmp.Compare(a.Seq, b.Seq) })
	if b, ok := t.s.d.(BatchIndexer); ok && len(t.pending) > 0 {
		if err := b.IndexBatch(t.ctx, t.tx, t.pending); err != nil {
			return t.s.wrap("index messages", err)
		}
		t.pending = nil
		return nil
	}
	for len(t.pending) > 0 {
		d := t.pending[0]
		if err := t.s.d.Index(t.ctx, t.tx, d); err != nil {
			return t.s.wrap("index message", err)
		}
		t.pending = t.pending[1:]
	}
	t.pending = nil
	return nil
}

var _ driver.Tx = (*tx)(nil)

// Tenant is the tenant this transaction is bound to.
func (t *tx) Tenant() inbox.TenantID { return t.tenant }

func (t *tx) usable(write bool) error {
	if t.done {
		return fmt.Errorf("%s: %w: transaction used after it ended", t.s.d.Name(), inbox.ErrInvalid)
	}
	if write && t.readOnly {
		return fmt.Errorf("%s: %w: write in a read-only transaction (use Store.Update)", t.s.d.Name(), inbox.ErrUnsupported)
	}
	return t.ctx.Err()
}

// checkArgs refuses NUL bytes in text values before they reach the
// database: PostgreSQL rejects them and would abort the transaction.
func checkArgs(op string, args []any) error {
	for _, a := range args {
		if s, ok := a.(string); ok && strings.IndexByte(s, 0) >= 0 {
			return fmt.Errorf("%s: %w", op, inbox.Invalid("text", "contains a NUL byte"))
		}
	}
	return nil
}

func (t *tx) exec(op, query string, args ...any) (sql.Result, error) {
	if err := t.usable(true); err != nil {
		return nil, err
	}
	if err := checkArgs(op, args); err != nil {
		return nil, err
	}
	res, err := t.tx.ExecContext(t.ctx, t.s.d.Rebind(query), args...)
	if err != nil {
		return nil, t.s.wrap(op, err)
	}
	return res, nil
}

func (t *tx) query(op, query string, args ...any) (*sql.Rows, error) {
	if err := t.usable(false); err != nil {
		return nil, err
	}
	if err := checkArgs(op, args); err != nil {
		return nil, err
	}
	rows, err := t.tx.QueryContext(t.ctx, t.s.d.Rebind(query), args...)
	if err != nil {
		return nil, t.s.wrap(op, err)
	}
	return rows, nil
}

func (t *tx) queryRow(op string, dest []any, query string, args ...any) error {
	if err := t.usable(false); err != nil {
		return err
	}
	if err := checkArgs(op, args); err != nil {
		return err
	}
	err := t.tx.QueryRowContext(t.ctx, t.s.d.Rebind(query), args...).Scan(dest...)
	if errors.Is(err, sql.ErrNoRows) {
		return sql.ErrNoRows
	}
	return t.s.wrap(op, err)
}

// getDoc loads one record by id (see scanDocs for the columns).
func (t *tx) getDoc(kind, table, id string, v any) error {
	var doc []byte
	var created int64
	err := t.queryRow("get "+kind, []any{&doc, &created}, `SELECT doc, created_at FROM `+table+` WHERE tenant_id = ? AND id = ?`, string(t.tenant), id)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s %q: %w", kind, id, inbox.ErrNotFound)
	}
	if err != nil {
		return err
	}
	if err := decode(doc, v); err != nil {
		return err
	}
	setCreated(v, created)
	return nil
}

// own fills a record's TenantID with the transaction's tenant, and refuses
// a record of another tenant: ErrInvalid when creating, ErrNotFound when
// updating (that record does not exist for this tenant).
func (t *tx) own(kind string, tenant *inbox.TenantID, creating bool) error {
	switch {
	case *tenant == "":
		*tenant = t.tenant
	case *tenant != t.tenant && creating:
		return fmt.Errorf("create %s: %w", kind, inbox.Invalid(kind+".tenant_id", "belongs to another tenant than the transaction"))
	case *tenant != t.tenant:
		return fmt.Errorf("update %s: %w: it belongs to another tenant", kind, inbox.ErrNotFound)
	}
	return nil
}

// requireConversation fails with ErrNotFound unless the conversation
// exists in the tenant.
func (t *tx) requireConversation(op, id string) error {
	if t.existing[id] {
		return nil
	}
	var one int
	err := t.queryRow(op, []any{&one}, `SELECT 1 FROM conversations WHERE tenant_id = ? AND id = ?`, string(t.tenant), id)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: conversation %q: %w", op, id, inbox.ErrNotFound)
	}
	if err == nil {
		t.sawConversation(id)
	}
	return err
}

// insert adds a row; a duplicate id or unique key is ErrConflict. ON
// CONFLICT DO NOTHING keeps the transaction usable after a conflict.
func (t *tx) insert(kind, table string, cols []string, args ...any) error {
	q := `INSERT INTO ` + table + ` (tenant_id, ` + strings.Join(cols, ", ") + `) VALUES (?` +
		strings.Repeat(", ?", len(cols)) + `) ON CONFLICT DO NOTHING`
	res, err := t.exec("create "+kind, q, append([]any{string(t.tenant)}, args...)...)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return fmt.Errorf("create %s: %w: id or unique key already taken", kind, inbox.ErrConflict)
	}
	return nil
}

// updateVersioned rewrites a row if its version is still version, and
// bumps the version. ErrNotFound if the row is absent, ErrConflict if
// stale.
func (t *tx) updateVersioned(kind, table, id string, version int64, cols []string, args ...any) error {
	sets := make([]string, len(cols))
	for i, c := range cols {
		sets[i] = c + " = ?"
	}
	q := `UPDATE ` + table + ` SET ` + strings.Join(sets, ", ") + `, version = version + 1 WHERE tenant_id = ? AND id = ? AND version = ?`
	res, err := t.exec("update "+kind, q, append(args, string(t.tenant), id, version)...)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err == nil && n == 1 {
		return nil
	}
	var one int
	err = t.queryRow("update "+kind, []any{&one}, `SELECT 1 FROM `+table+` WHERE tenant_id = ? AND id = ?`, string(t.tenant), id)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("update %s %q: %w", kind, id, inbox.ErrNotFound)
	}
	if err != nil {
		return err
	}
	return fmt.Errorf("update %s %q: %w: version %d is stale", kind, id, inbox.ErrConflict, version)
}

// updatePlain rewrites columns of an existing row without a version check.
func (t *tx) updatePlain(kind, table, id string, cols []string, args ...any) error {
	sets := make([]string, len(cols))
	for i, c := range cols {
		sets[i] = c + " = ?"
	}
	res, err := t.exec("update "+kind, `UPDATE `+table+` SET `+strings.Join(sets, ", ")+` WHERE tenant_id = ? AND id = ?`,
		append(args, string(t.tenant), id)...)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return fmt.Errorf("update %s %q: %w", kind, id, inbox.ErrNotFound)
	}
	return nil
}

// stamp fills the defaults every Create applies.
func (t *tx) stamp(id *string, created, updated *time.Time, version *int64) {
	if *id == "" {
		*id = inbox.NewID()
	}
	if created != nil && created.IsZero() {
		// Microseconds: what every database keeps, so the caller's value
		// and the stored one stay equal wherever the record goes.
		*created = t.s.now().UTC().Truncate(time.Microsecond)
	}
	if updated != nil && updated.IsZero() {
		*updated = *created
	}
	if version != nil {
		*version = 1
	}
}

// nanos is a time as stored in sort and filter columns: Unix nanoseconds,
// 0 for the zero time, clamped to the int64 range.
func nanos(v time.Time) int64 {
	if v.IsZero() {
		return 0
	}
	switch {
	case v.Year() < 1678:
		return math.MinInt64 + 1
	case v.Year() > 2261:
		return math.MaxInt64
	}
	return v.UnixNano()
}

// placeholders returns "?, ?, ..." for n values.
func placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	return "?" + strings.Repeat(", ?", n-1)
}

func anys[T ~string](vs []T) []any {
	out := make([]any, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

// queryDocs runs a query selecting doc, created_at and decodes every row.
func queryDocs[T any](t *tx, op, query string, args ...any) ([]T, error) {
	rows, err := t.query(op, query, args...)
	if err != nil {
		return nil, err
	}
	out, err := scanDocs[T](rows)
	if err != nil {
		return nil, t.s.wrap(op, err)
	}
	return out, nil
}

// requireID rejects an empty id argument.
func requireID(kind, id string) error {
	if id == "" {
		return fmt.Errorf("%s: %w", kind, inbox.Invalid(kind+".id", "is required"))
	}
	return nil
}

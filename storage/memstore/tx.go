package memstore

import (
	"errors"
	"fmt"
	"time"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
)

// tx is a transaction bound to one tenant. A read-write tx records every
// change in its undo log.
type tx struct {
	state    *tenantState
	writable bool
	done     bool
	undo     undoLog
}

var _ driver.Tx = (*tx)(nil)

var errTxDone = errors.New("memstore: transaction used after its function returned")

// Tenant is the tenant this transaction is bound to.
func (t *tx) Tenant() inbox.TenantID { return t.state.tenant.ID }

// read checks that the transaction may still be used.
func (t *tx) read() error {
	if t.done {
		return errTxDone
	}
	return nil
}

// write checks that the transaction may write, naming the operation.
func (t *tx) write(op string) error {
	if t.done {
		return errTxDone
	}
	if !t.writable {
		return fmt.Errorf("memstore: %s in a read-only transaction: %w", op, inbox.ErrUnsupported)
	}
	return nil
}

// own fills an empty tenant id and refuses another tenant's.
func (t *tx) own(op string, tenant *inbox.TenantID) error {
	if *tenant == "" {
		*tenant = t.state.tenant.ID
		return nil
	}
	if *tenant != t.state.tenant.ID {
		return fmt.Errorf("memstore: %s: %w", op, inbox.Invalid("tenant_id", "names another tenant than the transaction's"))
	}
	return nil
}

// ownExisting is own for updates: a record of another tenant is not found.
func (t *tx) ownExisting(op, id string, tenant *inbox.TenantID) error {
	if *tenant != "" && *tenant != t.state.tenant.ID {
		return notFound(op, id)
	}
	*tenant = t.state.tenant.ID
	return nil
}

// begin is the common prologue of create methods: write check, tenant,
// id and time stamps.
func (t *tx) begin(op string, tenant *inbox.TenantID, id *string, stamps ...*time.Time) error {
	if err := t.write(op); err != nil {
		return err
	}
	if err := t.own(op, tenant); err != nil {
		return err
	}
	if *id == "" {
		*id = inbox.NewID()
	}
	now := storeNow()
	for _, s := range stamps {
		setIfZero(s, now)
	}
	return nil
}

func notFound(what, id string) error {
	return fmt.Errorf("memstore: %s %q: %w", what, id, inbox.ErrNotFound)
}

func conflict(what, id string) error {
	return fmt.Errorf("memstore: %s %q: %w", what, id, inbox.ErrConflict)
}

func staleVersion(what, id string, got, want int64) error {
	return fmt.Errorf("memstore: %s %q: version %d is stale (current %d): %w", what, id, got, want, inbox.ErrConflict)
}

// storeNow is the current time as stored: UTC, whole microseconds.
func storeNow() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// setIfZero sets *p to now when it is zero.
func setIfZero(p *time.Time, now time.Time) {
	if p.IsZero() {
		*p = now
	}
}

// limitOr returns limit, or def when it is zero or less.
func limitOr(limit, def int) int {
	if limit <= 0 {
		return def
	}
	return limit
}

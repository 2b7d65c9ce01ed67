package memstore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
)

// Store is an in-memory driver.Store. The zero value is not usable: call
// New. It is safe for concurrent use: one read-write transaction runs at a
// time while read-only transactions share the store.
type Store struct {
	mu      sync.RWMutex
	tenants map[inbox.TenantID]*tenantState
	closed  bool
	leases  leaseTable // driver.Leaser, lease.go
}

var _ driver.Store = (*Store)(nil)

// Features: memstore offers leases (instances sharing it in one process)
// and the knowledge base; statistics scan.
func (s *Store) Features() driver.Features {
	return driver.Features{Leases: true, Knowledge: true}
}

// errClosed is returned by every method after Close.
var errClosed = errors.New("memstore: store is closed")

// New returns an empty store.
func New() *Store {
	return &Store{tenants: map[inbox.TenantID]*tenantState{}}
}

// CreateTenant stores a new tenant. ErrConflict if the id exists,
// ErrInvalid if it is empty.
func (s *Store) CreateTenant(ctx context.Context, t *inbox.Tenant) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if t.ID == "" {
		return fmt.Errorf("memstore: create tenant: %w", inbox.Invalid("tenant.id", "is required"))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errClosed
	}
	if _, ok := s.tenants[t.ID]; ok {
		return fmt.Errorf("memstore: create tenant %q: %w", t.ID, inbox.ErrConflict)
	}
	now := storeNow()
	setIfZero(&t.CreatedAt, now)
	setIfZero(&t.UpdatedAt, now)
	s.tenants[t.ID] = newTenantState(cloneTenant(*t))
	return nil
}

// UpdateTenant replaces a tenant's name, settings and UpdatedAt (now when
// zero). ErrNotFound for an unknown id.
func (s *Store) UpdateTenant(ctx context.Context, t *inbox.Tenant) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errClosed
	}
	ts, ok := s.tenants[t.ID]
	if !ok {
		return fmt.Errorf("memstore: update tenant %q: %w", t.ID, inbox.ErrNotFound)
	}
	setIfZero(&t.UpdatedAt, storeNow())
	next := cloneTenant(*t)
	next.CreatedAt = ts.tenant.CreatedAt
	ts.tenant = next
	return nil
}

// GetTenant returns ErrNotFound for an unknown id.
func (s *Store) GetTenant(ctx context.Context, id inbox.TenantID) (inbox.Tenant, error) {
	if err := ctx.Err(); err != nil {
		return inbox.Tenant{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return inbox.Tenant{}, errClosed
	}
	ts, ok := s.tenants[id]
	if !ok {
		return inbox.Tenant{}, fmt.Errorf("memstore: tenant %q: %w", id, inbox.ErrNotFound)
	}
	return cloneTenant(ts.tenant), nil
}

// ListTenants returns every tenant ordered by id.
func (s *Store) ListTenants(ctx context.Context) ([]inbox.Tenant, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, errClosed
	}
	out := make([]inbox.Tenant, 0, len(s.tenants))
	for _, ts := range s.tenants {
		out = append(out, cloneTenant(ts.tenant))
	}
	slices.SortFunc(out, func(a, b inbox.Tenant) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// Update runs fn in a read-write transaction: it holds the store's write
// lock, and if fn returns an error or panics every change it made is
// undone. Update must not be called from inside another transaction.
func (s *Store) Update(ctx context.Context, tenant inbox.TenantID, fn func(tx driver.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ts, err := s.tenantLocked(tenant)
	if err != nil {
		return err
	}
	t := &tx{state: ts, writable: true}
	committed := false
	defer func() {
		t.done = true
		if !committed {
			t.undo.rollback()
		}
	}()
	if err := fn(t); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	committed = true
	return nil
}

// View runs fn in a read-only transaction; its write methods fail with
// ErrUnsupported.
func (s *Store) View(ctx context.Context, tenant inbox.TenantID, fn func(tx driver.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	ts, err := s.tenantLocked(tenant)
	if err != nil {
		return err
	}
	t := &tx{state: ts}
	defer func() { t.done = true }()
	return fn(t)
}

func (s *Store) tenantLocked(id inbox.TenantID) (*tenantState, error) {
	if s.closed {
		return nil, errClosed
	}
	ts, ok := s.tenants[id]
	if !ok {
		return nil, fmt.Errorf("memstore: tenant %q: %w", id, inbox.ErrNotFound)
	}
	return ts, nil
}

// Close drops the data; later calls fail.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	s.tenants = nil
	return nil
}

package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
)

// entity describes one record type for the checks every Create / Get /
// Update trio must pass.
type entity[T any] struct {
	// full returns a record with every field set (ID and TenantID empty);
	// minimal one with only what the type needs. Both may create parents.
	full, minimal func(h *harness) T
	create        func(tx driver.Tx, v *T) error
	get           func(tx driver.Tx, id string) (T, error)
	// update is nil for append-only records.
	update func(tx driver.Tx, v *T) error
	// change alters the fields update writes.
	change func(v *T)
	// fixed copies from stored into v the fields update must not write
	// (beyond ID, TenantID and CreatedAt).
	fixed func(v *T, stored T)

	id        func(v *T) *string
	tenant    func(v *T) *inbox.TenantID
	createdAt func(v *T) *time.Time
	// version is nil for unversioned records.
	version func(v *T) *int64
}

// checkEntity runs the record checks common to every type.
func checkEntity[T any](t *testing.T, newStore NewStoreFunc, e entity[T]) {
	t.Run("CreateAssignsIDVersionTenant", func(t *testing.T) {
		h := setup(t, newStore)
		v := e.full(h)
		h.update(func(tx driver.Tx) { require.NoError(t, e.create(tx, &v)) })
		require.NotEmpty(t, *e.id(&v), "create must assign an id")
		require.Equal(t, h.tenant, *e.tenant(&v), "create must fill the tenant")
		if e.version != nil {
			require.EqualValues(t, 1, *e.version(&v), "create must set version 1")
		}
		h.view(func(tx driver.Tx) {
			got, err := e.get(tx, *e.id(&v))
			require.NoError(t, err)
			requireSame(t, v, got, "every field must round-trip")
		})
	})
	t.Run("CreateMinimalRoundTrips", func(t *testing.T) {
		h := setup(t, newStore)
		v := e.minimal(h)
		h.update(func(tx driver.Tx) { require.NoError(t, e.create(tx, &v)) })
		h.view(func(tx driver.Tx) {
			got, err := e.get(tx, *e.id(&v))
			require.NoError(t, err)
			require.False(t, e.createdAt(&got).IsZero(), "create must set a zero creation time")
			*e.createdAt(&v) = *e.createdAt(&got)
			if upd := updatedAtOf(&v); upd != nil {
				*upd = *updatedAtOf(&got)
			}
			requireSame(t, v, got, "zero values must round-trip as zero")
		})
	})
	t.Run("CreateKeepsGivenID", func(t *testing.T) {
		h := setup(t, newStore)
		v := e.full(h)
		*e.id(&v) = "given-" + inbox.NewID()
		h.update(func(tx driver.Tx) { require.NoError(t, e.create(tx, &v)) })
		h.view(func(tx driver.Tx) {
			got, err := e.get(tx, *e.id(&v))
			require.NoError(t, err)
			requireSame(t, v, got)
		})
	})
	t.Run("CreateExistingIDConflicts", func(t *testing.T) {
		h := setup(t, newStore)
		first := e.full(h)
		h.update(func(tx driver.Tx) { require.NoError(t, e.create(tx, &first)) })
		again, other := e.minimal(h), e.minimal(h)
		*e.id(&again) = *e.id(&first)
		h.update(func(tx driver.Tx) {
			require.ErrorIs(t, e.create(tx, &again), inbox.ErrConflict)
			// The failed statement leaves the transaction usable.
			require.NoError(t, e.create(tx, &other))
		})
		h.view(func(tx driver.Tx) {
			got, err := e.get(tx, *e.id(&first))
			require.NoError(t, err)
			requireSame(t, first, got, "a conflicting create must not change the record")
		})
	})
	t.Run("CreateForeignTenantInvalid", func(t *testing.T) {
		h := setup(t, newStore)
		h.addTenant("tenant-other")
		v := e.full(h)
		*e.id(&v) = "foreign-" + inbox.NewID()
		*e.tenant(&v) = "tenant-other"
		h.update(func(tx driver.Tx) { require.ErrorIs(t, e.create(tx, &v), inbox.ErrInvalid) })
		h.view(func(tx driver.Tx) {
			_, err := e.get(tx, *e.id(&v))
			require.ErrorIs(t, err, inbox.ErrNotFound)
		})
		h.viewIn("tenant-other", func(tx driver.Tx) {
			_, err := e.get(tx, *e.id(&v))
			require.ErrorIs(t, err, inbox.ErrNotFound)
		})
	})
	t.Run("GetUnknownNotFound", func(t *testing.T) {
		h := setup(t, newStore)
		h.view(func(tx driver.Tx) {
			_, err := e.get(tx, "no-such-id")
			require.ErrorIs(t, err, inbox.ErrNotFound)
		})
	})
	if e.update == nil {
		return
	}
	t.Run("Update", func(t *testing.T) {
		h := setup(t, newStore)
		v := e.full(h)
		h.update(func(tx driver.Tx) { require.NoError(t, e.create(tx, &v)) })
		stored := v
		e.change(&v)
		*e.createdAt(&v) = at(-999 * time.Hour) // must be ignored
		h.update(func(tx driver.Tx) { require.NoError(t, e.update(tx, &v)) })
		if e.version != nil {
			require.EqualValues(t, 2, *e.version(&v), "update must increment the caller's version")
		}
		*e.createdAt(&v) = *e.createdAt(&stored)
		if e.fixed != nil {
			e.fixed(&v, stored)
		}
		h.view(func(tx driver.Tx) {
			got, err := e.get(tx, *e.id(&v))
			require.NoError(t, err)
			requireSame(t, v, got)
		})
		if e.version == nil {
			return
		}
		// A second update from the new version works too.
		h.update(func(tx driver.Tx) { require.NoError(t, e.update(tx, &v)) })
		require.EqualValues(t, 3, *e.version(&v))
	})
	t.Run("UpdateUnknownNotFound", func(t *testing.T) {
		h := setup(t, newStore)
		v := e.full(h)
		*e.id(&v) = "no-such-id"
		if e.version != nil {
			*e.version(&v) = 1
		}
		h.update(func(tx driver.Tx) { require.ErrorIs(t, e.update(tx, &v), inbox.ErrNotFound) })
	})
	if e.version == nil {
		return
	}
	t.Run("UpdateStaleVersionConflicts", func(t *testing.T) {
		h := setup(t, newStore)
		v := e.full(h)
		h.update(func(tx driver.Tx) { require.NoError(t, e.create(tx, &v)) })
		stale := v
		e.change(&v)
		h.update(func(tx driver.Tx) { require.NoError(t, e.update(tx, &v)) })
		var latest T
		h.view(func(tx driver.Tx) {
			var err error
			latest, err = e.get(tx, *e.id(&v))
			require.NoError(t, err)
		})

		e.change(&stale)
		*e.createdAt(&stale) = *e.createdAt(&latest)
		h.update(func(tx driver.Tx) {
			require.ErrorIs(t, e.update(tx, &stale), inbox.ErrConflict)
			require.EqualValues(t, 1, *e.version(&stale), "a failed update must not change the caller's version")
			got, err := e.get(tx, *e.id(&v))
			require.NoError(t, err, "the transaction stays usable after a conflict")
			requireSame(t, latest, got, "a stale update must change nothing")
		})
		future := latest
		*e.version(&future) = 99
		h.update(func(tx driver.Tx) { require.ErrorIs(t, e.update(tx, &future), inbox.ErrConflict) })
	})
}

// updatedAtOf returns a pointer to v's UpdatedAt field, if it has one.
func updatedAtOf(v any) *time.Time {
	switch r := v.(type) {
	case *inbox.Integration:
		return &r.UpdatedAt
	case *inbox.Contact:
		return &r.UpdatedAt
	case *inbox.Folder:
		return &r.UpdatedAt
	case *inbox.Conversation:
		return &r.UpdatedAt
	case *inbox.FollowUp:
		return &r.UpdatedAt
	case *inbox.Draft:
		return &r.UpdatedAt
	case *inbox.OutboxItem:
		return &r.UpdatedAt
	}
	return nil
}

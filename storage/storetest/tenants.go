package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
)

func testTenants(t *testing.T, newStore NewStoreFunc) {
	ctx := context.Background()
	t.Run("CreateGetRoundTrip", func(t *testing.T) {
		s := newStore(t)
		want := fullTenant("acme")
		require.NoError(t, s.CreateTenant(ctx, &want))
		got, err := s.GetTenant(ctx, "acme")
		require.NoError(t, err)
		requireSame(t, want, got)
	})
	t.Run("CreateSetsTimes", func(t *testing.T) {
		s := newStore(t)
		require.NoError(t, s.CreateTenant(ctx, &inbox.Tenant{ID: "acme"}))
		got, err := s.GetTenant(ctx, "acme")
		require.NoError(t, err)
		require.False(t, got.CreatedAt.IsZero())
		require.False(t, got.UpdatedAt.IsZero())
		require.Equal(t, time.UTC, got.CreatedAt.Location())
	})
	t.Run("CreateExistingConflicts", func(t *testing.T) {
		s := newStore(t)
		require.NoError(t, s.CreateTenant(ctx, &inbox.Tenant{ID: "acme", Name: "first"}))
		require.ErrorIs(t, s.CreateTenant(ctx, &inbox.Tenant{ID: "acme", Name: "second"}), inbox.ErrConflict)
		got, err := s.GetTenant(ctx, "acme")
		require.NoError(t, err)
		require.Equal(t, "first", got.Name)
	})
	t.Run("CreateEmptyIDInvalid", func(t *testing.T) {
		s := newStore(t)
		require.ErrorIs(t, s.CreateTenant(ctx, &inbox.Tenant{Name: "nameless"}), inbox.ErrInvalid)
		list, err := s.ListTenants(ctx)
		require.NoError(t, err)
		require.Empty(t, list)
	})
	t.Run("Update", func(t *testing.T) {
		s := newStore(t)
		orig := inbox.Tenant{ID: "acme", Name: "Acme", CreatedAt: t0, UpdatedAt: t0}
		require.NoError(t, s.CreateTenant(ctx, &orig))
		next := fullTenant("acme")
		next.CreatedAt = at(time.Hour) // ignored: creation time never changes
		require.NoError(t, s.UpdateTenant(ctx, &next))
		got, err := s.GetTenant(ctx, "acme")
		require.NoError(t, err)
		next.CreatedAt = t0
		requireSame(t, next, got)
	})
	t.Run("UpdateUnknownNotFound", func(t *testing.T) {
		s := newStore(t)
		require.ErrorIs(t, s.UpdateTenant(ctx, &inbox.Tenant{ID: "ghost", Name: "x"}), inbox.ErrNotFound)
		_, err := s.GetTenant(ctx, "ghost")
		require.ErrorIs(t, err, inbox.ErrNotFound)
	})
	t.Run("GetUnknownNotFound", func(t *testing.T) {
		s := newStore(t)
		_, err := s.GetTenant(ctx, "ghost")
		require.ErrorIs(t, err, inbox.ErrNotFound)
	})
	t.Run("ListOrderedByID", func(t *testing.T) {
		s := newStore(t)
		for _, id := range []inbox.TenantID{"tenant-c", "tenant-a", "tenant-b"} {
			require.NoError(t, s.CreateTenant(ctx, &inbox.Tenant{ID: id, Name: string(id)}))
		}
		list, err := s.ListTenants(ctx)
		require.NoError(t, err)
		var ids []inbox.TenantID
		for _, tn := range list {
			ids = append(ids, tn.ID)
		}
		require.Equal(t, []inbox.TenantID{"tenant-a", "tenant-b", "tenant-c"}, ids)
	})
	t.Run("ReturnedValuesAreCopies", func(t *testing.T) {
		s := newStore(t)
		tn := fullTenant("acme")
		require.NoError(t, s.CreateTenant(ctx, &tn))
		tn.Settings.Extra[2] = 'X' // the caller's buffer, after the call
		got, err := s.GetTenant(ctx, "acme")
		require.NoError(t, err)
		got.Settings.Extra[2] = 'Y'
		again, err := s.GetTenant(ctx, "acme")
		require.NoError(t, err)
		requireSame(t, fullTenant("acme"), again)
	})
	t.Run("UnknownTenantTransactions", func(t *testing.T) {
		s := newStore(t)
		called := false
		err := s.Update(ctx, "ghost", func(tx driver.Tx) error { called = true; return nil })
		require.ErrorIs(t, err, inbox.ErrNotFound)
		err = s.View(ctx, "ghost", func(tx driver.Tx) error { called = true; return nil })
		require.ErrorIs(t, err, inbox.ErrNotFound)
		require.False(t, called, "fn must not run for an unknown tenant")
	})
}

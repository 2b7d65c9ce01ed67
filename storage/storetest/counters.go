package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
)

// testCounters checks rate-limit counters: per key and window, atomic
// under concurrent writers, per tenant.
func testCounters(t *testing.T, newStore NewStoreFunc) {
	h := setup(t, newStore)
	day := t0.Truncate(24 * time.Hour)
	h.update(func(tx driver.Tx) {
		n, err := tx.AddCount("to:ada@example.com", day, 0)
		require.NoError(t, err)
		require.Zero(t, n)
		n, err = tx.AddCount("to:ada@example.com", day, 1)
		require.NoError(t, err)
		require.Equal(t, 1, n)
		n, err = tx.AddCount("to:ada@example.com", day, 2)
		require.NoError(t, err)
		require.Equal(t, 3, n)
		n, err = tx.AddCount("to:ada@example.com", day.Add(24*time.Hour), 1)
		require.NoError(t, err)
		require.Equal(t, 1, n, "each window counts apart")
		_, err = tx.AddCount("", day, 1)
		require.ErrorIs(t, err, inbox.ErrInvalid)
	})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			err := h.store.Update(h.ctx, h.tenant, func(tx driver.Tx) error {
				_, err := tx.AddCount("dom:b.example", day, 1)
				return err
			})
			require.NoError(t, err)
		})
	}
	wg.Wait()
	h.view(func(tx driver.Tx) {
		n, err := tx.AddCount("to:ada@example.com", day, 0)
		require.NoError(t, err)
		require.Equal(t, 3, n)
		n, err = tx.AddCount("dom:b.example", day, 0)
		require.NoError(t, err)
		require.Equal(t, 8, n, "concurrent additions are all counted")
	})
	h.addTenant("tenant-b")
	h.viewIn("tenant-b", func(tx driver.Tx) {
		n, err := tx.AddCount("dom:b.example", day, 0)
		require.NoError(t, err)
		require.Zero(t, n, "counters are per tenant")
	})
}

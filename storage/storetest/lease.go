package storetest

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
)

// testLeases checks the optional driver.Leaser capability; Run runs it
// for stores that declare it (driver.Features.Leases).
func testLeases(t *testing.T, newStore NewStoreFunc) {
	leaser := func(t *testing.T) driver.Leaser {
		t.Helper()
		return newStore(t).(driver.Leaser)
	}
	ctx := context.Background()
	const long = time.Minute

	t.Run("MutualExclusionAndRenewal", func(t *testing.T) {
		l := leaser(t)
		ok, err := l.AcquireLease(ctx, "sync/t1/imap", "instance-a", long)
		require.NoError(t, err)
		require.True(t, ok, "a free lease is taken")
		ok, err = l.AcquireLease(ctx, "sync/t1/imap", "instance-b", long)
		require.NoError(t, err)
		require.False(t, ok, "a held lease is refused to another holder")
		ok, err = l.AcquireLease(ctx, "sync/t1/imap", "instance-a", long)
		require.NoError(t, err)
		require.True(t, ok, "the holder renews its lease")
		ok, err = l.AcquireLease(ctx, "sync/t1/other", "instance-b", long)
		require.NoError(t, err)
		require.True(t, ok, "leases of other names are independent")
	})

	t.Run("Release", func(t *testing.T) {
		l := leaser(t)
		ok, err := l.AcquireLease(ctx, "followups/t1", "instance-a", long)
		require.NoError(t, err)
		require.True(t, ok)
		require.NoError(t, l.ReleaseLease(ctx, "followups/t1", "instance-b"), "releasing a lease one does not hold is harmless")
		ok, err = l.AcquireLease(ctx, "followups/t1", "instance-b", long)
		require.NoError(t, err)
		require.False(t, ok, "another holder's release leaves the lease in place")
		require.NoError(t, l.ReleaseLease(ctx, "followups/t1", "instance-a"))
		ok, err = l.AcquireLease(ctx, "followups/t1", "instance-b", long)
		require.NoError(t, err)
		require.True(t, ok, "a released lease is free at once")
		require.NoError(t, l.ReleaseLease(ctx, "never-taken", "instance-a"))
	})

	t.Run("ExpiryTakeover", func(t *testing.T) {
		l := leaser(t)
		ok, err := l.AcquireLease(ctx, "sync/t1/imap", "crashed", 100*time.Millisecond)
		require.NoError(t, err)
		require.True(t, ok)
		// Nothing renews it: another holder gets it once it expires.
		require.Eventually(t, func() bool {
			ok, err := l.AcquireLease(ctx, "sync/t1/imap", "survivor", long)
			require.NoError(t, err)
			return ok
		}, 10*time.Second, 20*time.Millisecond)
		ok, err = l.AcquireLease(ctx, "sync/t1/imap", "crashed", long)
		require.NoError(t, err)
		require.False(t, ok, "the old holder cannot renew a lease taken over")
		require.NoError(t, l.ReleaseLease(ctx, "sync/t1/imap", "crashed"))
		ok, err = l.AcquireLease(ctx, "sync/t1/imap", "crashed", long)
		require.NoError(t, err)
		require.False(t, ok, "the old holder's release does not end the new lease")
	})

	t.Run("OneWinnerAmongRacers", func(t *testing.T) {
		l := leaser(t)
		var wins atomic.Int32
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				ok, err := l.AcquireLease(ctx, "sync/t1/race", "instance-"+string(rune('a'+i)), long)
				require.NoError(t, err)
				if ok {
					wins.Add(1)
				}
			})
		}
		wg.Wait()
		require.EqualValues(t, 1, wins.Load())
	})

	t.Run("BadInput", func(t *testing.T) {
		l := leaser(t)
		for _, tc := range []struct {
			name, lease, holder string
			ttl                 time.Duration
		}{
			{"empty name", "", "instance-a", long},
			{"empty holder", "sync/t1/imap", "", long},
			{"zero ttl", "sync/t1/imap", "instance-a", 0},
			{"negative ttl", "sync/t1/imap", "instance-a", -time.Second},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := l.AcquireLease(ctx, tc.lease, tc.holder, tc.ttl)
				require.ErrorIs(t, err, inbox.ErrInvalid)
			})
		}
		require.ErrorIs(t, l.ReleaseLease(ctx, "", "instance-a"), inbox.ErrInvalid)
	})
}

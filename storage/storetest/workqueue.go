package storetest

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
)

// testWork checks the durable work queue: one item per kind and key,
// generations, due selection, atomic claims and conditional deletes.
func testWork(t *testing.T, newStore NewStoreFunc) {
	t.Run("PutReplacesPendingWork", func(t *testing.T) {
		h := setup(t, newStore)
		var first, again inbox.WorkItem
		h.update(func(tx driver.Tx) {
			first = inbox.WorkItem{Kind: inbox.WorkAutoReply, Key: "conv-1", Payload: "msg-1", NotBefore: t0}
			require.NoError(t, tx.PutWork(&first))
			require.NotEmpty(t, first.ID)
			require.EqualValues(t, 1, first.Generation)
			claimed, err := tx.ClaimWork(first.ID, "worker-1", t0, at(time.Minute))
			require.NoError(t, err)
			require.True(t, claimed)
			again = inbox.WorkItem{Kind: inbox.WorkAutoReply, Key: "conv-1", Payload: "msg-2", NotBefore: at(time.Second)}
			require.NoError(t, tx.PutWork(&again))
		})
		require.Equal(t, first.ID, again.ID, "one item per kind and key")
		require.EqualValues(t, 2, again.Generation)
		require.Equal(t, "worker-1", again.ClaimedBy, "the running worker keeps its claim")
		h.view(func(tx driver.Tx) {
			all, err := tx.ListWork(inbox.WorkQuery{})
			require.NoError(t, err)
			require.Len(t, all, 1)
			require.Equal(t, "msg-2", all[0].Payload)
			require.EqualValues(t, 2, all[0].Generation)
			require.True(t, all[0].NotBefore.Equal(at(time.Second)))
			require.Equal(t, h.tenant, all[0].TenantID)
		})
		h.update(func(tx driver.Tx) {
			ok, err := tx.DeleteWork(first.ID, 1)
			require.NoError(t, err)
			require.False(t, ok, "the worker of generation 1 does not delete generation 2")
			ok, err = tx.DeleteWork(first.ID, 2)
			require.NoError(t, err)
			require.True(t, ok)
		})
		h.view(func(tx driver.Tx) {
			all, err := tx.ListWork(inbox.WorkQuery{})
			require.NoError(t, err)
			require.Empty(t, all)
		})
		h.update(func(tx driver.Tx) {
			bad := inbox.WorkItem{Kind: inbox.WorkClassify}
			require.ErrorIs(t, tx.PutWork(&bad), inbox.ErrInvalid)
		})
	})
	t.Run("DueClaimsAndFailures", func(t *testing.T) {
		h := setup(t, newStore)
		ids := map[string]string{}
		h.update(func(tx driver.Tx) {
			for _, spec := range []struct {
				key string
				at  time.Duration
			}{{"now", 0}, {"later", time.Hour}, {"earlier", -time.Minute}, {"claimed", 0}, {"failing", 0}} {
				w := inbox.WorkItem{Kind: inbox.WorkClassify, Key: spec.key, NotBefore: at(spec.at)}
				require.NoError(t, tx.PutWork(&w))
				ids[spec.key] = w.ID
			}
			other := inbox.WorkItem{Kind: inbox.WorkLinkContact, Key: "contact-1", NotBefore: t0}
			require.NoError(t, tx.PutWork(&other))
			ids["contact"] = other.ID
			ok, err := tx.ClaimWork(ids["claimed"], "worker-1", t0, at(5*time.Minute))
			require.NoError(t, err)
			require.True(t, ok)
			ok, err = tx.ClaimWork(ids["claimed"], "worker-2", at(time.Minute), at(6*time.Minute))
			require.NoError(t, err)
			require.False(t, ok, "a live claim is not taken")
			_, err = tx.ClaimWork("nope", "worker-2", t0, at(time.Minute))
			require.ErrorIs(t, err, inbox.ErrNotFound)
			fail := inbox.WorkItem{ID: ids["failing"], Attempts: 8, LastError: "model unavailable", Failed: true, NotBefore: t0}
			require.NoError(t, tx.UpdateWork(&fail))
		})
		keys := func(items []inbox.WorkItem) []string {
			var out []string
			for _, w := range items {
				out = append(out, w.Key)
			}
			return out
		}
		h.view(func(tx driver.Tx) {
			due, err := tx.ListWork(inbox.WorkQuery{DueAt: t0, Kind: inbox.WorkClassify})
			require.NoError(t, err)
			require.Equal(t, []string{"earlier", "now"}, keys(due), "due, unclaimed, not failed, oldest first")
			due, err = tx.ListWork(inbox.WorkQuery{DueAt: at(10 * time.Minute)})
			require.NoError(t, err)
			require.ElementsMatch(t, []string{"earlier", "now", "claimed", "contact-1"}, keys(due), "an expired claim is due again")
			failed, err := tx.ListWork(inbox.WorkQuery{Failed: true})
			require.NoError(t, err)
			require.Equal(t, []string{"failing"}, keys(failed))
			require.Equal(t, "model unavailable", failed[0].LastError)
			require.Equal(t, 8, failed[0].Attempts)
			one, err := tx.ListWork(inbox.WorkQuery{Key: "later"})
			require.NoError(t, err)
			require.Len(t, one, 1)
			limited, err := tx.ListWork(inbox.WorkQuery{Limit: 2})
			require.NoError(t, err)
			require.Len(t, limited, 2)
		})
		h.addTenant("tenant-b")
		h.viewIn("tenant-b", func(tx driver.Tx) {
			all, err := tx.ListWork(inbox.WorkQuery{})
			require.NoError(t, err)
			require.Empty(t, all, "work is per tenant")
		})
		h.update(func(tx driver.Tx) {
			ok, err := tx.ClaimWork(ids["claimed"], "worker-2", at(10*time.Minute), at(15*time.Minute))
			require.NoError(t, err)
			require.True(t, ok, "an expired claim is taken over")
		})
	})
	t.Run("ConcurrentClaimsHaveOneWinner", func(t *testing.T) {
		h := setup(t, newStore)
		var w inbox.WorkItem
		h.update(func(tx driver.Tx) {
			w = inbox.WorkItem{Kind: inbox.WorkAutoReply, Key: "conv-9", NotBefore: t0}
			require.NoError(t, tx.PutWork(&w))
		})
		var wins atomic.Int32
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				err := h.store.Update(h.ctx, h.tenant, func(tx driver.Tx) error {
					ok, err := tx.ClaimWork(w.ID, fmt.Sprint("worker-", i), t0, at(time.Minute))
					if ok {
						wins.Add(1)
					}
					return err
				})
				if err != nil {
					require.ErrorIs(t, err, inbox.ErrConflict, "a losing claim fails cleanly or not at all")
				}
			})
		}
		wg.Wait()
		require.EqualValues(t, 1, wins.Load(), "exactly one worker claims an item")
	})
}

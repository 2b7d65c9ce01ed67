package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
)

func testDedupeKeys(t *testing.T, newStore NewStoreFunc) {
	t.Run("TakenKeyConflicts", func(t *testing.T) {
		h := setup(t, newStore)
		conv := h.conversation()
		first := h.message(conv.ID, func(m *inbox.Message) { m.DedupeKeys = []string{"p:int-1:1", "m:a@example.com|ada@example.com"} })
		h.update(func(tx driver.Tx) {
			dup := newMessage(conv.ID, func(m *inbox.Message) { m.DedupeKeys = []string{"p:int-2:9", "m:a@example.com|ada@example.com"} })
			require.ErrorIs(t, tx.InsertMessage(&dup), inbox.ErrConflict)
			// Nothing of the refused message remains, and the Tx goes on.
			taken, err := tx.LookupDedupeKeys([]string{"p:int-2:9"})
			require.NoError(t, err)
			require.Empty(t, taken, "a refused message must not take any of its keys")
			ok := newMessage(conv.ID, func(m *inbox.Message) { m.DedupeKeys = []string{"p:int-2:9"} })
			require.NoError(t, tx.InsertMessage(&ok))
		})
		h.view(func(tx driver.Tx) {
			list, err := tx.ListMessages(conv.ID)
			require.NoError(t, err)
			require.Len(t, list, 2)
			taken, err := tx.LookupDedupeKeys([]string{"p:int-1:1", "m:a@example.com|ada@example.com", "p:int-2:9", "free"})
			require.NoError(t, err)
			require.Len(t, taken, 3)
			require.Equal(t, first.ID, taken["p:int-1:1"])
			require.Equal(t, first.ID, taken["m:a@example.com|ada@example.com"])
			require.NotContains(t, taken, "free")
		})
	})
	t.Run("SameTransactionConflicts", func(t *testing.T) {
		h := setup(t, newStore)
		conv := h.conversation()
		h.update(func(tx driver.Tx) {
			a := newMessage(conv.ID, func(m *inbox.Message) { m.DedupeKeys = []string{"k"} })
			b := newMessage(conv.ID, func(m *inbox.Message) { m.DedupeKeys = []string{"k"} })
			require.NoError(t, tx.InsertMessage(&a))
			require.ErrorIs(t, tx.InsertMessage(&b), inbox.ErrConflict)
		})
	})
	t.Run("LookupEmptyAndUnknown", func(t *testing.T) {
		h := setup(t, newStore)
		h.view(func(tx driver.Tx) {
			taken, err := tx.LookupDedupeKeys(nil)
			require.NoError(t, err)
			require.Empty(t, taken)
			taken, err = tx.LookupDedupeKeys([]string{"a", "b", "a"})
			require.NoError(t, err)
			require.Empty(t, taken)
		})
	})
	t.Run("TombstonesOutliveDeletion", func(t *testing.T) {
		h := setup(t, newStore)
		conv := h.conversation()
		m := h.message(conv.ID, func(m *inbox.Message) { m.DedupeKeys = []string{"p:int-1:7"} })
		h.update(func(tx driver.Tx) { require.NoError(t, tx.DeleteConversation(conv.ID)) })
		other := h.conversation()
		h.update(func(tx driver.Tx) {
			taken, err := tx.LookupDedupeKeys([]string{"p:int-1:7"})
			require.NoError(t, err)
			require.Equal(t, map[string]string{"p:int-1:7": m.ID}, taken, "the key still names the deleted message")
			again := newMessage(other.ID, func(m *inbox.Message) { m.DedupeKeys = []string{"p:int-1:7"} })
			require.ErrorIs(t, tx.InsertMessage(&again), inbox.ErrConflict, "a deleted message is never re-imported")
		})
	})
	t.Run("KeysAreFixedByUpdate", func(t *testing.T) {
		h := setup(t, newStore)
		conv := h.conversation()
		m := h.message(conv.ID, func(m *inbox.Message) { m.DedupeKeys = []string{"k1"} })
		m.DedupeKeys = []string{"k2"}
		h.update(func(tx driver.Tx) { require.NoError(t, tx.UpdateMessage(&m)) })
		h.view(func(tx driver.Tx) {
			taken, err := tx.LookupDedupeKeys([]string{"k1", "k2"})
			require.NoError(t, err)
			require.Equal(t, map[string]string{"k1": m.ID}, taken)
		})
	})
}

func testThreadKeys(t *testing.T, newStore NewStoreFunc) {
	t.Run("MostRecentHolderWins", func(t *testing.T) {
		h := setup(t, newStore)
		c1, c2, c3 := h.conversation(), h.conversation(), h.conversation()
		h.message(c1.ID, func(m *inbox.Message) { m.ThreadKeys = []string{"m:root", "t:aa"}; m.CreatedAt = at(time.Minute) })
		h.message(c2.ID, func(m *inbox.Message) { m.ThreadKeys = []string{"m:root"}; m.CreatedAt = at(2 * time.Minute) })
		// Inserted last but older: insertion order does not matter.
		h.message(c3.ID, func(m *inbox.Message) { m.ThreadKeys = []string{"m:root"}; m.CreatedAt = at(-time.Hour) })
		h.view(func(tx driver.Tx) {
			known, err := tx.LookupThreadKeys([]string{"m:root", "t:aa", "m:unknown"})
			require.NoError(t, err)
			require.Equal(t, map[string]string{"m:root": c2.ID, "t:aa": c1.ID}, known)
		})
		// Equal creation times: the greater message id wins.
		var ids []string
		convOf := map[string]string{}
		for range 3 {
			c := h.conversation()
			m := h.message(c.ID, func(m *inbox.Message) { m.ThreadKeys = []string{"k:tie"}; m.CreatedAt = at(time.Hour) })
			ids = append(ids, m.ID)
			convOf[m.ID] = c.ID
		}
		h.view(func(tx driver.Tx) {
			known, err := tx.LookupThreadKeys([]string{"k:tie"})
			require.NoError(t, err)
			require.Equal(t, convOf[maxString(ids)], known["k:tie"])
		})
	})
	t.Run("VisibleInTheInsertingTransaction", func(t *testing.T) {
		h := setup(t, newStore)
		a, b, gone := h.conversation(), h.conversation(), h.conversation()
		h.update(func(tx driver.Tx) {
			m := newMessage(a.ID, func(m *inbox.Message) { m.ThreadKeys = []string{"m:fresh", "t:fresh"} })
			require.NoError(t, tx.InsertMessage(&m))
			known, err := tx.LookupThreadKeys([]string{"m:fresh", "t:fresh"})
			require.NoError(t, err)
			require.Equal(t, map[string]string{"m:fresh": a.ID, "t:fresh": a.ID}, known)

			moved := newMessage(a.ID, func(m *inbox.Message) { m.ThreadKeys = []string{"m:moved"} })
			require.NoError(t, tx.InsertMessage(&moved))
			require.NoError(t, tx.MoveMessage(moved.ID, b.ID))
			dropped := newMessage(gone.ID, func(m *inbox.Message) { m.ThreadKeys = []string{"m:dropped"} })
			require.NoError(t, tx.InsertMessage(&dropped))
			require.NoError(t, tx.DeleteConversation(gone.ID))
			known, err = tx.LookupThreadKeys([]string{"m:moved", "m:dropped"})
			require.NoError(t, err)
			require.Equal(t, map[string]string{"m:moved": b.ID}, known)
		})
		h.view(func(tx driver.Tx) {
			known, err := tx.LookupThreadKeys([]string{"m:fresh", "m:moved", "m:dropped"})
			require.NoError(t, err)
			require.Equal(t, map[string]string{"m:fresh": a.ID, "m:moved": b.ID}, known)
		})
	})
	t.Run("FollowMoveMessage", func(t *testing.T) {
		h := setup(t, newStore)
		from, to := h.conversation(), h.conversation()
		m := h.message(from.ID, func(m *inbox.Message) { m.ThreadKeys = []string{"m:split@example.com"} })
		h.update(func(tx driver.Tx) {
			require.NoError(t, tx.MoveMessage(m.ID, to.ID))
			known, err := tx.LookupThreadKeys([]string{"m:split@example.com"})
			require.NoError(t, err)
			require.Equal(t, map[string]string{"m:split@example.com": to.ID}, known, "visible inside the transaction")
		})
		h.view(func(tx driver.Tx) {
			known, err := tx.LookupThreadKeys([]string{"m:split@example.com"})
			require.NoError(t, err)
			require.Equal(t, map[string]string{"m:split@example.com": to.ID}, known)
		})
	})
	t.Run("VanishWithConversation", func(t *testing.T) {
		h := setup(t, newStore)
		older, newer := h.conversation(), h.conversation()
		h.message(older.ID, func(m *inbox.Message) { m.ThreadKeys = []string{"m:x", "m:only-older"}; m.CreatedAt = at(time.Minute) })
		h.message(newer.ID, func(m *inbox.Message) {
			m.ThreadKeys = []string{"m:x", "m:only-newer"}
			m.CreatedAt = at(2 * time.Minute)
		})
		h.update(func(tx driver.Tx) { require.NoError(t, tx.DeleteConversation(newer.ID)) })
		h.view(func(tx driver.Tx) {
			known, err := tx.LookupThreadKeys([]string{"m:x", "m:only-older", "m:only-newer"})
			require.NoError(t, err)
			require.Equal(t, map[string]string{"m:x": older.ID, "m:only-older": older.ID}, known)
		})
	})
	t.Run("FixedByUpdate", func(t *testing.T) {
		h := setup(t, newStore)
		conv := h.conversation()
		m := h.message(conv.ID, func(m *inbox.Message) { m.ThreadKeys = []string{"m:keep"} })
		m.ThreadKeys = []string{"m:other"}
		h.update(func(tx driver.Tx) { require.NoError(t, tx.UpdateMessage(&m)) })
		h.view(func(tx driver.Tx) {
			known, err := tx.LookupThreadKeys([]string{"m:keep", "m:other"})
			require.NoError(t, err)
			require.Equal(t, map[string]string{"m:keep": conv.ID}, known)
		})
	})
	t.Run("LookupEmpty", func(t *testing.T) {
		h := setup(t, newStore)
		h.view(func(tx driver.Tx) {
			known, err := tx.LookupThreadKeys(nil)
			require.NoError(t, err)
			require.Empty(t, known)
		})
	})
}

func maxString(ss []string) string {
	best := ss[0]
	for _, s := range ss[1:] {
		best = max(best, s)
	}
	return best
}

package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
)

func fullQuarantine() inbox.QuarantineItem {
	return inbox.QuarantineItem{
		IntegrationID: "int-1", Source: inbox.SourceEmail, ProviderID: "7/INBOX/99", RawKey: "raw/99",
		Error:     "unparsable: malformed MIME header",
		Inbound:   json.RawMessage(`{"IntegrationID": "int-1", "Subject": "Réclamation", "References": ["a", "b"]}`),
		CreatedAt: t0.In(paris), ReplayedAt: at(time.Hour).In(paris), ReplayMessageID: "msg-5",
	}
}

func testQuarantine(t *testing.T, newStore NewStoreFunc) {
	checkEntity(t, newStore, entity[inbox.QuarantineItem]{
		full:    func(*harness) inbox.QuarantineItem { return fullQuarantine() },
		minimal: func(*harness) inbox.QuarantineItem { return inbox.QuarantineItem{Error: "bad"} },
		create:  func(tx driver.Tx, v *inbox.QuarantineItem) error { return tx.AddQuarantine(v) },
		get:     func(tx driver.Tx, id string) (inbox.QuarantineItem, error) { return tx.GetQuarantine(id) },
		update:  func(tx driver.Tx, v *inbox.QuarantineItem) error { return tx.UpdateQuarantine(v) },
		change: func(v *inbox.QuarantineItem) {
			v.ReplayedAt, v.ReplayMessageID, v.Error = time.Time{}, "", "replay failed: still unparsable"
			v.Inbound = json.RawMessage(`{"fixed": true}`)
		},
		id:        func(v *inbox.QuarantineItem) *string { return &v.ID },
		tenant:    func(v *inbox.QuarantineItem) *inbox.TenantID { return &v.TenantID },
		createdAt: func(v *inbox.QuarantineItem) *time.Time { return &v.CreatedAt },
	})
	t.Run("ListNewestFirst", func(t *testing.T) {
		h := setup(t, newStore)
		names := map[string]string{}
		h.update(func(tx driver.Tx) {
			for _, spec := range []struct {
				name, integration string
				created           time.Duration
				replayed          bool
			}{
				{"a", "int-1", time.Minute, false},
				{"b", "int-2", 3 * time.Minute, false},
				{"c", "int-1", 2 * time.Minute, true},
				{"d", "int-1", 4 * time.Minute, false},
			} {
				q := inbox.QuarantineItem{IntegrationID: spec.integration, Error: spec.name, CreatedAt: at(spec.created)}
				if spec.replayed {
					q.ReplayedAt, q.ReplayMessageID = at(time.Hour), "msg-1"
				}
				require.NoError(t, tx.AddQuarantine(&q))
				names[q.ID] = spec.name
			}
		})
		h.view(func(tx driver.Tx) {
			for _, tc := range []struct {
				q    inbox.QuarantineQuery
				want []string
			}{
				{inbox.QuarantineQuery{}, []string{"d", "b", "a"}},
				{inbox.QuarantineQuery{IncludeReplayed: true}, []string{"d", "b", "c", "a"}},
				{inbox.QuarantineQuery{IntegrationID: "int-1"}, []string{"d", "a"}},
				{inbox.QuarantineQuery{IntegrationID: "int-1", IncludeReplayed: true, Limit: 2}, []string{"d", "c"}},
				{inbox.QuarantineQuery{IntegrationID: "int-9"}, nil},
			} {
				list, err := tx.ListQuarantine(tc.q)
				require.NoError(t, err)
				var got []string
				for _, q := range list {
					got = append(got, names[q.ID])
				}
				require.Equal(t, tc.want, got, "%+v", tc.q)
			}
		})
	})
	t.Run("ListDefaultLimit", func(t *testing.T) {
		h := setup(t, newStore)
		h.update(func(tx driver.Tx) {
			for i := range 60 {
				q := inbox.QuarantineItem{Error: "bad", CreatedAt: at(time.Duration(i) * time.Second)}
				require.NoError(t, tx.AddQuarantine(&q))
			}
		})
		h.view(func(tx driver.Tx) {
			list, err := tx.ListQuarantine(inbox.QuarantineQuery{})
			require.NoError(t, err)
			require.Len(t, list, 50)
			require.Equal(t, at(59*time.Second), list[0].CreatedAt)
		})
	})
}

// testQuarantineKeys checks that a quarantine key is unique in a tenant,
// that a taken key fails with ErrConflict and leaves the transaction
// usable, and that the engine quarantines a bad message once however
// often its channel delivers it.
func testQuarantineKeys(t *testing.T, newStore NewStoreFunc) {
	t.Run("UniquePerTenant", func(t *testing.T) {
		h := setup(t, newStore)
		h.addTenant("tenant-b")
		var first inbox.QuarantineItem
		h.update(func(tx driver.Tx) {
			first = inbox.QuarantineItem{IntegrationID: "int-1", Key: "p:int-1:42", Error: "bad"}
			require.NoError(t, tx.AddQuarantine(&first))
			again := inbox.QuarantineItem{IntegrationID: "int-1", Key: "p:int-1:42", Error: "bad again"}
			require.ErrorIs(t, tx.AddQuarantine(&again), inbox.ErrConflict)
			other := inbox.QuarantineItem{IntegrationID: "int-1", Key: "p:int-1:43", Error: "other"}
			require.NoError(t, tx.AddQuarantine(&other), "the transaction is still usable")
			for range 2 {
				unkeyed := inbox.QuarantineItem{IntegrationID: "int-1", Error: "no key"}
				require.NoError(t, tx.AddQuarantine(&unkeyed), "empty keys never conflict")
			}
		})
		h.updateIn("tenant-b", func(tx driver.Tx) {
			same := inbox.QuarantineItem{IntegrationID: "int-1", Key: "p:int-1:42", Error: "bad"}
			require.NoError(t, tx.AddQuarantine(&same), "keys are per tenant")
		})
		h.view(func(tx driver.Tx) {
			found, err := tx.ListQuarantine(inbox.QuarantineQuery{Key: "p:int-1:42"})
			require.NoError(t, err)
			require.Len(t, found, 1)
			require.Equal(t, first.ID, found[0].ID)
			require.Equal(t, "p:int-1:42", found[0].Key)
			all, err := tx.ListQuarantine(inbox.QuarantineQuery{})
			require.NoError(t, err)
			require.Len(t, all, 4)
		})
	})
	t.Run("EngineQuarantinesOnce", func(t *testing.T) {
		h := setup(t, newStore)
		eng, err := inbox.New(inbox.Options{Store: h.store})
		require.NoError(t, err)
		t.Cleanup(func() { _ = eng.Close() })
		bad := []inbox.Inbound{
			{Source: inbox.SourceEmail, IntegrationID: "mail", ProviderID: "7/INBOX/99", RawKey: "raw/1", ParseError: "malformed MIME header"},
			// No provider id: recognised by its content.
			{Source: inbox.SourceWebhook, IntegrationID: "hook", From: inbox.Party{ID: "u1"}, Text: "hello", RawKey: "raw/2"},
		}
		for round := range 3 {
			again := append([]inbox.Inbound(nil), bad...)
			again[0].RawKey, again[1].RawKey = fmt.Sprint("raw/1-", round), fmt.Sprint("raw/2-", round) // a new fetch keeps new raw bytes
			res, err := eng.Ingest(context.Background(), h.tenant, again)
			require.NoError(t, err)
			require.Equal(t, 2, res.Quarantined, "round %d", round)
		}
		h.view(func(tx driver.Tx) {
			items, err := tx.ListQuarantine(inbox.QuarantineQuery{})
			require.NoError(t, err)
			require.Len(t, items, 2, "each bad message is quarantined once")
		})
	})
}

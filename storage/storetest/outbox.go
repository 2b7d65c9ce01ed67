package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
)

func fullOutbox() inbox.OutboxItem {
	return inbox.OutboxItem{
		MessageID: "msg-1", ConversationID: "conv-1", IntegrationID: "int-1", IdempotencyKey: "idem-" + inbox.NewID(),
		Status: inbox.OutboxPending, Attempts: 2, NextAttemptAt: at(time.Minute).In(paris), LastError: "421 try later",
		ProviderID: "", CreatedAt: t0.In(paris), UpdatedAt: at(time.Second).In(paris),
	}
}

// getOutbox finds an outbox item by id, as the Tx has no Get for them.
func getOutbox(tx driver.Tx, id string) (inbox.OutboxItem, error) {
	list, err := tx.ListOutbox(inbox.OutboxQuery{})
	if err != nil {
		return inbox.OutboxItem{}, err
	}
	for _, o := range list {
		if o.ID == id {
			return o, nil
		}
	}
	return inbox.OutboxItem{}, inbox.ErrNotFound
}

func testOutbox(t *testing.T, newStore NewStoreFunc) {
	checkEntity(t, newStore, entity[inbox.OutboxItem]{
		full:    func(*harness) inbox.OutboxItem { return fullOutbox() },
		minimal: func(*harness) inbox.OutboxItem { return inbox.OutboxItem{IdempotencyKey: "idem-" + inbox.NewID()} },
		create:  func(tx driver.Tx, v *inbox.OutboxItem) error { return tx.EnqueueOutbox(v) },
		get:     getOutbox,
		update:  func(tx driver.Tx, v *inbox.OutboxItem) error { return tx.UpdateOutbox(v) },
		change: func(v *inbox.OutboxItem) {
			v.Status, v.Attempts, v.NextAttemptAt, v.LastError, v.ProviderID, v.UpdatedAt =
				inbox.OutboxSent, 3, time.Time{}, "", "SM-77", at(time.Hour)
		},
		id:        func(v *inbox.OutboxItem) *string { return &v.ID },
		tenant:    func(v *inbox.OutboxItem) *inbox.TenantID { return &v.TenantID },
		createdAt: func(v *inbox.OutboxItem) *time.Time { return &v.CreatedAt },
	})
	t.Run("IdempotencyKey", func(t *testing.T) {
		h := setup(t, newStore)
		first := fullOutbox()
		h.update(func(tx driver.Tx) { require.NoError(t, tx.EnqueueOutbox(&first)) })
		h.update(func(tx driver.Tx) {
			dup := inbox.OutboxItem{MessageID: "msg-2", IdempotencyKey: first.IdempotencyKey}
			require.ErrorIs(t, tx.EnqueueOutbox(&dup), inbox.ErrConflict)
			empty := inbox.OutboxItem{MessageID: "msg-3"}
			require.ErrorIs(t, tx.EnqueueOutbox(&empty), inbox.ErrInvalid)
			list, err := tx.ListOutbox(inbox.OutboxQuery{})
			require.NoError(t, err)
			require.Len(t, list, 1)
			requireSame(t, first, list[0])
		})
	})
	t.Run("ListFiltersAndDueOrder", func(t *testing.T) {
		h := setup(t, newStore)
		names := map[string]string{}
		h.update(func(tx driver.Tx) {
			for _, spec := range []struct {
				name, msg string
				status    inbox.OutboxStatus
				next      time.Duration
			}{
				{"a", "m1", inbox.OutboxPending, 3 * time.Minute},
				{"b", "m1", inbox.OutboxFailed, time.Minute},
				{"c", "m2", inbox.OutboxPending, -time.Minute},
				{"d", "m3", inbox.OutboxPending, 2 * time.Minute},
				{"e", "m4", inbox.OutboxSent, 0},
			} {
				o := inbox.OutboxItem{MessageID: spec.msg, Status: spec.status, NextAttemptAt: at(spec.next), IdempotencyKey: "k-" + spec.name}
				require.NoError(t, tx.EnqueueOutbox(&o))
				names[o.ID] = spec.name
			}
		})
		h.view(func(tx driver.Tx) {
			for _, tc := range []struct {
				q    inbox.OutboxQuery
				want []string
			}{
				{inbox.OutboxQuery{}, []string{"c", "e", "b", "d", "a"}},
				{inbox.OutboxQuery{Status: inbox.OutboxPending}, []string{"c", "d", "a"}},
				{inbox.OutboxQuery{Status: inbox.OutboxPending, DueBefore: at(2 * time.Minute)}, []string{"c"}},
				{inbox.OutboxQuery{Status: inbox.OutboxPending, DueBefore: at(2*time.Minute + time.Microsecond)}, []string{"c", "d"}},
				{inbox.OutboxQuery{Status: inbox.OutboxPending, Limit: 2}, []string{"c", "d"}},
				{inbox.OutboxQuery{MessageID: "m1"}, []string{"b", "a"}},
				{inbox.OutboxQuery{MessageID: "m9"}, nil},
			} {
				list, err := tx.ListOutbox(tc.q)
				require.NoError(t, err)
				var got []string
				for _, o := range list {
					got = append(got, names[o.ID])
				}
				require.Equal(t, tc.want, got, "%+v", tc.q)
			}
		})
	})
}

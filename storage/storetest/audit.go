package storetest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
)

// getAudit finds an audit entry by id through ListAudit.
func getAudit(tx driver.Tx, id string) (inbox.AuditEntry, error) {
	list, err := tx.ListAudit(inbox.AuditQuery{EntityID: "", Limit: 500})
	if err != nil {
		return inbox.AuditEntry{}, err
	}
	for _, e := range list {
		if e.ID == id {
			return e, nil
		}
	}
	return inbox.AuditEntry{}, inbox.ErrNotFound
}

// appendAudit appends one entry. AppendAudit takes values, so the id and
// tenant it assigns cannot reach the caller: set them here the way the
// store must.
func appendAudit(tx driver.Tx, e *inbox.AuditEntry) error {
	if e.ID == "" {
		e.ID = inbox.NewID()
	}
	err := tx.AppendAudit(*e)
	if err == nil && e.TenantID == "" {
		e.TenantID = tx.Tenant()
	}
	return err
}

func testAudit(t *testing.T, newStore NewStoreFunc) {
	checkEntity(t, newStore, entity[inbox.AuditEntry]{
		full: func(*harness) inbox.AuditEntry {
			return inbox.AuditEntry{Actor: "emp-1", Action: "conversation.status", EntityType: "conversation",
				EntityID: "conv-1", ConversationID: "conv-1",
				Before: json.RawMessage(`{"status": "new"}`), After: json.RawMessage(`{"status": "open", "by": ["emp-1"]}`),
				At: t0.In(paris)}
		},
		minimal:   func(*harness) inbox.AuditEntry { return inbox.AuditEntry{Action: "x"} },
		create:    appendAudit,
		get:       getAudit,
		id:        func(v *inbox.AuditEntry) *string { return &v.ID },
		tenant:    func(v *inbox.AuditEntry) *inbox.TenantID { return &v.TenantID },
		createdAt: func(v *inbox.AuditEntry) *time.Time { return &v.At },
	})
	t.Run("ListNewestFirstWithFilters", func(t *testing.T) {
		h := setup(t, newStore)
		entries := []inbox.AuditEntry{
			{ID: "audit-a", Action: "a", EntityID: "m-1", ConversationID: "c-1", At: at(time.Minute)},
			{ID: "audit-b", Action: "b", EntityID: "m-2", ConversationID: "c-1", At: at(3 * time.Minute)},
			{ID: "audit-c", Action: "c", EntityID: "c-2", ConversationID: "c-2", At: at(2 * time.Minute)},
			{ID: "audit-d", Action: "d", EntityID: "m-1", ConversationID: "c-1", At: at(3 * time.Minute)},
		}
		h.update(func(tx driver.Tx) {
			require.NoError(t, tx.AppendAudit(entries[:2]...))
			require.NoError(t, tx.AppendAudit(entries[2:]...))
			require.NoError(t, tx.AppendAudit())
		})
		h.view(func(tx driver.Tx) {
			for _, tc := range []struct {
				q    inbox.AuditQuery
				want []string
			}{
				{inbox.AuditQuery{}, []string{"d", "b", "c", "a"}},
				{inbox.AuditQuery{ConversationID: "c-1"}, []string{"d", "b", "a"}},
				{inbox.AuditQuery{EntityID: "m-1"}, []string{"d", "a"}},
				{inbox.AuditQuery{Since: at(2 * time.Minute)}, []string{"d", "b", "c"}},
				{inbox.AuditQuery{Until: at(3 * time.Minute)}, []string{"c", "a"}},
				{inbox.AuditQuery{Since: at(2 * time.Minute), Until: at(3 * time.Minute)}, []string{"c"}},
				{inbox.AuditQuery{Limit: 2}, []string{"d", "b"}},
				{inbox.AuditQuery{ConversationID: "c-9"}, nil},
			} {
				list, err := tx.ListAudit(tc.q)
				require.NoError(t, err)
				var got []string
				for _, e := range list {
					got = append(got, e.Action)
				}
				require.Equal(t, tc.want, got, "%+v", tc.q)
			}
		})
	})
	t.Run("AssignsIDTenantAndTime", func(t *testing.T) {
		h := setup(t, newStore)
		h.update(func(tx driver.Tx) {
			require.NoError(t, tx.AppendAudit(inbox.AuditEntry{Action: "x"}, inbox.AuditEntry{Action: "y"}))
		})
		h.view(func(tx driver.Tx) {
			list, err := tx.ListAudit(inbox.AuditQuery{})
			require.NoError(t, err)
			require.Len(t, list, 2)
			for _, e := range list {
				require.NotEmpty(t, e.ID)
				require.Equal(t, h.tenant, e.TenantID)
				require.False(t, e.At.IsZero())
			}
			require.NotEqual(t, list[0].ID, list[1].ID)
		})
	})
	t.Run("AppendOnly", func(t *testing.T) {
		h := setup(t, newStore)
		h.update(func(tx driver.Tx) {
			require.NoError(t, tx.AppendAudit(inbox.AuditEntry{ID: "audit-1", Action: "original", At: t0}))
		})
		h.update(func(tx driver.Tx) {
			err := tx.AppendAudit(inbox.AuditEntry{ID: "audit-2", Action: "new", At: t0}, inbox.AuditEntry{ID: "audit-1", Action: "rewritten", At: t0})
			require.ErrorIs(t, err, inbox.ErrConflict)
		})
		h.view(func(tx driver.Tx) {
			list, err := tx.ListAudit(inbox.AuditQuery{})
			require.NoError(t, err)
			require.Len(t, list, 1, "a refused append writes none of its entries")
			require.Equal(t, "original", list[0].Action)
		})
	})
	t.Run("DefaultLimit", func(t *testing.T) {
		h := setup(t, newStore)
		h.update(func(tx driver.Tx) {
			batch := make([]inbox.AuditEntry, 120)
			for i := range batch {
				batch[i] = inbox.AuditEntry{Action: "x", At: at(time.Duration(i) * time.Second)}
			}
			require.NoError(t, tx.AppendAudit(batch...))
		})
		h.view(func(tx driver.Tx) {
			list, err := tx.ListAudit(inbox.AuditQuery{})
			require.NoError(t, err)
			require.Len(t, list, 100)
			require.Equal(t, at(119*time.Second), list[0].At)
		})
	})
}

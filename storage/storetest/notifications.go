package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
)

// getNotification finds a notification by id through ListNotifications.
func getNotification(tx driver.Tx, id string) (inbox.Notification, error) {
	list, err := tx.ListNotifications(inbox.NotificationQuery{Limit: 500})
	if err != nil {
		return inbox.Notification{}, err
	}
	for _, n := range list {
		if n.ID == id {
			return n, nil
		}
	}
	return inbox.Notification{}, inbox.ErrNotFound
}

func testNotifications(t *testing.T, newStore NewStoreFunc) {
	checkEntity(t, newStore, entity[inbox.Notification]{
		full: func(*harness) inbox.Notification {
			return inbox.Notification{UserID: "emp-1", Kind: "mention", ConversationID: "conv-1", Text: "Élodie vous a mentionné",
				CreatedAt: t0.In(paris), ReadAt: at(time.Hour).In(paris)}
		},
		minimal:   func(*harness) inbox.Notification { return inbox.Notification{UserID: "emp-1"} },
		create:    func(tx driver.Tx, v *inbox.Notification) error { return tx.CreateNotification(v) },
		get:       getNotification,
		id:        func(v *inbox.Notification) *string { return &v.ID },
		tenant:    func(v *inbox.Notification) *inbox.TenantID { return &v.TenantID },
		createdAt: func(v *inbox.Notification) *time.Time { return &v.CreatedAt },
	})
	t.Run("ListAndMarkRead", func(t *testing.T) {
		h := setup(t, newStore)
		ids := map[string]string{}
		h.update(func(tx driver.Tx) {
			for _, spec := range []struct {
				text, user string
				created    time.Duration
			}{
				{"a", "emp-1", time.Minute},
				{"b", "emp-2", 2 * time.Minute},
				{"c", "emp-1", 3 * time.Minute},
				{"d", "emp-1", 0},
			} {
				n := inbox.Notification{UserID: spec.user, Kind: "assigned", Text: spec.text, CreatedAt: at(spec.created)}
				require.NoError(t, tx.CreateNotification(&n))
				ids[spec.text] = n.ID
			}
		})
		h.update(func(tx driver.Tx) {
			require.NoError(t, tx.MarkNotificationRead(ids["c"], at(time.Hour)))
			require.NoError(t, tx.MarkNotificationRead(ids["c"], at(2*time.Hour)), "marking twice is harmless")
			require.ErrorIs(t, tx.MarkNotificationRead("no-such-id", at(time.Hour)), inbox.ErrNotFound)
		})
		h.view(func(tx driver.Tx) {
			for _, tc := range []struct {
				q    inbox.NotificationQuery
				want []string
			}{
				{inbox.NotificationQuery{UserID: "emp-1"}, []string{"c", "a", "d"}},
				{inbox.NotificationQuery{UserID: "emp-1", UnreadOnly: true}, []string{"a", "d"}},
				{inbox.NotificationQuery{UserID: "emp-1", Limit: 1}, []string{"c"}},
				{inbox.NotificationQuery{}, []string{"c", "b", "a", "d"}},
				{inbox.NotificationQuery{UserID: "emp-9"}, nil},
			} {
				list, err := tx.ListNotifications(tc.q)
				require.NoError(t, err)
				var got []string
				for _, n := range list {
					got = append(got, n.Text)
				}
				require.Equal(t, tc.want, got, "%+v", tc.q)
			}
			n, err := getNotification(tx, ids["c"])
			require.NoError(t, err)
			require.Equal(t, at(time.Hour), n.ReadAt, "the first read time is kept")
		})
	})
}

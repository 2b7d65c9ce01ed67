package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
)

func integrationEntity() entity[inbox.Integration] {
	return entity[inbox.Integration]{
		full:    func(*harness) inbox.Integration { return fullIntegration() },
		minimal: func(*harness) inbox.Integration { return inbox.Integration{Kind: inbox.SourceSMS, Name: "sms"} },
		create:  func(tx driver.Tx, v *inbox.Integration) error { return tx.CreateIntegration(v) },
		get:     func(tx driver.Tx, id string) (inbox.Integration, error) { return tx.GetIntegration(id) },
		update:  func(tx driver.Tx, v *inbox.Integration) error { return tx.UpdateIntegration(v) },
		change: func(v *inbox.Integration) {
			v.Kind = inbox.SourceWebhook
			v.Name = "renamed"
			v.Enabled = !v.Enabled
			v.Config = map[string]string{"url": "https://hooks.example/in"}
			v.Secrets = map[string][]byte{"signing_key": []byte("sealed")}
			v.UpdatedAt = at(48 * time.Hour)
			// Sync state is not written by UpdateIntegration.
			v.Cursor = "rewound"
			v.Status = inbox.IntegrationError
			v.LastSync = inbox.SyncReport{Fetched: 1}
		},
		fixed: func(v *inbox.Integration, stored inbox.Integration) {
			v.Cursor, v.Status, v.LastSync = stored.Cursor, stored.Status, stored.LastSync
		},
		id:        func(v *inbox.Integration) *string { return &v.ID },
		tenant:    func(v *inbox.Integration) *inbox.TenantID { return &v.TenantID },
		createdAt: func(v *inbox.Integration) *time.Time { return &v.CreatedAt },
		version:   func(v *inbox.Integration) *int64 { return &v.Version },
	}
}

func testIntegrations(t *testing.T, newStore NewStoreFunc) {
	checkEntity(t, newStore, integrationEntity())

	t.Run("SetCursorWithoutVersion", func(t *testing.T) {
		h := setup(t, newStore)
		in := fullIntegration()
		h.update(func(tx driver.Tx) { require.NoError(t, tx.CreateIntegration(&in)) })
		h.update(func(tx driver.Tx) { require.NoError(t, tx.SetIntegrationCursor(in.ID, "uid=43")) })
		h.view(func(tx driver.Tx) {
			got, err := tx.GetIntegration(in.ID)
			require.NoError(t, err)
			require.Equal(t, "uid=43", got.Cursor)
			require.EqualValues(t, 1, got.Version, "a cursor move must not change the version")
		})
		// An admin edit made from the version read before the cursor moved
		// succeeds and keeps the new cursor.
		in.Name = "renamed"
		h.update(func(tx driver.Tx) { require.NoError(t, tx.UpdateIntegration(&in)) })
		h.view(func(tx driver.Tx) {
			got, err := tx.GetIntegration(in.ID)
			require.NoError(t, err)
			require.Equal(t, "uid=43", got.Cursor)
			require.Equal(t, "renamed", got.Name)
		})
	})
	t.Run("SetStatus", func(t *testing.T) {
		h := setup(t, newStore)
		in := inbox.Integration{Kind: inbox.SourceEmail, Name: "mail"}
		h.update(func(tx driver.Tx) { require.NoError(t, tx.CreateIntegration(&in)) })
		report := inbox.SyncReport{
			StartedAt: t0.In(paris), FinishedAt: at(2 * time.Second).In(paris),
			Fetched: 5, New: 3, Duplicates: 1, Quarantined: 1, Skipped: 0,
			Errors:   []string{"login failed: bad credentials"},
			Failures: 3, FailingSince: at(-time.Hour).In(paris), NextAttempt: at(8 * time.Minute).In(paris),
			Problem: "The mail server refused the login of support@example.com: check the user name and password.",
		}
		h.update(func(tx driver.Tx) {
			require.NoError(t, tx.SetIntegrationStatus(in.ID, inbox.IntegrationAuthFailed, report))
		})
		h.view(func(tx driver.Tx) {
			got, err := tx.GetIntegration(in.ID)
			require.NoError(t, err)
			require.Equal(t, inbox.IntegrationAuthFailed, got.Status)
			requireSame(t, report, got.LastSync)
			require.EqualValues(t, 1, got.Version)
			require.Equal(t, "mail", got.Name)
		})
	})
	t.Run("SetCursorAndStatusUnknownNotFound", func(t *testing.T) {
		h := setup(t, newStore)
		h.update(func(tx driver.Tx) {
			require.ErrorIs(t, tx.SetIntegrationCursor("no-such-id", "c"), inbox.ErrNotFound)
			require.ErrorIs(t, tx.SetIntegrationStatus("no-such-id", inbox.IntegrationOK, inbox.SyncReport{}), inbox.ErrNotFound)
		})
	})
	t.Run("ListOrderedByNameThenID", func(t *testing.T) {
		h := setup(t, newStore)
		var want []string
		h.update(func(tx driver.Tx) {
			for _, name := range []string{"sms", "mail", "hook", "mail"} {
				in := inbox.Integration{Kind: inbox.SourceEmail, Name: name}
				require.NoError(t, tx.CreateIntegration(&in))
				want = append(want, name+"/"+in.ID)
			}
		})
		slices.Sort(want)
		h.view(func(tx driver.Tx) {
			list, err := tx.ListIntegrations()
			require.NoError(t, err)
			var got []string
			for _, in := range list {
				got = append(got, in.Name+"/"+in.ID)
			}
			require.Equal(t, want, got)
		})
	})
	t.Run("Delete", func(t *testing.T) {
		h := setup(t, newStore)
		a, b := inbox.Integration{Name: "a", Kind: inbox.SourceSMS}, inbox.Integration{Name: "b", Kind: inbox.SourceSMS}
		h.update(func(tx driver.Tx) {
			require.NoError(t, tx.CreateIntegration(&a))
			require.NoError(t, tx.CreateIntegration(&b))
		})
		h.update(func(tx driver.Tx) { require.NoError(t, tx.DeleteIntegration(a.ID)) })
		h.view(func(tx driver.Tx) {
			_, err := tx.GetIntegration(a.ID)
			require.ErrorIs(t, err, inbox.ErrNotFound)
			list, err := tx.ListIntegrations()
			require.NoError(t, err)
			require.Len(t, list, 1)
			require.Equal(t, b.ID, list[0].ID)
		})
		h.update(func(tx driver.Tx) { require.ErrorIs(t, tx.DeleteIntegration(a.ID), inbox.ErrNotFound) })
	})
}

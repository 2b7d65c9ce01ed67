package storetest

import (
	"cmp"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
)

func contactEntity() entity[inbox.Contact] {
	return entity[inbox.Contact]{
		full:    func(*harness) inbox.Contact { return fullContact() },
		minimal: func(*harness) inbox.Contact { return inbox.Contact{} },
		create:  func(tx driver.Tx, v *inbox.Contact) error { return tx.CreateContact(v) },
		get:     func(tx driver.Tx, id string) (inbox.Contact, error) { return tx.GetContact(id) },
		update:  func(tx driver.Tx, v *inbox.Contact) error { return tx.UpdateContact(v) },
		change: func(v *inbox.Contact) {
			v.Name = "Élodie Martin-Durand"
			v.Emails = append(v.Emails, "elodie@work.example")
			v.Phones = nil
			v.ExternalID = "crm-2002"
			v.UpdatedAt = at(time.Hour)
		},
		id:        func(v *inbox.Contact) *string { return &v.ID },
		tenant:    func(v *inbox.Contact) *inbox.TenantID { return &v.TenantID },
		createdAt: func(v *inbox.Contact) *time.Time { return &v.CreatedAt },
		version:   func(v *inbox.Contact) *int64 { return &v.Version },
	}
}

func testContacts(t *testing.T, newStore NewStoreFunc) {
	checkEntity(t, newStore, contactEntity())

	t.Run("FindByEachIdentity", func(t *testing.T) {
		h := setup(t, newStore)
		c, _ := twoContacts(t, h)
		h.view(func(tx driver.Tx) {
			for _, key := range []inbox.ContactKey{
				{Email: "elodie@example.fr"},
				{Email: "e.martin@example.com"},
				{Phone: "33612345678"},
				{Handle: "chat-1/visitor-7"},
				{ExternalID: "crm-1001"},
				{Email: "elodie@example.fr", Phone: "4915112345678"}, // the first non-empty field decides
			} {
				got, err := tx.FindContact(key)
				require.NoError(t, err, "%+v", key)
				requireSame(t, c, got, "%+v", key)
			}
			for _, key := range []inbox.ContactKey{
				{Email: "nobody@example.com"}, {Phone: "1"}, {Handle: "chat-2/visitor-7"}, {ExternalID: "crm-404"}, {ExternalID: "chat-1/visitor-7"}, {},
			} {
				_, err := tx.FindContact(key)
				require.ErrorIs(t, err, inbox.ErrNotFound, "%+v", key)
			}
		})
	})
	t.Run("FindManyAtOnce", func(t *testing.T) {
		h := setup(t, newStore)
		c, other := twoContacts(t, h)
		h.view(func(tx driver.Tx) {
			keys := []inbox.ContactKey{
				{Email: "elodie@example.fr"}, {Phone: "33612345678"}, {ExternalID: "crm-1001"},
				{Email: "elodie@example.fr", Phone: "4915112345678"}, {Phone: "4915112345678"},
				{Email: "nobody@example.com"}, {ExternalID: "crm-404"}, {},
			}
			got, err := tx.FindContacts(keys)
			require.NoError(t, err)
			require.Len(t, got, 5)
			for _, key := range keys[:4] {
				requireSame(t, c, got[key], "%+v", key)
			}
			requireSame(t, other, got[inbox.ContactKey{Phone: "4915112345678"}])
			for _, key := range keys[5:] {
				// FindContacts agrees with FindContact on every key.
				_, err := tx.FindContact(key)
				require.ErrorIs(t, err, inbox.ErrNotFound)
				require.NotContains(t, got, key)
			}
		})
	})
	t.Run("FindFollowsUpdates", func(t *testing.T) {
		h := setup(t, newStore)
		c := fullContact()
		h.update(func(tx driver.Tx) { require.NoError(t, tx.CreateContact(&c)) })
		c.Emails = []string{"new@example.fr"}
		c.Phones = []string{"33700000000"}
		c.ExternalID = ""
		c.Handles = nil
		h.update(func(tx driver.Tx) { require.NoError(t, tx.UpdateContact(&c)) })
		h.view(func(tx driver.Tx) {
			for _, key := range []inbox.ContactKey{{Email: "elodie@example.fr"}, {Phone: "33612345678"}, {Handle: "chat-1/visitor-7"}, {ExternalID: "crm-1001"}} {
				_, err := tx.FindContact(key)
				require.ErrorIs(t, err, inbox.ErrNotFound, "old identity %+v must be gone", key)
			}
			for _, key := range []inbox.ContactKey{{Email: "new@example.fr"}, {Phone: "33700000000"}} {
				got, err := tx.FindContact(key)
				require.NoError(t, err, "%+v", key)
				require.Equal(t, c.ID, got.ID)
			}
		})
	})
	t.Run("IdentitiesAreUnique", func(t *testing.T) {
		h := setup(t, newStore)
		c := fullContact()
		h.update(func(tx driver.Tx) { require.NoError(t, tx.CreateContact(&c)) })
		for _, dup := range []inbox.Contact{
			{Name: "dup email", Emails: []string{"x@example.com", "e.martin@example.com"}},
			{Name: "dup phone", Phones: []string{"33612345678"}},
			{Name: "dup external", ExternalID: "crm-1001"},
			{Name: "dup handle", Handles: []string{"chat-1/visitor-7"}},
		} {
			h.update(func(tx driver.Tx) {
				require.ErrorIs(t, tx.CreateContact(&dup), inbox.ErrConflict, dup.Name)
				_, err := tx.FindContact(inbox.ContactKey{Email: "x@example.com"})
				require.ErrorIs(t, err, inbox.ErrNotFound, "a refused contact leaves no identity behind")
			})
		}
		free := inbox.Contact{Name: "free", Emails: []string{"free@example.com"}}
		h.update(func(tx driver.Tx) { require.NoError(t, tx.CreateContact(&free)) })
		free.Phones = []string{"33612345678"}
		h.update(func(tx driver.Tx) { require.ErrorIs(t, tx.UpdateContact(&free), inbox.ErrConflict) })
		h.view(func(tx driver.Tx) {
			got, err := tx.FindContact(inbox.ContactKey{Phone: "33612345678"})
			require.NoError(t, err)
			require.Equal(t, c.ID, got.ID)
			got, err = tx.GetContact(free.ID)
			require.NoError(t, err)
			require.Empty(t, got.Phones)
			require.EqualValues(t, 1, got.Version)
		})
	})
	t.Run("Delete", func(t *testing.T) {
		h := setup(t, newStore)
		c := fullContact()
		h.update(func(tx driver.Tx) { require.NoError(t, tx.CreateContact(&c)) })
		h.update(func(tx driver.Tx) { require.NoError(t, tx.DeleteContact(c.ID)) })
		h.view(func(tx driver.Tx) {
			_, err := tx.GetContact(c.ID)
			require.ErrorIs(t, err, inbox.ErrNotFound)
			_, err = tx.FindContact(inbox.ContactKey{Email: "elodie@example.fr"})
			require.ErrorIs(t, err, inbox.ErrNotFound)
		})
		h.update(func(tx driver.Tx) {
			require.ErrorIs(t, tx.DeleteContact(c.ID), inbox.ErrNotFound)
			again := fullContact()
			require.NoError(t, tx.CreateContact(&again), "identities of a deleted contact are free again")
		})
	})
	t.Run("ListSearchAndPaging", func(t *testing.T) {
		h := setup(t, newStore)
		names := []string{"zoe", "adam", "Béatrice", "adam", "", "chloe", "brice", "Noémie"}
		var all []inbox.Contact
		h.update(func(tx driver.Tx) {
			for i, n := range names {
				c := inbox.Contact{Name: n, Emails: []string{fmt.Sprintf("c%d@mail%d.example", i, i%2)}, Phones: []string{fmt.Sprintf("3360000%04d", i)}}
				require.NoError(t, tx.CreateContact(&c))
				all = append(all, c)
			}
		})
		sortContacts(all)
		h.view(func(tx driver.Tx) {
			// Unfiltered, in pages of 3.
			var got []inbox.Contact
			cursor := ""
			for range 10 {
				page, err := tx.ListContacts(inbox.ContactQuery{Limit: 3, Cursor: cursor})
				require.NoError(t, err)
				require.LessOrEqual(t, len(page.Items), 3)
				got = append(got, page.Items...)
				cursor = page.NextCursor
				if cursor == "" {
					break
				}
			}
			require.Equal(t, contactIDs(all), contactIDs(got))

			page, err := tx.ListContacts(inbox.ContactQuery{})
			require.NoError(t, err)
			require.Equal(t, contactIDs(all), contactIDs(page.Items))
			require.Empty(t, page.NextCursor)

			for search, want := range map[string][]string{
				"RIC":            {"Béatrice", "brice"},
				"adam":           {"adam", "adam"},
				"  ADAM ":        {"adam", "adam"},
				"noemie":         {"Noémie"},
				"NOÉMIE":         {"Noémie"},
				"@MAIL1.example": {"adam", "adam", "chloe", "Noémie"}, // odd indexes
				"33600000006":    {"brice"},
				"nobody":         nil,
			} {
				page, err := tx.ListContacts(inbox.ContactQuery{Search: search})
				require.NoError(t, err, search)
				var gotNames []string
				for _, c := range page.Items {
					gotNames = append(gotNames, c.Name)
				}
				require.ElementsMatch(t, want, gotNames, search)
			}
			_, err = tx.ListContacts(inbox.ContactQuery{Cursor: "not a cursor"})
			require.ErrorIs(t, err, inbox.ErrInvalid)
		})
	})
	t.Run("ListDefaultLimit", func(t *testing.T) {
		h := setup(t, newStore)
		h.update(func(tx driver.Tx) {
			for i := range 55 {
				c := inbox.Contact{Name: fmt.Sprintf("contact%02d", i)}
				require.NoError(t, tx.CreateContact(&c))
			}
		})
		h.view(func(tx driver.Tx) {
			page, err := tx.ListContacts(inbox.ContactQuery{})
			require.NoError(t, err)
			require.Len(t, page.Items, 50)
			require.NotEmpty(t, page.NextCursor)
			next, err := tx.ListContacts(inbox.ContactQuery{Cursor: page.NextCursor})
			require.NoError(t, err)
			require.Len(t, next.Items, 5)
			require.Empty(t, next.NextCursor)
		})
	})
}

// sortContacts orders contacts as ListContacts must: name, then id.
func sortContacts(cs []inbox.Contact) {
	slices.SortFunc(cs, func(a, b inbox.Contact) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID))
	})
}

func contactIDs(cs []inbox.Contact) []string {
	ids := make([]string, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	return ids
}

// twoContacts stores fullContact and another contact, created first.
func twoContacts(t *testing.T, h *harness) (c, other inbox.Contact) {
	c = fullContact()
	other = inbox.Contact{Name: "Other", Emails: []string{"other@example.com"}, Phones: []string{"4915112345678"}}
	h.update(func(tx driver.Tx) {
		require.NoError(t, tx.CreateContact(&other))
		require.NoError(t, tx.CreateContact(&c))
	})
	return c, other
}

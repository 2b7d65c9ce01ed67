package memstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
	"github.com/inboxkit/inboxkit/storage/memstore"
)

// FuzzCursor feeds arbitrary cursors to ListConversations and
// ListContacts: a cursor is input from API clients, so anything but one
// the store made must be refused with ErrInvalid, never a panic.
func FuzzCursor(f *testing.F) {
	ctx := context.Background()
	store := memstore.New()
	if err := store.CreateTenant(ctx, &inbox.Tenant{ID: "fuzz"}); err != nil {
		f.Fatal(err)
	}
	var seeds []string
	err := store.Update(ctx, "fuzz", func(tx driver.Tx) error {
		for i := range 5 {
			c := inbox.Conversation{Source: inbox.SourceEmail, Status: inbox.Statuses[i], LastMessageAt: time.Unix(int64(i), 0)}
			if err := tx.CreateConversation(&c); err != nil {
				return err
			}
			ct := inbox.Contact{Name: string(rune('a' + i))}
			if err := tx.CreateContact(&ct); err != nil {
				return err
			}
		}
		for _, s := range []inbox.Sort{inbox.SortNewest, inbox.SortOldest, inbox.SortPriority, inbox.SortStatus} {
			page, err := tx.ListConversations(inbox.ConversationQuery{Sort: s, Limit: 2})
			if err != nil {
				return err
			}
			seeds = append(seeds, page.NextCursor)
		}
		page, err := tx.ListContacts(inbox.ContactQuery{Limit: 2})
		seeds = append(seeds, page.NextCursor)
		return err
	})
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range append(seeds, "", "e30", "eyJzIjoiIn0", "!!!") {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, cursor string) {
		err := store.View(ctx, "fuzz", func(tx driver.Tx) error {
			for _, s := range []inbox.Sort{inbox.SortNewest, inbox.SortPriority} {
				page, err := tx.ListConversations(inbox.ConversationQuery{Sort: s, Cursor: cursor})
				if err != nil && !errors.Is(err, inbox.ErrInvalid) {
					t.Fatalf("cursor %q: %v", cursor, err)
				}
				if len(page.Items) > 5 {
					t.Fatalf("cursor %q: %d items", cursor, len(page.Items))
				}
			}
			if _, err := tx.ListContacts(inbox.ContactQuery{Cursor: cursor}); err != nil && !errors.Is(err, inbox.ErrInvalid) {
				t.Fatalf("contact cursor %q: %v", cursor, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

package sqlite_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
	"github.com/inboxkit/inboxkit/storage/sqlite"
)

// Example opens a store in a file, ingests a mail through the engine and
// finds it again with an accent-free search.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "sqlite-example")
	defer os.RemoveAll(dir)

	store, err := sqlite.Open(ctx, filepath.Join(dir, "inbox.db"), sqlite.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer store.Close()
	_ = store.CreateTenant(ctx, &inbox.Tenant{ID: "acme", Name: "Acme"})
	eng, _ := inbox.New(inbox.Options{Store: store})
	defer eng.Close()
	_, _ = eng.Ingest(ctx, "acme", []inbox.Inbound{{
		Source: inbox.SourceEmail, MessageID: "1@example.fr", Subject: "Problème de livraison",
		From: inbox.Party{Name: "Éléonore", Email: "eleonore@example.fr"}, Text: "Mon colis n'est pas arrivé.",
	}})

	_ = store.View(ctx, "acme", func(tx driver.Tx) error {
		page, err := tx.ListConversations(inbox.ConversationQuery{Search: `probleme from:eleonore "colis n est"`})
		if err != nil {
			return err
		}
		for _, c := range page.Items {
			fmt.Println(c.Subject, c.Unread)
		}
		return nil
	})
	// Output: Problème de livraison 1
}

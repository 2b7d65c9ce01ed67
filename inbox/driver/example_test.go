package driver_test

import (
	"context"
	"fmt"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
	"github.com/inboxkit/inboxkit/storage/memstore"
)

// A host's test reads what the engine stored through the store's View:
// the engine did the writing, with its rules.
func ExampleStore_View() {
	ctx := context.Background()
	var store driver.Store = memstore.New()
	eng, _ := inbox.New(inbox.Options{Store: store})
	defer eng.Close()
	_, _ = eng.CreateTenant(ctx, inbox.Tenant{ID: "acme", Name: "Acme"}, inbox.Change{Actor: "setup"})
	_, _ = eng.SaveFolder(ctx, "acme", inbox.Folder{Name: "Factures"}, inbox.Change{Actor: "claire"})

	_ = store.View(ctx, "acme", func(tx driver.Tx) error {
		folders, err := tx.ListFolders()
		for _, f := range folders {
			fmt.Println(f.Name, f.Version)
		}
		return err
	})
	// Output:
	// Factures 1
}

package memstore_test

import (
	"context"
	"fmt"
	"log"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
	"github.com/inboxkit/inboxkit/storage/memstore"
)

// A host's test needs only memstore and the engine: ingest a message, then
// read the conversation it started.
func Example() {
	ctx := context.Background()
	store := memstore.New()
	defer store.Close()
	if err := store.CreateTenant(ctx, &inbox.Tenant{ID: "acme", Name: "Acme"}); err != nil {
		log.Fatal(err)
	}
	eng, err := inbox.New(inbox.Options{Store: store})
	if err != nil {
		log.Fatal(err)
	}
	defer eng.Close()

	in := inbox.Inbound{
		IntegrationID: "sms-1", Source: inbox.SourceSMS, ProviderID: "SM-1",
		From: inbox.Party{Phone: "+33 6 12 34 56 78"}, Text: "Bonjour, où est ma commande ?",
	}
	for range 2 { // the second delivery is recognised as a duplicate
		res, err := eng.Ingest(ctx, "acme", []inbox.Inbound{in})
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(res.Items[0].Status)
	}

	err = store.View(ctx, "acme", func(tx driver.Tx) error {
		page, err := tx.ListConversations(inbox.ConversationQuery{Search: "ou est ma COMMANDE"})
		if err != nil {
			return err
		}
		for _, c := range page.Items {
			contact, err := tx.GetContact(c.ContactID)
			if err != nil {
				return err
			}
			fmt.Println(c.Source, c.Status, c.Unread, contact.Phones)
		}
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	// Output:
	// stored
	// duplicate
	// sms new 1 [33612345678]
}

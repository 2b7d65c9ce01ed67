package reply_test

import (
	"context"
	"fmt"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/reply"
	"github.com/inboxkit/inboxkit/storage/memstore"
)

func ExampleKnowledge() {
	ctx := context.Background()
	store := memstore.New()
	_ = store.CreateTenant(ctx, &inbox.Tenant{ID: "maison-lumiere", Name: "Maison Lumière"})

	kb, err := reply.NewKnowledge(reply.KnowledgeOptions{Store: store})
	if err != nil {
		panic(err)
	}
	_, err = kb.Add(ctx, "maison-lumiere", reply.Document{
		Title:  "Livraison",
		Format: reply.FormatMarkdown,
		Body: "# Livraison\n\n## Délais\n\nLes commandes partent sous **48 heures** en Colissimo.\n\n" +
			"## Suivi\n\nLe numéro de suivi arrive par e-mail : [suivre un colis](https://suivi.maison-lumiere.example).",
	}, inbox.Change{Actor: "admin-1"})
	if err != nil {
		panic(err)
	}

	msgs := []inbox.Message{{Direction: inbox.DirectionIn, Author: inbox.AuthorCustomer, Text: "Où est le suivi de mon colis ?"}}
	hits, err := kb.ForConversation(ctx, "maison-lumiere", "Commande", msgs)
	if err != nil {
		panic(err)
	}
	for _, c := range reply.Citations(hits) {
		fmt.Println(c.Excerpt)
	}
	// Output:
	// Livraison › Suivi Le numéro de suivi arrive par e-mail : suivre un colis (https://suivi.maison-lumiere.example).
}

package reply_test

import (
	"context"
	"fmt"
	"os"

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

func ExampleChunk() {
	chunks, err := reply.Chunk(reply.FormatHTML,
		`<h1>Garantie</h1><p>Nos lampes sont garanties <b>2 ans</b>.</p><h2>Exclusions</h2><p>Les ampoules.</p>`,
		reply.ChunkOptions{})
	if err != nil {
		panic(err)
	}
	for _, c := range chunks {
		fmt.Printf("%q\n", c)
	}
	// Output:
	// "Garantie\nNos lampes sont garanties 2 ans."
	// "Garantie › Exclusions\nLes ampoules."
}

// ExampleNewAI wires the AI responder, its knowledge base and automatic
// summaries into an engine.
func ExampleNewAI() {
	ctx := context.Background()
	store := memstore.New()
	client := reply.ClientOptions{APIKey: reply.Secret(os.Getenv("OPENAI_API_KEY"))}

	embedder, err := reply.NewOpenAIEmbedder(reply.OpenAIEmbedderOptions{ClientOptions: client, Model: "text-embedding-3-small"})
	if err != nil {
		panic(err)
	}
	kb, err := reply.NewKnowledge(reply.KnowledgeOptions{Store: store, Embedder: embedder})
	if err != nil {
		panic(err)
	}
	ai, err := reply.NewAI(reply.AIOptions{ClientOptions: client, Model: "gpt-4.1-mini", Knowledge: kb})
	if err != nil {
		panic(err)
	}
	eng, err := inbox.New(inbox.Options{Store: store, Responder: ai})
	if err != nil {
		panic(err)
	}
	defer eng.Close()

	summaries, err := reply.NewSummarizer(reply.SummarizerOptions{ClientOptions: client, Model: "gpt-4.1-mini", MinMessages: 6})
	if err != nil {
		panic(err)
	}
	stop := summaries.Watch(ctx, eng)
	defer stop()
}

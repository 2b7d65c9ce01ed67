package inbox_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/storage/memstore"
)

// A customer's reply joins the conversation of the mail it answers, and the
// same mail fetched twice is stored once.
func Example() {
	ctx := context.Background()
	eng, err := inbox.New(inbox.Options{Store: memstore.New()})
	if err != nil {
		panic(err)
	}
	defer eng.Close()
	if _, err := eng.CreateTenant(ctx, inbox.Tenant{ID: "acme", Name: "ACME"}, inbox.Change{Actor: "setup"}); err != nil {
		panic(err)
	}

	question := inbox.Inbound{
		Source: inbox.SourceEmail, IntegrationID: "mailbox", ProviderID: "1:1", MessageID: "q1@example.net",
		From: inbox.Party{Email: "camille@example.net"}, Subject: "Où est ma commande ?", Text: "Bonjour…",
	}
	answer := inbox.Inbound{
		Source: inbox.SourceEmail, IntegrationID: "mailbox", ProviderID: "1:2", MessageID: "q2@example.net",
		InReplyTo: "q1@example.net", From: inbox.Party{Email: "camille@example.net"},
		Subject: "Re: Où est ma commande ?", Text: "Toujours rien reçu.",
	}
	res, err := eng.Ingest(ctx, "acme", []inbox.Inbound{question, answer, question})
	if err != nil {
		panic(err)
	}
	for _, it := range res.Items {
		fmt.Println(strings.TrimSpace(string(it.Status) + " " + it.Reason))
	}
	fmt.Println("same conversation:", res.Items[0].ConversationID == res.Items[1].ConversationID)
	// Output:
	// stored new conversation
	// stored in-reply-to <q1@example.net>
	// duplicate
	// same conversation: true
}

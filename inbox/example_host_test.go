package inbox_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/storage/memstore"
)

// chat is a host's own channel kind, a website chat: the engine stores
// what it receives like any message, and delivers agents' answers through
// Send.
type chat struct{ integration string }

func (c chat) Kind() inbox.Source    { return "chat" }
func (c chat) IntegrationID() string { return c.integration }

func (c chat) Send(_ context.Context, out inbox.Outbound) (string, error) {
	fmt.Printf("chat to %s: %s\n", out.Contact.Name, out.Message.Text)
	return "chat-" + out.Message.ID, nil
}

// exampleEngine is an engine on the in-memory store with tenant "acme" and
// a chat integration, whose id it returns.
func exampleEngine(opts inbox.Options) (*inbox.Engine, string) {
	ctx := context.Background()
	opts.Store = memstore.New()
	opts.Channels = map[inbox.Source]inbox.ChannelFactory{
		"chat": func(_ context.Context, in inbox.Integration, _ inbox.SecretFunc) (inbox.Channel, error) {
			return chat{in.ID}, nil
		},
	}
	eng, err := inbox.New(opts)
	if err != nil {
		panic(err)
	}
	setup := inbox.Change{Actor: "setup"}
	if _, err := eng.CreateTenant(ctx, inbox.Tenant{ID: "acme", Name: "Acme"}, setup); err != nil {
		panic(err)
	}
	name, on := "Website chat", true
	in, err := eng.CreateIntegration(ctx, "acme", inbox.IntegrationChange{Kind: "chat", Name: &name, Enabled: &on}, setup)
	if err != nil {
		panic(err)
	}
	return eng, in.ID
}

// said is a visitor's chat message.
func said(integration, id, visitor, text string) inbox.Inbound {
	return inbox.Inbound{Source: "chat", IntegrationID: integration, ProviderID: id,
		From: inbox.Party{ID: visitor, Name: visitor}, Text: text}
}

// mail is a customer's email as a channel hands it to the engine.
func mail(id, from, subject, text string) inbox.Inbound {
	return inbox.Inbound{Source: inbox.SourceEmail, IntegrationID: "mailbox", ProviderID: id, MessageID: id + "@example.net",
		From: inbox.Party{Email: from}, Subject: subject, Text: text, SentAt: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
}

// Subscribe feeds a host's CRM timeline or a page's live updates: events
// carry ids and never message content, which the host reads through the
// Engine.
func ExampleEngine_Subscribe() {
	ctx := context.Background()
	eng, chatID := exampleEngine(inbox.Options{})
	defer eng.Close()
	var mu sync.Mutex
	var seen []string
	cancel := eng.Subscribe(func(ev inbox.Event) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, fmt.Sprintf("%s %s", ev.Type, ev.Direction))
	})
	res, err := eng.Ingest(ctx, "acme", []inbox.Inbound{said(chatID, "c1", "Camille", "Où en est ma commande ?")})
	if err != nil {
		panic(err)
	}
	conv := res.Items[0].ConversationID
	if _, err := eng.Reply(ctx, "acme", conv, inbox.ReplyRequest{Text: "Elle part demain."}, inbox.Change{Actor: "claire"}); err != nil {
		panic(err)
	}
	_, _ = eng.DeliverOutbox(ctx, "acme") // Run does this continuously
	cancel()                              // delivers what was queued, then stops
	for _, s := range seen {
		fmt.Println(strings.TrimSpace(s))
	}
	// Output:
	// chat to Camille: Elle part demain.
	// conversation.created
	// message.received in
	// conversation.updated
	// message.created out
	// message.sent out
}

// Conversations lists and searches: operators, quoted phrases and prefixes
// mean the same on every store.
func ExampleEngine_Conversations() {
	ctx := context.Background()
	eng, _ := exampleEngine(inbox.Options{})
	defer eng.Close()
	_, _ = eng.Ingest(ctx, "acme", []inbox.Inbound{
		mail("m1", "camille@example.net", "Facture de mars", "Pouvez-vous renvoyer la facture ?"),
		mail("m2", "julien@example.net", "Facture en double", "J'ai reçu deux factures."),
		mail("m3", "camille@example.net", "Rendez-vous", "Un créneau jeudi ?"),
	})
	for _, q := range []string{"facture", "from:camille factu*", `"deux factures"`, "from:camille is:unread"} {
		page, err := eng.Conversations(ctx, "acme", inbox.ConversationQuery{Search: q, WithTotal: true})
		if err != nil {
			panic(err)
		}
		var subjects []string
		for _, c := range page.Items {
			subjects = append(subjects, c.Subject)
		}
		slices.Sort(subjects)
		fmt.Printf("%-24s %d %q\n", q, page.Total, subjects)
	}
	// Output:
	// facture                  2 ["Facture de mars" "Facture en double"]
	// from:camille factu*      1 ["Facture de mars"]
	// "deux factures"          1 ["Facture en double"]
	// from:camille is:unread   2 ["Facture de mars" "Rendez-vous"]
}

// crm is a host's client directory: the engine asks it for the client of
// every new contact, as background work, and stores the answer as
// Contact.ExternalID.
type crm struct{}

func (crm) LinkContact(_ context.Context, _ inbox.TenantID, c inbox.Contact) (string, error) {
	if len(c.Emails) == 0 {
		return "", nil // leave it unlinked
	}
	return "client:" + c.Emails[0], nil
}

func ExampleContactDirectory() {
	ctx := context.Background()
	eng, _ := exampleEngine(inbox.Options{Contacts: crm{}})
	defer eng.Close()
	res, _ := eng.Ingest(ctx, "acme", []inbox.Inbound{mail("m1", "camille@example.net", "Bonjour", "Une question.")})
	_, _ = eng.DoWork(ctx, "acme") // Run does this continuously
	conv, _ := eng.Conversation(ctx, "acme", res.Items[0].ConversationID)
	contact, _ := eng.ContactRecord(ctx, "acme", conv.ContactID)
	fmt.Println(contact.ExternalID)
	// Output:
	// client:camille@example.net
}

// Stats measure the inbox over a period: volume, first response and
// resolution, per agent and per period.
func ExampleEngine_Stats() {
	ctx := context.Background()
	eng, chatID := exampleEngine(inbox.Options{})
	defer eng.Close()
	res, _ := eng.Ingest(ctx, "acme", []inbox.Inbound{
		said(chatID, "c1", "Camille", "Où en est ma commande ?"),
		said(chatID, "c2", "Julien", "Comment renvoyer la lampe ?"),
	})
	conv := res.Items[0].ConversationID
	claire := inbox.Change{Actor: "claire"}
	for _, step := range []func() error{
		func() error { _, err := eng.Assign(ctx, "acme", conv, "claire", claire); return err },
		func() error {
			_, err := eng.Reply(ctx, "acme", conv, inbox.ReplyRequest{Text: "Elle part demain."}, claire)
			return err
		},
		func() error { _, err := eng.DeliverOutbox(ctx, "acme"); return err },
		func() error { _, err := eng.SetStatus(ctx, "acme", conv, inbox.StatusResolved, claire); return err },
	} {
		if err := step(); err != nil {
			panic(err)
		}
	}

	st, err := eng.Stats(ctx, "acme", inbox.StatsQuery{From: time.Now().Add(-24 * time.Hour), To: time.Now().Add(time.Hour)})
	if err != nil {
		panic(err)
	}
	fmt.Println("conversations:", st.Conversations, "resolved:", st.ByStatus[inbox.StatusResolved])
	fmt.Println("answered:", st.FirstResponse.Count, "by claire:", st.ByAgent["claire"].Resolved)
	// Output:
	// chat to Camille: Elle part demain.
	// conversations: 2 resolved: 1
	// answered: 1 by claire: 1
}

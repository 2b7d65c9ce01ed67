// Command chatchannel shows a host's own channel kind end to end: a
// website chat service (package chat) is registered with the engine next
// to the shipped channels, its integration is created through the Engine
// (settings checked against its schema, token sealed, connection
// tested), a visitor's message is synced into a conversation, and an
// agent's answer is delivered back through the chat service.
//
//	go run ./examples/chatchannel
package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"os"

	"github.com/inboxkit/inboxkit/examples/chatchannel/chat"
	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/seal"
	"github.com/inboxkit/inboxkit/storage/memstore"
)

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, w io.Writer) error {
	// The chat service the host already runs (here, in process).
	backend := chat.NewBackend("chat-api-token")
	srv := httptest.NewServer(backend)
	defer srv.Close()

	key := make([]byte, 32)
	_, _ = rand.Read(key)
	sealer, err := seal.New(seal.Options{Keys: []seal.Key{{ID: "k1", Material: key}}})
	if err != nil {
		return err
	}
	eng, err := inbox.New(inbox.Options{
		Store:    memstore.New(),
		Sealer:   sealer,
		Channels: map[inbox.Source]inbox.ChannelFactory{chat.Kind: chat.Factory(chat.FactoryOptions{})},
		Schemas:  map[inbox.Source]inbox.IntegrationSchema{chat.Kind: chat.Schema},
	})
	if err != nil {
		return err
	}
	defer eng.Close()

	admin := inbox.Change{Actor: "admin"}
	tenant, err := eng.CreateTenant(ctx, inbox.Tenant{ID: "acme", Name: "Acme Lamps"}, admin)
	if err != nil {
		return err
	}
	name := "Website chat"
	integ, err := eng.CreateIntegration(ctx, tenant.ID, inbox.IntegrationChange{
		Kind: chat.Kind, Name: &name,
		Config:  map[string]string{chat.ConfigURL: srv.URL},
		Secrets: map[string]string{chat.SecretToken: "chat-api-token"},
		Test:    true,
	}, admin)
	if err != nil {
		return err
	}

	backend.Post("visitor-42", "Ada", "Is the blue lamp in stock?")
	rep, err := eng.Sync(ctx, tenant.ID, integ.ID)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "synced %d new message(s)\n", rep.New)

	page, err := eng.Conversations(ctx, tenant.ID, inbox.ConversationQuery{Search: "source:chat lamp"})
	if err != nil {
		return err
	}
	if len(page.Items) != 1 {
		return fmt.Errorf("expected one chat conversation, got %d", len(page.Items))
	}
	conv := page.Items[0]
	contact, err := eng.ContactRecord(ctx, tenant.ID, conv.ContactID)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "conversation from %s (%s), known as %v\n", contact.Name, conv.Source, contact.Handles)

	if _, err := eng.Reply(ctx, tenant.ID, conv.ID, inbox.ReplyRequest{Text: "Yes, three left."}, inbox.Change{Actor: "agent-1"}); err != nil {
		return err
	}
	if _, err := eng.DeliverOutbox(ctx, tenant.ID); err != nil {
		return err
	}
	for _, r := range backend.Replies() {
		fmt.Fprintf(w, "the chat service received for %s: %q\n", r.VisitorID, r.Text)
	}
	return nil
}

package inboxtest_test

import (
	"fmt"
	"testing"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/inboxtest"
)

// Example is a host's test: a customer writes on the host's own channel
// kind, an agent answers, and the answer is delivered through it.
func Example() {
	t := &testing.T{} // in a real test, the *testing.T of the test function
	env := inboxtest.New(t, inboxtest.Options{})
	chat := env.Integration(t, "Website chat")

	res, _ := env.Engine.Ingest(env.Ctx, env.Tenant, []inbox.Inbound{{
		Source: inboxtest.SenderKind, IntegrationID: chat.ID, ProviderID: "msg-1",
		From: inbox.Party{ID: "visitor-42", Name: "Ada"}, Text: "Is the blue lamp in stock?",
	}})
	conv := res.Items[0].ConversationID
	_, _ = env.Engine.Reply(env.Ctx, env.Tenant, conv, inbox.ReplyRequest{Text: "Yes, 3 left."}, inbox.Change{Actor: "agent-1"})
	_, _ = env.Engine.DeliverOutbox(env.Ctx, env.Tenant)

	for _, out := range env.Sender.Sent() {
		fmt.Printf("to %s: %s\n", out.Contact.Name, out.Message.Text)
	}
	c, _ := env.Engine.Conversation(env.Ctx, env.Tenant, conv)
	fmt.Println(c.Status)
	// Output:
	// to Ada: Yes, 3 left.
	// open
}

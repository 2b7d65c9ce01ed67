package inbox_test

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
)

// A batch whose first message creates a contact with a phone, and whose
// second message comes from that phone alone, lands both on one contact,
// although the batch's contacts were looked up before either existed.
func TestIngestBatchFindsContactsItCreated(t *testing.T) {
	e := newEnv(t, inbox.Options{})
	first := email("b1", "lea@client.example", "Devis", "Bonjour")
	first.From.Phone = "33611223344"
	second := sms("b2", "33611223344", "Vous avez reçu mon mail ?")
	third := email("b3", "lea@client.example", "Devis", "Relance")
	res := e.ingest(first, second, third)
	require.Equal(t, 3, res.Stored)
	var contacts []string
	for _, it := range res.Items {
		contacts = append(contacts, e.conversation(it.ConversationID).ContactID)
	}
	require.NotEmpty(t, contacts[0])
	require.Equal(t, []string{contacts[0], contacts[0], contacts[0]}, contacts)
}

// directory records the contacts the engine asks it to link.
type directory struct {
	mu     sync.Mutex
	linked []inbox.Contact
}

func (d *directory) LinkContact(ctx context.Context, tenant inbox.TenantID, c inbox.Contact) (string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.linked = append(d.linked, c)
	return "crm-" + c.Name, nil
}

func (d *directory) count() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.linked)
}

func chatFrom(integration, id, user, name string) inbox.Inbound {
	return inbox.Inbound{Source: "chat", IntegrationID: integration, ProviderID: id, From: inbox.Party{ID: user, Name: name}, Text: "hi " + id}
}

// A sender known only by a channel handle keeps it as a handle, scoped by
// its integration, and is linked to the host CRM like any new contact.
func TestChannelHandlesAreNotCRMIds(t *testing.T) {
	dir := &directory{}
	e := newEnv(t, inbox.Options{Contacts: dir})
	res := e.ingest(chatFrom("chat-a", "1", "u-7", "Ada"), chatFrom("chat-b", "2", "u-7", "Bob"))
	require.NotEqual(t, res.Items[0].ConversationID, res.Items[1].ConversationID, "the same id on two integrations is two people")
	e.work()
	require.Equal(t, 2, dir.count(), "every new contact is linked")
	for i, name := range []string{"Ada", "Bob"} {
		conv := e.conversation(res.Items[i].ConversationID)
		c, err := e.engine.ContactRecord(e.ctx, tenantA, conv.ContactID)
		require.NoError(t, err)
		require.Equal(t, []string{inbox.ContactHandle([]string{"chat-a", "chat-b"}[i], "u-7")}, c.Handles)
		require.Equal(t, "crm-"+name, c.ExternalID, "the CRM id is the directory's")
	}
	// The handle finds the contact again.
	again := e.ingest(chatFrom("chat-a", "3", "u-7", ""))
	require.Equal(t, res.Items[0].ConversationID, again.Items[0].ConversationID)
}

// A new address with a known number joins the number's contact; two
// identities of two contacts file the message under the first and record
// the conflict. Neither fails the message.
func TestIdentityConflictsFollowTheStatedRule(t *testing.T) {
	e := newEnv(t, inbox.Options{})
	sms := inbox.Inbound{Source: inbox.SourceSMS, IntegrationID: "sms", ProviderID: "s1", From: inbox.Party{Phone: "+33612345678"}, Text: "Bonjour"}
	mail := email("m1", "zoe@example.com", "Question", "Bonjour")
	first := e.ingest(sms, mail)
	phoneContact := e.conversation(first.Items[0].ConversationID).ContactID
	mailContact := e.conversation(first.Items[1].ConversationID).ContactID
	require.NotEqual(t, phoneContact, mailContact)

	// A form posts a new address with the known number.
	form := inbox.Inbound{Source: inbox.SourceWebhook, IntegrationID: "form", ProviderID: "f1",
		From: inbox.Party{Email: "ada@example.com", Phone: "+33 6 12 34 56 78"}, Text: "Rappelez-moi"}
	res := e.ingest(form)
	require.Equal(t, inbox.IngestStored, res.Items[0].Status, res.Items[0].Reason)
	c, err := e.engine.ContactRecord(e.ctx, tenantA, e.conversation(res.Items[0].ConversationID).ContactID)
	require.NoError(t, err)
	require.Equal(t, phoneContact, c.ID, "the known number decides")
	require.Contains(t, c.Emails, "ada@example.com", "the new address joins it")

	// zoe's address and the number's contact disagree: the address wins.
	clash := inbox.Inbound{Source: inbox.SourceWebhook, IntegrationID: "form", ProviderID: "f2",
		From: inbox.Party{Email: "zoe@example.com", Phone: "+33612345678"}, Text: "C'est Zoé"}
	res = e.ingest(clash)
	require.Equal(t, inbox.IngestStored, res.Items[0].Status, res.Items[0].Reason)
	require.Equal(t, mailContact, e.conversation(res.Items[0].ConversationID).ContactID)
	phone, err := e.engine.ContactRecord(e.ctx, tenantA, phoneContact)
	require.NoError(t, err)
	require.Equal(t, []string{"33612345678"}, phone.Phones, "the number stays with its holder")
	audit, err := e.engine.Audit(e.ctx, tenantA, inbox.AuditQuery{})
	require.NoError(t, err)
	var conflicts int
	for _, a := range audit {
		if a.Action == "contact.identity_conflict" {
			conflicts++
			require.Contains(t, string(a.After), phoneContact)
		}
	}
	require.Equal(t, 1, conflicts)
}

package inbox_test

import (
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

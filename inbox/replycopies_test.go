package inbox_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
)

func TestReplyCopiesEmailToCcAndBcc(t *testing.T) {
	e := newEnv(t, inbox.Options{})
	mbox := e.integration(inbox.SourceEmail, map[string]string{"address": "support@maison-lumiere.example"})
	in := email("c1", "anna@client.example", "Devis", "Bonjour")
	in.IntegrationID = mbox.ID
	conv := e.ingest(in).Items[0].ConversationID
	actor := inbox.Change{Actor: "claire"}

	msg, err := e.engine.Reply(e.ctx, tenantA, conv, inbox.ReplyRequest{Text: "Voici le devis.",
		Cc:  []inbox.Party{{Email: " Compta@Client.example "}, {Email: "compta@client.example"}},
		Bcc: []inbox.Party{{Email: "archive@maison-lumiere.example"}}}, actor)
	require.NoError(t, err)
	require.Equal(t, []inbox.Party{{Email: "compta@client.example"}}, msg.Cc, "normalised, once")
	require.Equal(t, []inbox.Party{{Email: "archive@maison-lumiere.example"}}, msg.Bcc)
	stored := e.messages(conv)
	require.Equal(t, msg.Bcc, stored[len(stored)-1].Bcc, "kept with the message")

	_, err = e.engine.Reply(e.ctx, tenantA, conv, inbox.ReplyRequest{Text: "x", Cc: []inbox.Party{{Email: "not an address"}}}, actor)
	require.ErrorIs(t, err, inbox.ErrInvalid)
	var fe *inbox.FieldError
	require.ErrorAs(t, err, &fe)
	require.Equal(t, "cc[0]", fe.Field)

	vonage := e.integration(inbox.SourceSMS, map[string]string{"number": "+33100000000"})
	s := sms("s1", "+33600000009", "Bonjour")
	s.IntegrationID = vonage.ID
	smsConv := e.ingest(s).Items[0].ConversationID
	_, err = e.engine.Reply(e.ctx, tenantA, smsConv, inbox.ReplyRequest{Text: "x", Cc: []inbox.Party{{Email: "a@b.example"}}}, actor)
	require.ErrorIs(t, err, inbox.ErrInvalid, "an SMS has no copies")
	require.Len(t, e.messages(smsConv), 1, "nothing queued")
}

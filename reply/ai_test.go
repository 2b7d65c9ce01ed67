package reply_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/reply"
	"github.com/inboxkit/inboxkit/storage/memstore"
)

func replyInput(texts ...string) inbox.ReplyInput {
	at := time.Date(2026, 3, 16, 9, 0, 0, 0, time.UTC)
	in := inbox.ReplyInput{
		Tenant:       inbox.Tenant{ID: tenantID, Name: "Maison Lumière", Settings: inbox.TenantSettings{ReplyPrompt: "Sois bref."}},
		Conversation: inbox.Conversation{ID: "c1", Source: inbox.SourceEmail, Subject: "Question"},
		Contact:      inbox.Contact{Name: "Camille Martin"},
		Prompt:       "Sois bref.",
	}
	for i, text := range texts {
		m := inbox.Message{Source: inbox.SourceEmail, Direction: inbox.DirectionIn, Author: inbox.AuthorCustomer, Text: text, SentAt: at.Add(time.Duration(i) * time.Hour)}
		if i%2 == 1 {
			m.Direction, m.Author = inbox.DirectionOut, inbox.AuthorAgent
		}
		in.Messages = append(in.Messages, m)
	}
	return in
}

func TestNewAIValidatesOptions(t *testing.T) {
	for name, o := range map[string]reply.AIOptions{
		"no client":        {Model: "m"},
		"no model":         {ClientOptions: reply.ClientOptions{APIKey: "k"}},
		"negative history": {ClientOptions: reply.ClientOptions{APIKey: "k"}, Model: "m", MaxHistoryTokens: -1},
	} {
		_, err := reply.NewAI(o)
		require.ErrorIs(t, err, inbox.ErrInvalid, name)
	}
	_, err := reply.NewAI(reply.AIOptions{ClientOptions: reply.ClientOptions{APIKey: testAPIKey}})
	require.NotContains(t, err.Error(), testAPIKey)
	require.Equal(t, "[redacted]", fmt.Sprint(reply.Secret(testAPIKey)))
}

func TestRespondRejectsEmptyConversation(t *testing.T) {
	ai, err := reply.NewAI(reply.AIOptions{ClientOptions: reply.ClientOptions{APIKey: "k"}, Model: "m"})
	require.NoError(t, err)
	_, err = ai.Respond(context.Background(), inbox.ReplyInput{})
	require.ErrorIs(t, err, inbox.ErrInvalid)
}

func TestHistoryIsTrimmedToTheTokenBudget(t *testing.T) {
	var texts []string
	for i := range 40 {
		texts = append(texts, fmt.Sprintf("Message numéro %02d. %s", i, strings.Repeat("Détails de la demande. ", 18)))
	}
	ai, err := reply.NewAI(reply.AIOptions{ClientOptions: reply.ClientOptions{APIKey: "k"}, Model: "m", MaxHistoryTokens: 800})
	require.NoError(t, err)

	for _, tc := range []struct {
		name, summary string
		want          []string
	}{
		{"stored summary replaces older messages", "Le client attend sa lampe Arc depuis trois semaines.", []string{"Le client attend sa lampe Arc depuis trois semaines."}},
		{"digest without a summary", "", []string{"- customer: Message numéro 00.", "messages not shown)", "- agent: Message numéro 33."}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := replyInput(texts...)
			in.Conversation.Summary = tc.summary
			msgs := ai.Messages(in, nil)
			user := msgs[1].Content
			require.Contains(t, user, "Message numéro 39.", "the latest message is always verbatim")
			require.Contains(t, user, `<earlier_messages count="`)
			for _, w := range tc.want {
				require.Contains(t, user, w)
			}
			verbatim := user[strings.Index(user, "</earlier_messages>"):]
			require.NotContains(t, verbatim, "Message numéro 00.")
			require.Less(t, len([]rune(verbatim)), 800*4+400, "verbatim part within budget")
			require.Less(t, len([]rune(user)), (800+800/4)*4+1200, "whole history within budget plus the digest share")
		})
	}

	// a single huge message is cut rather than dropped
	in := replyInput(strings.Repeat("très long ", 5000) + "FIN")
	user := ai.Messages(in, nil)[1].Content
	require.Contains(t, user, "très long")
	require.Contains(t, user, "[…]")
	require.NotContains(t, user, "FIN")
}

func TestMaskPIIHidesAddressesAndPhonesFromTheModel(t *testing.T) {
	ai, err := reply.NewAI(reply.AIOptions{ClientOptions: reply.ClientOptions{APIKey: "k"}, Model: "m"})
	require.NoError(t, err)
	in := replyInput("Écrivez-moi à camille.martin@courriel.example ou au +33 6 12 34 56 78.")
	require.Contains(t, ai.Messages(in, nil)[1].Content, "camille.martin@courriel.example")
	in.Tenant.Settings.MaskPII = true
	user := ai.Messages(in, nil)[1].Content
	require.NotContains(t, user, "camille.martin@courriel.example")
	require.NotContains(t, user, "12 34 56 78")
	require.Contains(t, user, "@courriel.example", "the domain stays, for context")
}

func TestRespondMapsUsedSourcesToCitations(t *testing.T) {
	api := newFakeAPI(t, func(c chatCall) modelAnswer {
		return answer("Expédiée le 12 mars.", 1.7, 0, 1, 1, 9)
	})
	store := memstore.New()
	ctx := context.Background()
	require.NoError(t, store.CreateTenant(ctx, &inbox.Tenant{ID: tenantID}))
	kb, err := reply.NewKnowledge(reply.KnowledgeOptions{Store: store, TopK: 3})
	require.NoError(t, err)
	ship, err := kb.Add(ctx, tenantID, reply.Document{Title: "Expédition", Body: "Les lampes partent sous 48 heures.\n\n" +
		"La commande 12345 est expédiée le 12 mars. Suivi : https://suivi.maison-lumiere.example/?colis=6A1&lang=fr"}, inbox.Change{Actor: "a"})
	require.NoError(t, err)
	ai, err := reply.NewAI(reply.AIOptions{ClientOptions: api.client(), Model: "m", Knowledge: kb})
	require.NoError(t, err)

	in := replyInput("Quand ma commande 12345 est-elle expédiée ?")
	r, err := ai.Respond(ctx, in)
	require.NoError(t, err)
	require.Empty(t, r.Citations, "the folder does not use the knowledge base")
	require.NotContains(t, api.calls()[0].system(), "<source")

	in.Folder.AutoReply.UseKnowledge = true
	r, err = ai.Respond(ctx, in)
	require.NoError(t, err)
	require.Equal(t, 1.0, r.Confidence, "confidence is clamped to [0, 1]")
	require.Len(t, r.Citations, 1, "unknown and repeated source numbers are ignored")
	require.Equal(t, ship.ID, r.Citations[0].DocumentID)
	require.Equal(t, 1, api.calls()[1].sourceNumber("12 mars"))
	require.Contains(t, api.calls()[1].system(), "https://suivi.maison-lumiere.example/?colis=6A1&lang=fr", "links reach the model exactly")
}

package inbox_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
)

func TestSplitPhones(t *testing.T) {
	for q, want := range map[string]struct {
		rest   string
		phones []string
	}{
		"+33 6 12 34 56 78":            {"", []string{"33612345678"}},
		"0033 6 12 34 56 78":           {"", []string{"33612345678"}},
		"06 12 34 56 78":               {"", []string{"0612345678"}},
		"0612345678":                   {"", []string{"0612345678"}},
		"06.12.34.56.78 facture":       {"facture", []string{"0612345678"}},
		"facture +33 (0)6 12 34 56 78": {"facture", []string{"33612345678"}},
		"Facture 2026-114":             {"Facture 2026-114", nil},
		"commande 123456789":           {"commande 123456789", nil},
		`"06 12 34 56 78"`:             {`"06 12 34 56 78"`, nil},
		"lampe":                        {"lampe", nil},
	} {
		rest, phones := inbox.SplitPhones(q)
		require.Equal(t, want.rest, rest, q)
		require.Equal(t, want.phones, phones, q)
	}
}

func TestSearchFindsPhoneNumbersAsTyped(t *testing.T) {
	e := newEnv(t, inbox.Options{})
	lea := e.ingest(sms("s1", "+33612345678", "Bonjour")).Items[0].ConversationID
	e.ingest(sms("s2", "+33698765432", "Bonjour aussi"))
	for _, q := range []string{"+33 6 12 34 56 78", "06 12 34 56 78", "0612345678", "+33612345678", "06-12-34-56-78 bonjour"} {
		page, err := e.engine.Conversations(e.ctx, tenantA, inbox.ConversationQuery{Search: q, WithTotal: true})
		require.NoError(t, err, q)
		require.Len(t, page.Items, 1, q)
		require.Equal(t, lea, page.Items[0].ID, q)
		require.Equal(t, 1, page.Total, q)
	}
	for _, q := range []string{"06 00 00 00 00", "0612345678 aurevoir", "+44 6 12 34 56 78"} {
		page, err := e.engine.Conversations(e.ctx, tenantA, inbox.ConversationQuery{Search: q, WithTotal: true})
		require.NoError(t, err, q)
		require.Empty(t, page.Items, q)
	}

	// with the tenant's calling code, a national number is one lookup
	tenant, err := e.store.GetTenant(e.ctx, tenantA)
	require.NoError(t, err)
	tenant.Settings.PhoneCountryCode = "33"
	require.NoError(t, e.store.UpdateTenant(e.ctx, &tenant))
	for q, want := range map[string]int{"06 12 34 56 78": 1, "0612345678": 1, "06 98 76 54 32": 1, "06 00 00 00 00": 0} {
		page, err := e.engine.Conversations(e.ctx, tenantA, inbox.ConversationQuery{Search: q})
		require.NoError(t, err, q)
		require.Len(t, page.Items, want, q)
	}
}

func TestSearchSnippetsMarkTheMatch(t *testing.T) {
	e := newEnv(t, inbox.Options{})
	id := e.ingest(email("m1", "ada@example.com", "Question", "Bonjour,\n\nje n'ai pas reçu la facture de ma commande de <b>lampes</b> passée le 3 mars. "+
		"Pouvez-vous me la renvoyer ? Merci d'avance et bonne journée à toute l'équipe de la boutique, qui est vraiment formidable.")).Items[0].ConversationID
	_, err := e.engine.AddNote(e.ctx, tenantA, id, "Client VIP : rembourser les frais de port", inbox.Change{Actor: "ana"})
	require.NoError(t, err)

	snips, err := e.engine.Snippets(e.ctx, tenantA, "fact* lampe*", []string{id})
	require.NoError(t, err)
	s := snips[id]
	require.Equal(t, "message", s.In)
	runes := []rune(s.Text)
	var marked []string
	for _, h := range s.Highlights {
		marked = append(marked, string(runes[h.Start:h.End]))
	}
	require.Equal(t, []string{"facture", "lampes"}, marked)
	require.Contains(t, s.Text, "<b>lampes</b>", "plain text: markup in a message is text, never interpreted")
	require.LessOrEqual(t, len(runes), 182)

	snips, err = e.engine.Snippets(e.ctx, tenantA, "rembourser", []string{id})
	require.NoError(t, err)
	require.Equal(t, "note", snips[id].In)
	require.Equal(t, "Client VIP : rembourser les frais de port", snips[id].Text)
	require.Equal(t, []inbox.Span{{Start: 13, End: 23}}, snips[id].Highlights)

	snips, err = e.engine.Snippets(e.ctx, tenantA, "from:ada", []string{id})
	require.NoError(t, err)
	require.Empty(t, snips, "an operator alone has no words to show")
}

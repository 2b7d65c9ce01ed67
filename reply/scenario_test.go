package reply_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
	"github.com/inboxkit/inboxkit/reply"
)

const ordersDoc = `# Suivi des commandes

## Commande #12345

La commande #12345 (lampe Arc laiton) a été expédiée le 12 mars 2026 par Colissimo.
Numéro de suivi : 6A12345678901. Suivre le colis : https://suivi.maison-lumiere.example/6A12345678901
Livraison prévue le 17 mars 2026.

## Commande #12346

La commande #12346 est en préparation, expédition prévue le 20 mars 2026.
`

const returnsDoc = `<h1>Retours et remboursements</h1>
<p>Vous disposez de 30 jours pour retourner un article. Le remboursement intervient sous 14 jours après réception.</p>
<p>Les frais de retour sont offerts pour les lampes arrivées abîmées.</p>`

const appointmentsDoc = `Rendez-vous à l'atelier

Pour prendre rendez-vous avec un conseiller lumière, réservez un créneau sur notre calendrier en ligne : https://rdv.maison-lumiere.example/atelier
Les rendez-vous durent 45 minutes, du mardi au samedi, de 10 h à 18 h.`

// Scenario (a): an order question is answered at once with facts from
// the knowledge base, cites its document, and leaves through the outbox
// as an automatic reply.
func TestScenarioOrderQuestionAnsweredAutomatically(t *testing.T) {
	var e *env
	e = newEnv(t, envOptions{folder: "Commandes", mode: inbox.AutoReplyAuto, embeddings: true,
		folderPrompt: "Pour une question de commande, donne la date d'expédition et le lien de suivi."},
		func(c chatCall) modelAnswer {
			n := c.sourceNumber("6A12345678901")
			if n == 0 {
				return answer("Un conseiller revient vers vous.", 0.2)
			}
			return answer("Bonjour Camille,\n\nVotre commande #12345 a été expédiée le 12 mars 2026 par Colissimo. "+
				"Vous pouvez la suivre ici : https://suivi.maison-lumiere.example/6A12345678901 (livraison prévue le 17 mars).\n\nL'équipe Maison Lumière", 0.92, n)
		})
	orders := e.addDoc("Suivi des commandes", reply.FormatMarkdown, ordersDoc)
	e.addDoc("Retours", reply.FormatHTML, returnsDoc)
	e.addDoc("Rendez-vous", reply.FormatText, appointmentsDoc)

	it := e.email("m1", "camille.martin@courriel.example", "Camille Martin", "Où est ma commande #12345 ?",
		"Bonjour,\n\nJ'ai commandé une lampe il y a une semaine. Où est ma commande #12345 ?\n\nMerci,\nCamille")

	calls := e.api.calls()
	require.Equal(t, 1, len(calls), "one generation")
	c := calls[0]
	require.Equal(t, "gpt-4.1-mini", c.Req.Model)
	requireNoTools(t, c)
	requireStrictSchema(t, c, "customer_reply")
	require.Len(t, c.Req.Messages, 2)
	require.Equal(t, "system", c.Req.Messages[0].Role)
	require.Equal(t, "user", c.Req.Messages[1].Role)
	sys := c.system()
	require.Contains(t, sys, "Maison Lumière, boutique de luminaires", "tenant prompt")
	require.Contains(t, sys, "donne la date d'expédition", "folder prompt")
	require.Contains(t, sys, "Answer in the language of the customer's latest message")
	require.Contains(t, sys, "Never promise")
	require.Less(t, strings.Index(sys, "donne la date"), strings.Index(sys, "Rules that always apply"), "safety rules come last")
	require.Equal(t, 1, c.sourceNumber("6A12345678901"), "the order passage ranks first")
	user := c.user()
	require.Contains(t, user, `<contact name="Camille Martin"/>`)
	require.Contains(t, user, "Où est ma commande #12345 ?\n\nMerci")
	require.Contains(t, user, "Folder: Commandes")
	require.Contains(t, user, "Detected language of the customer: fr")
	require.Less(t, strings.Index(user, "<conversation>"), strings.Index(user, "J'ai commandé"))
	require.Less(t, strings.Index(user, "J'ai commandé"), strings.Index(user, "</conversation>"))

	emb := e.api.embedCalls()
	require.NotEmpty(t, emb, "passages are re-ranked with embeddings")
	require.Equal(t, "text-embedding-3-small", string(emb[0].Model))

	ds := e.drafts(it.ConversationID)
	require.Len(t, ds, 1)
	require.Equal(t, inbox.DraftApproved, ds[0].Status, "automatic mode: the draft is the sent reply")
	require.InDelta(t, 0.92, ds[0].Confidence, 1e-9)
	require.Len(t, ds[0].Citations, 1)
	require.Equal(t, orders.ID, ds[0].Citations[0].DocumentID)
	require.Equal(t, "Suivi des commandes", ds[0].Citations[0].Title)
	require.Contains(t, ds[0].Citations[0].Excerpt, "6A12345678901")

	e.deliver()
	out := e.sender.outbound()
	require.Len(t, out, 1)
	m := out[0].Message
	require.Equal(t, inbox.AuthorAutoReply, m.Author)
	require.Equal(t, "camille.martin@courriel.example", m.To[0].Email)
	require.Equal(t, "m1@courriel.example", m.InReplyTo)
	require.Equal(t, "Re: Où est ma commande #12345 ?", m.Subject)
	require.Contains(t, m.Text, "12 mars 2026")
	require.Contains(t, m.Text, "https://suivi.maison-lumiere.example/6A12345678901")
	require.Equal(t, m.ID, out[0].IdempotencyKey)
	msgs := e.messages(it.ConversationID)
	require.Equal(t, inbox.DeliverySent, msgs[len(msgs)-1].Delivery)
}

// Scenario (b): an SMS support request in approval mode becomes a pending
// draft; an agent edits and approves it, and the edited text is sent.
func TestScenarioSMSSupportApprovalDraftEditedThenSent(t *testing.T) {
	e := newEnv(t, envOptions{folder: "Support", mode: inbox.AutoReplyApproval}, func(c chatCall) modelAnswer {
		return answer("Bonjour, pouvez-vous essayer de réinitialiser votre mot de passe depuis la page de connexion ?", 0.55)
	})
	e.addDoc("Compte client", reply.FormatText, "Mot de passe oublié : utilisez le lien « Mot de passe oublié » de la page de connexion.\n\nUn compte bloqué est débloqué par le support sous 24 h.")
	ready := make(chan inbox.Event, 4)
	cancel := e.eng.Subscribe(func(ev inbox.Event) {
		if ev.Type == inbox.EventDraftReady {
			ready <- ev
		}
	})
	defer cancel()

	it := e.textMessage("sms-1", "33612345678", "Mon compte ne fonctionne pas")
	c := e.api.calls()[0]
	require.Contains(t, c.user(), "Channel: sms")
	require.Contains(t, c.user(), "This is an SMS")
	require.NotZero(t, c.sourceNumber("Mot de passe oublié"), "the account document is offered")
	select {
	case ev := <-ready:
		require.Equal(t, it.ConversationID, ev.ConversationID)
	case <-time.After(5 * time.Second):
		t.Fatal("no draft.ready event")
	}
	e.deliver()
	require.Empty(t, e.sender.outbound(), "nothing leaves before approval")

	ds := e.drafts(it.ConversationID)
	require.Len(t, ds, 1)
	require.Equal(t, inbox.DraftPending, ds[0].Status)
	require.InDelta(t, 0.55, ds[0].Confidence, 1e-9)
	require.Empty(t, ds[0].Citations, "the model said it used no source")

	edited := "Bonjour, nous avons débloqué votre compte. Reconnectez-vous et dites-nous si cela fonctionne."
	msg, err := e.eng.ApproveDraft(e.ctx, tenantID, ds[0].ID, edited, inbox.Change{Actor: "agent-7"})
	require.NoError(t, err)
	require.Equal(t, inbox.AuthorAgent, msg.Author)
	e.deliver()
	out := e.sender.outbound()
	require.Len(t, out, 1)
	require.Equal(t, edited, out[0].Message.Text)
	require.Equal(t, "33612345678", out[0].Message.To[0].Phone)
	require.Equal(t, inbox.SourceSMS, out[0].Message.Source)
	d := e.drafts(it.ConversationID)[0]
	require.Equal(t, inbox.DraftApproved, d.Status)
	require.Equal(t, "agent-7", d.DecidedBy)
	require.Equal(t, edited, d.Text)
}

// Scenario (c): an appointment request is answered with the calendar link;
// a follow-up "if no reply" becomes due when the customer stays silent and
// is cancelled when they answer.
func TestScenarioAppointmentAnsweredWithFollowUp(t *testing.T) {
	script := func(c chatCall) modelAnswer {
		n := c.sourceNumber("rdv.maison-lumiere.example")
		if n == 0 {
			return answer("Un conseiller vous recontacte.", 0.1)
		}
		return answer("Bonjour, vous pouvez réserver un créneau de 45 minutes sur https://rdv.maison-lumiere.example/atelier (du mardi au samedi, 10 h – 18 h).", 0.9, n)
	}
	for _, tc := range []struct {
		name          string
		customerReply bool
		wantDue       int
		wantStatus    inbox.FollowUpStatus
	}{
		{"silent customer", false, 1, inbox.FollowUpDue},
		{"customer answers", true, 0, inbox.FollowUpCancelled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, envOptions{folder: "Rendez-vous", mode: inbox.AutoReplyAuto}, script)
			e.addDoc("Suivi des commandes", reply.FormatMarkdown, ordersDoc)
			e.addDoc("Rendez-vous", reply.FormatText, appointmentsDoc)
			it := e.email("rdv-1", "paul.durand@courriel.example", "Paul Durand", "Rendez-vous",
				"Bonjour, je voudrais prendre RDV pour choisir un lustre.")
			e.deliver()
			out := e.sender.outbound()
			require.Len(t, out, 1)
			require.Contains(t, out[0].Message.Text, "https://rdv.maison-lumiere.example/atelier")
			require.Equal(t, inbox.AuthorAutoReply, out[0].Message.Author)

			fu, err := e.eng.ScheduleFollowUp(e.ctx, tenantID, it.ConversationID, inbox.FollowUpRequest{
				DueAt: e.clock.Now().Add(48 * time.Hour), Note: "Relancer si pas de RDV pris", IfNoReply: true, Assignee: "agent-3",
			}, inbox.Change{Actor: "agent-3"})
			require.NoError(t, err)

			if tc.customerReply {
				e.clock.Advance(5 * time.Hour)
				res, err := e.eng.Ingest(e.ctx, tenantID, []inbox.Inbound{{
					IntegrationID: e.mail.ID, Source: inbox.SourceEmail, ProviderID: "rdv-2", MessageID: "rdv-2@courriel.example",
					InReplyTo: out[0].Message.MessageID, From: inbox.Party{Email: "paul.durand@courriel.example"},
					Subject: "Re: Rendez-vous", Text: "Merci, c'est réservé pour samedi.", SentAt: e.clock.Now(),
				}})
				require.NoError(t, err)
				require.Equal(t, it.ConversationID, res.Items[0].ConversationID)
			}
			e.clock.Advance(49 * time.Hour)
			n, err := e.eng.RaiseDueFollowUps(e.ctx, tenantID)
			require.NoError(t, err)
			require.Equal(t, tc.wantDue, n)
			e.view(func(tx driver.Tx) error {
				got, err := tx.GetFollowUp(fu.ID)
				require.NoError(t, err)
				require.Equal(t, tc.wantStatus, got.Status)
				return nil
			})
			require.Equal(t, 1, len(e.api.calls()), "the customer's thanks gets no second auto-reply before a person answers")
		})
	}
}

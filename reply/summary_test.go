package reply_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
	"github.com/inboxkit/inboxkit/reply"
)

func summaryAnswer(c chatCall) modelAnswer {
	n := strings.Count(c.user(), "<message n=")
	raw, _ := json.Marshal(map[string]any{
		"summary":    fmt.Sprintf("Camille attend la commande #12345 (%d messages).", n),
		"key_points": []string{"Commande #12345", "  Expédiée le 12 mars  ", "", "a", "b", "c", "d"},
		"intent":     "order",
		"urgency":    "high",
	})
	return modelAnswer{Content: string(raw)}
}

func TestSummaryRoundTrip(t *testing.T) {
	s := reply.Summary{Text: "Le client attend sa lampe.", KeyPoints: []string{"Commande #12345", "Livraison le 17 mars"},
		Intent: inbox.IntentOrder, Urgency: inbox.UrgencyHigh, Messages: 7}
	stored := s.String()
	require.Equal(t, "Le client attend sa lampe.\n\n- Commande #12345\n- Livraison le 17 mars\n\nintent: order · urgency: high · messages: 7", stored)
	require.Equal(t, s, reply.ParseSummary(stored))
	require.Equal(t, reply.Summary{Text: "Note d'un agent"}, reply.ParseSummary("Note d'un agent"))
	require.Equal(t, reply.Summary{Text: "x", Messages: 2}, reply.ParseSummary(reply.Summary{Text: "x", Messages: 2}.String()))
}

func TestSummarizeIfNeeded(t *testing.T) {
	e := newEnv(t, envOptions{folder: "Commandes"}, summaryAnswer)
	sum, err := reply.NewSummarizer(reply.SummarizerOptions{ClientOptions: e.api.client(), Model: "gpt-4.1-mini", MinMessages: 3, Language: "French"})
	require.NoError(t, err)
	events := make(chan inbox.Event, 16)
	cancel := e.eng.Subscribe(func(ev inbox.Event) {
		if ev.Type == inbox.EventConversationUpdated && ev.Detail == "summary" {
			events <- ev
		}
	})
	defer cancel()

	it := e.email("s1", "camille.martin@courriel.example", "Camille", "Ma commande #12345", "Où est ma commande #12345 ?")
	e.clock.Advance(time.Minute)
	_, err = e.eng.Reply(e.ctx, tenantID, it.ConversationID, inbox.ReplyRequest{Text: "Je regarde."}, inbox.Change{Actor: "agent-1"})
	require.NoError(t, err)
	_, done, err := sum.SummarizeIfNeeded(e.ctx, e.eng, tenantID, it.ConversationID)
	require.NoError(t, err)
	require.False(t, done, "two messages: too short to summarize")
	require.Empty(t, e.api.calls())

	e.clock.Advance(time.Minute)
	e.email("s2", "camille.martin@courriel.example", "Camille", "Re: Ma commande #12345", "Merci, j'attends.", "s1@courriel.example")
	s, done, err := sum.SummarizeIfNeeded(e.ctx, e.eng, tenantID, it.ConversationID)
	require.NoError(t, err)
	require.True(t, done)
	require.Equal(t, "Camille attend la commande #12345 (3 messages).", s.Text)
	require.Equal(t, []string{"Commande #12345", "Expédiée le 12 mars", "a", "b", "c"}, s.KeyPoints, "trimmed, empty dropped, at most five")
	require.Equal(t, inbox.IntentOrder, s.Intent)
	require.Equal(t, inbox.UrgencyHigh, s.Urgency)
	require.Equal(t, 3, s.Messages)

	c := e.api.calls()[0]
	requireNoTools(t, c)
	requireStrictSchema(t, c, "conversation_summary")
	require.Contains(t, c.system(), "Write in French.")
	require.Contains(t, c.user(), "Subject: Ma commande #12345")
	require.Contains(t, c.user(), "Je regarde.")

	conv := e.conversation(it.ConversationID)
	require.Equal(t, s, reply.ParseSummary(conv.Summary))
	select {
	case ev := <-events:
		require.Equal(t, it.ConversationID, ev.ConversationID)
	case <-time.After(5 * time.Second):
		t.Fatal("no conversation.updated event")
	}
	e.view(func(tx driver.Tx) error {
		audit, err := tx.ListAudit(inbox.AuditQuery{ConversationID: it.ConversationID})
		require.NoError(t, err)
		require.Equal(t, "conversation.summary", audit[0].Action)
		require.Equal(t, "summarizer", audit[0].Actor)
		return nil
	})

	_, done, err = sum.SummarizeIfNeeded(e.ctx, e.eng, tenantID, it.ConversationID)
	require.NoError(t, err)
	require.False(t, done, "nothing new")
	e.email("s3", "camille.martin@courriel.example", "Camille", "Re: Ma commande #12345", "Toujours rien.", "s1@courriel.example")
	s, done, err = sum.SummarizeIfNeeded(e.ctx, e.eng, tenantID, it.ConversationID)
	require.NoError(t, err)
	require.True(t, done, "a new message refreshes the summary")
	require.Equal(t, 4, s.Messages)
	require.NotContains(t, e.api.calls()[1].user(), "Camille attend", "the old summary is not fed back")

	// a summary an agent wrote is never overwritten automatically
	e.update(func(tx driver.Tx) error {
		c, err := tx.GetConversation(it.ConversationID)
		require.NoError(t, err)
		c.Summary = "Client VIP, rappeler avant midi."
		return tx.UpdateConversation(&c)
	})
	e.email("s4", "camille.martin@courriel.example", "Camille", "Re: Ma commande #12345", "Allô ?", "s1@courriel.example")
	_, done, err = sum.SummarizeIfNeeded(e.ctx, e.eng, tenantID, it.ConversationID)
	require.NoError(t, err)
	require.False(t, done)
	// on demand it is
	s, err = sum.Refresh(e.ctx, e.eng, tenantID, it.ConversationID)
	require.NoError(t, err)
	require.Equal(t, 5, s.Messages)
}

func TestWatchSummarizesLongConversationsAfterIngest(t *testing.T) {
	e := newEnv(t, envOptions{folder: "Commandes"}, summaryAnswer)
	sum, err := reply.NewSummarizer(reply.SummarizerOptions{ClientOptions: e.api.client(), Model: "m", MinMessages: 2})
	require.NoError(t, err)
	stop := sum.Watch(e.ctx, e.eng)
	defer stop()
	it := e.email("w1", "paul@courriel.example", "Paul", "Lustre cassé", "Mon lustre est arrivé cassé.")
	e.email("w2", "paul@courriel.example", "Paul", "Re: Lustre cassé", "Voici une photo.", "w1@courriel.example")
	require.Eventually(t, func() bool {
		return reply.ParseSummary(e.conversation(it.ConversationID).Summary).Messages == 2
	}, 5*time.Second, 10*time.Millisecond)
}

func TestSummarizerFailureIsReported(t *testing.T) {
	e := newEnv(t, envOptions{folder: "Commandes"}, func(chatCall) modelAnswer {
		return modelAnswer{Content: `{"summary":" ","key_points":[],"intent":"x","urgency":"y"}`}
	})
	sum, err := reply.NewSummarizer(reply.SummarizerOptions{ClientOptions: e.api.client(), Model: "m", MinMessages: 1})
	require.NoError(t, err)
	it := e.email("f1", "paul@courriel.example", "Paul", "Lustre", "Bonjour")
	_, done, err := sum.SummarizeIfNeeded(e.ctx, e.eng, tenantID, it.ConversationID)
	require.ErrorIs(t, err, reply.ErrEmptyAnswer)
	require.False(t, done)
	require.Empty(t, e.conversation(it.ConversationID).Summary)
	_, err = reply.NewSummarizer(reply.SummarizerOptions{Model: "m"})
	require.ErrorIs(t, err, inbox.ErrInvalid)
}

package reply_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
	"github.com/inboxkit/inboxkit/reply"
	"github.com/inboxkit/inboxkit/storage/memstore"
)

// benchEngine is an engine on memstore whose single folder answers in
// mode, with an instant responder: what remains is the engine's own
// decision work (guard, draft, outbox entry), not the model.
func benchEngine(b *testing.B, mode inbox.AutoReplyMode) (*inbox.Engine, inbox.Integration, *recordingSender) {
	b.Helper()
	ctx := context.Background()
	store := memstore.New()
	require.NoError(b, store.CreateTenant(ctx, &inbox.Tenant{ID: tenantID, Settings: inbox.TenantSettings{ReplyPrompt: "Sois bref."}}))
	folder := inbox.Folder{Name: "Commandes", AutoReply: inbox.AutoReplySettings{Mode: mode}}
	integ := inbox.Integration{Kind: inbox.SourceEmail, Enabled: true, Config: map[string]string{"address": "support@maison-lumiere.example"}}
	require.NoError(b, store.Update(ctx, tenantID, func(tx driver.Tx) error {
		if err := tx.CreateFolder(&folder); err != nil {
			return err
		}
		return tx.CreateIntegration(&integ)
	}))
	sender := &recordingSender{}
	eng, err := inbox.New(inbox.Options{
		Store: store,
		Responder: inbox.ResponderFunc(func(context.Context, inbox.ReplyInput) (inbox.Reply, error) {
			return inbox.Reply{Text: "Votre commande est partie hier.", Confidence: 0.9}, nil
		}),
		Classifier: inbox.ClassifierFunc(func(context.Context, inbox.ClassifyInput) (inbox.Decision, error) {
			return inbox.Decision{FolderID: folder.ID, By: "bench"}, nil
		}),
		Channels: map[inbox.Source]inbox.ChannelFactory{inbox.SourceEmail: sender.factory},
	})
	require.NoError(b, err)
	b.Cleanup(func() { _ = eng.Close() })
	return eng, integ, sender
}

func benchMail(integ inbox.Integration, i int, automated bool) inbox.Inbound {
	return inbox.Inbound{
		IntegrationID: integ.ID, Source: inbox.SourceEmail, ProviderID: fmt.Sprint(i), MessageID: fmt.Sprintf("b%d@courriel.example", i),
		From: inbox.Party{Email: fmt.Sprintf("client%d@courriel.example", i)}, Subject: fmt.Sprintf("Commande #%d", 10000+i),
		Text: "Bonjour, où est ma commande ?", SentAt: time.Date(2026, 3, 16, 9, 0, 0, 0, time.UTC), Automated: automated,
	}
}

// BenchmarkIngestAutoReply measures Engine.Ingest of one customer mail
// per operation. "off" is plain ingest; the difference with the other
// cases is the auto-reply overhead per message (guard checked before and
// after generation, draft, outbound message and outbox entry), excluding
// the model call.
func BenchmarkIngestAutoReply(b *testing.B) {
	for _, bc := range []struct {
		name      string
		mode      inbox.AutoReplyMode
		automated bool
	}{
		{"off", inbox.AutoReplyOff, false},
		{"automatic", inbox.AutoReplyAuto, false},
		{"approval", inbox.AutoReplyApproval, false},
		{"blocked-automated", inbox.AutoReplyAuto, true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			eng, integ, _ := benchEngine(b, bc.mode)
			ctx := context.Background()
			b.ReportAllocs()
			i := 0
			cpu := processCPU()
			for b.Loop() {
				i++
				if _, err := eng.Ingest(ctx, tenantID, []inbox.Inbound{benchMail(integ, i, bc.automated)}); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, cpu, i)
		})
	}
}

// BenchmarkDeliverOutbox measures the outbox decision per message (claim,
// load, send through an instant Sender, record delivery).
func BenchmarkDeliverOutbox(b *testing.B) {
	eng, integ, sender := benchEngine(b, inbox.AutoReplyAuto)
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	var cpu time.Duration
	for b.Loop() {
		b.StopTimer()
		i++
		if _, err := eng.Ingest(ctx, tenantID, []inbox.Inbound{benchMail(integ, i, false)}); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := processCPU()
		if n, err := eng.DeliverOutbox(ctx, tenantID); err != nil || n != 1 {
			b.Fatalf("delivered %d: %v", n, err)
		}
		cpu += processCPU() - start
	}
	b.StopTimer()
	if i > 0 && cpu > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(i), "cpu-ns/op")
	}
	if got := len(sender.outbound()); got != i {
		b.Fatalf("sent %d of %d", got, i)
	}
}

// reportCPU adds the process CPU time per operation since start.
func reportCPU(b *testing.B, start time.Duration, ops int) {
	if used := processCPU() - start; ops > 0 && used > 0 {
		b.ReportMetric(float64(used.Nanoseconds())/float64(ops), "cpu-ns/op")
	}
}

// BenchmarkDraftEventLatency measures, in approval mode, the time from the
// model's answer (the responder returning) to the draft.ready event
// reaching a subscriber: the target is under one second.
func BenchmarkDraftEventLatency(b *testing.B) {
	ctx := context.Background()
	store := memstore.New()
	require.NoError(b, store.CreateTenant(ctx, &inbox.Tenant{ID: tenantID, Settings: inbox.TenantSettings{ReplyPrompt: "Sois bref."}}))
	folder := inbox.Folder{Name: "Support", AutoReply: inbox.AutoReplySettings{Mode: inbox.AutoReplyApproval}}
	integ := inbox.Integration{Kind: inbox.SourceEmail, Enabled: true, Config: map[string]string{"address": "support@maison-lumiere.example"}}
	require.NoError(b, store.Update(ctx, tenantID, func(tx driver.Tx) error {
		if err := tx.CreateFolder(&folder); err != nil {
			return err
		}
		return tx.CreateIntegration(&integ)
	}))
	answered := make(chan time.Time, 1)
	eng, err := inbox.New(inbox.Options{
		Store: store,
		Responder: inbox.ResponderFunc(func(context.Context, inbox.ReplyInput) (inbox.Reply, error) {
			answered <- time.Now()
			return inbox.Reply{Text: "Pouvez-vous réessayer ?", Confidence: 0.5}, nil
		}),
		Classifier: inbox.ClassifierFunc(func(context.Context, inbox.ClassifyInput) (inbox.Decision, error) {
			return inbox.Decision{FolderID: folder.ID, By: "bench"}, nil
		}),
	})
	require.NoError(b, err)
	defer eng.Close()
	ready := make(chan time.Time, 1)
	cancel := eng.Subscribe(func(ev inbox.Event) {
		if ev.Type == inbox.EventDraftReady {
			ready <- time.Now()
		}
	})
	defer cancel()

	var total, worst time.Duration
	i := 0
	for b.Loop() {
		i++
		if _, err := eng.Ingest(ctx, tenantID, []inbox.Inbound{benchMail(integ, i, false)}); err != nil {
			b.Fatal(err)
		}
		lat := (<-ready).Sub(<-answered)
		total += lat
		worst = max(worst, lat)
	}
	b.ReportMetric(float64(total.Nanoseconds())/float64(i), "answer-to-event-ns/op")
	b.ReportMetric(float64(worst.Nanoseconds()), "worst-ns")
}

// BenchmarkKnowledgeSearch measures retrieval for a conversation on
// memstore with 500 documents (about 1,500 passages), without embeddings.
func BenchmarkKnowledgeSearch(b *testing.B) {
	ctx := context.Background()
	store := memstore.New()
	require.NoError(b, store.CreateTenant(ctx, &inbox.Tenant{ID: tenantID}))
	kb, err := reply.NewKnowledge(reply.KnowledgeOptions{Store: store})
	require.NoError(b, err)
	for i := range 500 {
		body := fmt.Sprintf("# Produit %d\n\n## Livraison\n\nLa lampe modèle %d part sous %d heures en Colissimo.\n\n"+
			"## Garantie\n\nGarantie %d ans, pièces et main-d'œuvre, ampoules exclues.\n\n## Entretien\n\nNettoyer l'abat-jour %d avec un chiffon sec.",
			i, i, 24+i%48, 1+i%3, i)
		_, err := kb.Add(ctx, tenantID, reply.Document{Title: fmt.Sprintf("Fiche %d", i), Format: reply.FormatMarkdown, Body: body}, inbox.Change{Actor: "bench"})
		require.NoError(b, err)
	}
	msgs := []inbox.Message{{Direction: inbox.DirectionIn, Author: inbox.AuthorCustomer, Text: "Bonjour, la garantie de la lampe modèle 42 couvre-t-elle les ampoules ?"}}
	b.ReportAllocs()
	for b.Loop() {
		hits, err := kb.ForConversation(ctx, tenantID, "Garantie lampe 42", msgs)
		if err != nil || len(hits) == 0 {
			b.Fatalf("%d hits: %v", len(hits), err)
		}
	}
}

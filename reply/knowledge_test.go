package reply_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
	"github.com/inboxkit/inboxkit/reply"
	"github.com/inboxkit/inboxkit/storage/memstore"
)

func newKnowledge(t *testing.T, opts reply.KnowledgeOptions) (*reply.Knowledge, *memstore.Store) {
	t.Helper()
	store := memstore.New()
	require.NoError(t, store.CreateTenant(context.Background(), &inbox.Tenant{ID: tenantID}))
	require.NoError(t, store.CreateTenant(context.Background(), &inbox.Tenant{ID: "other"}))
	opts.Store = store
	kb, err := reply.NewKnowledge(opts)
	require.NoError(t, err)
	return kb, store
}

func TestKnowledgeAddUpdateDeleteIsAudited(t *testing.T) {
	ctx := context.Background()
	kb, store := newKnowledge(t, reply.KnowledgeOptions{})
	admin := inbox.Change{Actor: "admin-1"}

	d, err := kb.Add(ctx, tenantID, reply.Document{Title: "  Retours ", Format: "HTML", Body: returnsDoc}, admin)
	require.NoError(t, err)
	require.Equal(t, "Retours", d.Title)
	require.Equal(t, reply.FormatHTML, d.Format)
	require.Equal(t, int64(1), d.Version)

	hits, err := kb.Search(ctx, tenantID, "remboursement", 0)
	require.NoError(t, err)
	require.Len(t, hits, 1)
	require.NotContains(t, hits[0].Chunk.Text, "<p>", "passages are plain text")
	other, err := kb.Search(ctx, "other", "remboursement", 0)
	require.NoError(t, err)
	require.Empty(t, other, "tenants never see each other's documents")

	_, err = kb.Update(ctx, tenantID, d.ID, reply.Document{Title: "Retours", Body: "Retour sous 60 jours."}, inbox.Change{Actor: "admin-2", Version: 7})
	require.ErrorIs(t, err, inbox.ErrConflict)
	d2, err := kb.Update(ctx, tenantID, d.ID, reply.Document{Title: "Retours", Body: "Retour sous 60 jours, remboursement sous 7 jours."}, inbox.Change{Actor: "admin-2", Version: 1})
	require.NoError(t, err)
	require.Equal(t, int64(2), d2.Version)
	require.Equal(t, d.CreatedAt, d2.CreatedAt)
	hits, err = kb.Search(ctx, tenantID, "remboursement", 0)
	require.NoError(t, err)
	require.Len(t, hits, 1)
	require.Contains(t, hits[0].Chunk.Text, "60 jours", "the old passages are gone")

	docs, err := kb.List(ctx, tenantID)
	require.NoError(t, err)
	require.Len(t, docs, 1)
	require.NoError(t, kb.Delete(ctx, tenantID, d.ID, admin))
	_, err = kb.Get(ctx, tenantID, d.ID)
	require.ErrorIs(t, err, inbox.ErrNotFound)
	require.ErrorIs(t, kb.Delete(ctx, tenantID, d.ID, admin), inbox.ErrNotFound)
	_, err = kb.Update(ctx, tenantID, d.ID, reply.Document{Title: "x", Body: "y"}, admin)
	require.ErrorIs(t, err, inbox.ErrNotFound)

	var audit []inbox.AuditEntry
	require.NoError(t, store.View(ctx, tenantID, func(tx driver.Tx) error {
		var err error
		audit, err = tx.ListAudit(inbox.AuditQuery{EntityID: d.ID})
		return err
	}))
	var actions []string
	for _, a := range audit {
		actions = append(actions, a.Actor+" "+a.Action)
	}
	require.Equal(t, []string{"admin-1 knowledge.delete", "admin-2 knowledge.update", "admin-1 knowledge.add"}, actions)
	var after map[string]any
	require.NoError(t, json.Unmarshal(audit[1].After, &after))
	require.Equal(t, float64(2), after["version"])
	require.NotContains(t, string(audit[1].After), "60 jours", "bodies are not copied into the audit log")
}

func TestKnowledgeRejectsBadDocuments(t *testing.T) {
	kb, _ := newKnowledge(t, reply.KnowledgeOptions{MaxDocumentBytes: 1000})
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		doc   reply.Document
		ch    inbox.Change
		field string
	}{
		{"no title", reply.Document{Body: "x"}, inbox.Change{Actor: "a"}, "title"},
		{"long title", reply.Document{Title: strings.Repeat("t", 301), Body: "x"}, inbox.Change{Actor: "a"}, "title"},
		{"too big", reply.Document{Title: "t", Body: strings.Repeat("x", 1001)}, inbox.Change{Actor: "a"}, "body"},
		{"no text", reply.Document{Title: "t", Format: "html", Body: "<script>x()</script>"}, inbox.Change{Actor: "a"}, "body"},
		{"bad format", reply.Document{Title: "t", Format: "docx", Body: "x"}, inbox.Change{Actor: "a"}, "format"},
		{"no actor", reply.Document{Title: "t", Body: "x"}, inbox.Change{}, "actor"},
	} {
		_, err := kb.Add(ctx, tenantID, tc.doc, tc.ch)
		require.ErrorIs(t, err, inbox.ErrInvalid, tc.name)
		var fe *inbox.FieldError
		require.ErrorAs(t, err, &fe, tc.name)
		require.Equal(t, tc.field, fe.Field, tc.name)
	}
	_, err := reply.NewKnowledge(reply.KnowledgeOptions{})
	require.ErrorIs(t, err, inbox.ErrInvalid)
}

// plainStore hides the knowledge capability of its transactions.
type plainStore struct{ driver.Store }
type plainTx struct{ driver.Tx }

func (s plainStore) View(ctx context.Context, t inbox.TenantID, fn func(driver.Tx) error) error {
	return s.Store.View(ctx, t, func(tx driver.Tx) error { return fn(plainTx{tx}) })
}

func (s plainStore) Update(ctx context.Context, t inbox.TenantID, fn func(driver.Tx) error) error {
	return s.Store.Update(ctx, t, func(tx driver.Tx) error { return fn(plainTx{tx}) })
}

func TestKnowledgeNeedsAStoreWithAKnowledgeBase(t *testing.T) {
	store := memstore.New()
	ctx := context.Background()
	require.NoError(t, store.CreateTenant(ctx, &inbox.Tenant{ID: tenantID}))
	kb, err := reply.NewKnowledge(reply.KnowledgeOptions{Store: plainStore{store}})
	require.NoError(t, err)
	_, err = kb.Add(ctx, tenantID, reply.Document{Title: "t", Body: "x"}, inbox.Change{Actor: "a"})
	require.ErrorIs(t, err, inbox.ErrUnsupported)
	_, err = kb.Search(ctx, tenantID, "x", 1)
	require.ErrorIs(t, err, inbox.ErrUnsupported)
}

func TestEmbeddingsReRankAndAreCached(t *testing.T) {
	api := newFakeAPI(t, nil)
	emb, err := reply.NewOpenAIEmbedder(reply.OpenAIEmbedderOptions{ClientOptions: api.client(), Model: "text-embedding-3-small", Dimensions: 64,
		Retry: reply.RetryOptions{Backoff: time.Millisecond}})
	require.NoError(t, err)
	kb, kbStore := newKnowledge(t, reply.KnowledgeOptions{Embedder: emb, TopK: 1})
	ctx := context.Background()
	// Full-text ranking favours the short passage that repeats "lampe";
	// the embedding of the query is closest to the delivery passage.
	_, err = kb.Add(ctx, tenantID, reply.Document{Title: "Catalogue", Body: "lampe lampe lampe"}, inbox.Change{Actor: "a"})
	require.NoError(t, err)
	_, err = kb.Add(ctx, tenantID, reply.Document{Title: "Livraison", Body: "Votre lampe est livrée sous quarante-huit heures, livraison gratuite, suivi colis inclus."}, inbox.Change{Actor: "a"})
	require.NoError(t, err)
	warmed := len(api.embedCalls())
	require.Equal(t, 2, warmed, "passages are embedded when added")

	hits, err := kb.Search(ctx, tenantID, "lampe livraison suivi colis", 0)
	require.NoError(t, err)
	require.Len(t, hits, 1)
	require.Equal(t, "Livraison", hits[0].Chunk.Title)
	require.Greater(t, hits[0].Score, 0.5)
	calls := api.embedCalls()
	require.Len(t, calls, 3)
	require.Equal(t, []any{"lampe livraison suivi colis"}, calls[2].Input, "only the query was not cached")
	require.Equal(t, 64, calls[2].Dimensions)

	// passages far from the question are not offered
	strict, err := reply.NewKnowledge(reply.KnowledgeOptions{Store: kbStore, Embedder: emb, TopK: 5, MinSimilarity: 0.55})
	require.NoError(t, err)
	hits, err = strict.Search(ctx, tenantID, "lampe livraison suivi colis", 0)
	require.NoError(t, err)
	require.Len(t, hits, 1, "the catalogue passage shares only \"lampe\"")
	require.Equal(t, "Livraison", hits[0].Chunk.Title)

	// an embeddings outage falls back to full-text order
	api.srv.Close()
	hits, err = kb.Search(ctx, tenantID, "lampe soldes", 0)
	require.NoError(t, err)
	require.Len(t, hits, 1)
	require.Equal(t, "Catalogue", hits[0].Chunk.Title)
}

func TestConversationQuery(t *testing.T) {
	msgs := []inbox.Message{
		{Direction: inbox.DirectionIn, Author: inbox.AuthorCustomer, Text: "Première demande sur une applique."},
		{Direction: inbox.DirectionOut, Author: inbox.AuthorAgent, Text: "Réponse de l'agent: facture jointe"},
		{Direction: inbox.DirectionIn, Author: inbox.AuthorCustomer, Text: "Bonjour, où est ma commande #12345 ?\n\nLe 12 mars 2026, Maison Lumière a écrit :\n> Votre facture"},
	}
	q := reply.ConversationQuery("RE: Suivi commande", msgs)
	require.Equal(t, "commande 12345 Première demande applique Suivi", q)
}

package sqlite_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
	"github.com/inboxkit/inboxkit/reply"
)

// TestReplyKnowledgeOnSQLite runs the reply package's knowledge base on a
// SQLite store: documents are chunked, audited, searched with accents
// folded, replaced and deleted, and tenants stay apart.
func TestReplyKnowledgeOnSQLite(t *testing.T) {
	ctx := context.Background()
	store := openTemp(t)
	for _, id := range []inbox.TenantID{"maison", "other"} {
		require.NoError(t, store.CreateTenant(ctx, &inbox.Tenant{ID: id, Name: string(id)}))
	}
	kb, err := reply.NewKnowledge(reply.KnowledgeOptions{Store: store})
	require.NoError(t, err)
	admin := inbox.Change{Actor: "admin-1"}

	returns, err := kb.Add(ctx, "maison", reply.Document{Title: "Retours", Format: reply.FormatHTML, Body: `<h1>Retours et remboursements</h1>
<p>Vous disposez de 30 jours pour retourner un article. Le remboursement intervient sous 14 jours après réception.</p>
<p>Les frais de retour sont offerts pour les lampes arrivées abîmées.</p>`}, admin)
	require.NoError(t, err)
	_, err = kb.Add(ctx, "maison", reply.Document{Title: "Livraison", Body: "Les commandes partent sous 48 heures. Le délai de livraison est de trois jours ouvrés."}, admin)
	require.NoError(t, err)

	hits, err := kb.Search(ctx, "maison", "REMBOURSEMENT abimees", 0)
	require.NoError(t, err)
	require.NotEmpty(t, hits)
	require.Equal(t, returns.ID, hits[0].Chunk.DocID)
	require.NotContains(t, hits[0].Chunk.Text, "<p>", "passages are plain text")
	other, err := kb.Search(ctx, "other", "remboursement", 0)
	require.NoError(t, err)
	require.Empty(t, other, "tenants never see each other's documents")

	// A customer's question finds the delivery policy.
	question := []inbox.Message{{Direction: inbox.DirectionIn, Author: inbox.AuthorCustomer, Text: "Bonjour, quel est le délai de livraison de ma commande ?"}}
	hits, err = kb.ForConversation(ctx, "maison", "Ma commande", question)
	require.NoError(t, err)
	require.NotEmpty(t, hits)
	require.Equal(t, "Livraison", hits[0].Chunk.Title)

	updated, err := kb.Update(ctx, "maison", returns.ID, reply.Document{Title: "Retours", Body: "Retour sous 60 jours, remboursement sous 7 jours."}, inbox.Change{Actor: "admin-2", Version: 1})
	require.NoError(t, err)
	require.Equal(t, int64(2), updated.Version)
	require.Equal(t, returns.CreatedAt, updated.CreatedAt)
	hits, err = kb.Search(ctx, "maison", "remboursement", 0)
	require.NoError(t, err)
	require.Len(t, hits, 1)
	require.Contains(t, hits[0].Chunk.Text, "60 jours", "the old passages are gone")

	docs, err := kb.List(ctx, "maison")
	require.NoError(t, err)
	require.Equal(t, []string{"Livraison", "Retours"}, []string{docs[0].Title, docs[1].Title})
	require.NoError(t, kb.Delete(ctx, "maison", returns.ID, admin))
	_, err = kb.Get(ctx, "maison", returns.ID)
	require.ErrorIs(t, err, inbox.ErrNotFound)
	hits, err = kb.Search(ctx, "maison", "remboursement", 0)
	require.NoError(t, err)
	require.Empty(t, hits)

	var actions []string
	require.NoError(t, store.View(ctx, "maison", func(tx driver.Tx) error {
		audit, err := tx.ListAudit(inbox.AuditQuery{EntityID: returns.ID})
		for _, a := range audit {
			actions = append(actions, a.Actor+" "+a.Action)
		}
		return err
	}))
	require.Equal(t, []string{"admin-1 knowledge.delete", "admin-2 knowledge.update", "admin-1 knowledge.add"}, actions)
}

package memstore_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
	"github.com/inboxkit/inboxkit/storage/memstore"
)

func knowledgeStore(t *testing.T) (*memstore.Store, context.Context) {
	t.Helper()
	ctx := context.Background()
	s := memstore.New()
	t.Cleanup(func() { _ = s.Close() })
	for _, id := range []inbox.TenantID{"a", "b"} {
		require.NoError(t, s.CreateTenant(ctx, &inbox.Tenant{ID: id, Name: string(id)}))
	}
	return s, ctx
}

func kb(tx driver.Tx) driver.KnowledgeTx { return tx.(driver.KnowledgeTx) }

func TestKnowledgePutSearchReplaceDelete(t *testing.T) {
	s, ctx := knowledgeStore(t)
	doc := inbox.KnowledgeDoc{Title: "Livraison", Format: "text", Body: "..."}
	require.NoError(t, s.Update(ctx, "a", func(tx driver.Tx) error {
		return kb(tx).PutKnowledgeDoc(&doc, []inbox.KnowledgeChunk{
			{Text: "Les commandes sont expédiées sous 48 heures avec un numéro de suivi Colissimo."},
			{Text: "Retours gratuits pendant 30 jours."},
		})
	}))
	require.NotEmpty(t, doc.ID)
	require.Equal(t, int64(1), doc.Version)

	search := func(tenant inbox.TenantID, q string) []inbox.KnowledgeHit {
		var hits []inbox.KnowledgeHit
		require.NoError(t, s.View(ctx, tenant, func(tx driver.Tx) error {
			var err error
			hits, err = kb(tx).SearchKnowledge(q, 5)
			return err
		}))
		return hits
	}
	for _, tc := range []struct {
		query string
		want  []int // chunk positions, best first
	}{
		{"EXPÉDIÉE suivi", []int{0}},
		{"retour", nil}, // whole words only: "retour" is not "retours"
		{"retours livraison", []int{1, 0}},
		{"", nil},
		{"parapluie", nil},
	} {
		hits := search("a", tc.query)
		var got []int
		for _, h := range hits {
			got = append(got, h.Chunk.Position)
			require.Equal(t, doc.ID, h.Chunk.DocID)
			require.Equal(t, "Livraison", h.Chunk.Title)
			require.Positive(t, h.Score)
		}
		require.Equal(t, tc.want, got, tc.query)
	}
	require.Empty(t, search("b", "suivi"), "another tenant sees nothing")

	// replacing drops the old chunks; a failing transaction keeps them
	boom := errors.New("boom")
	require.ErrorIs(t, s.Update(ctx, "a", func(tx driver.Tx) error {
		d := doc
		require.NoError(t, kb(tx).PutKnowledgeDoc(&d, []inbox.KnowledgeChunk{{Text: "Nouveau texte"}}))
		return boom
	}), boom)
	require.Len(t, search("a", "suivi"), 1, "rolled back")
	require.NoError(t, s.Update(ctx, "a", func(tx driver.Tx) error {
		return kb(tx).PutKnowledgeDoc(&doc, []inbox.KnowledgeChunk{{Text: "Expédition en 24 heures"}})
	}))
	require.Equal(t, int64(2), doc.Version)
	require.Empty(t, search("a", "suivi"))
	require.Len(t, search("a", "expedition"), 1)

	require.NoError(t, s.View(ctx, "a", func(tx driver.Tx) error {
		docs, err := kb(tx).ListKnowledgeDocs()
		require.NoError(t, err)
		require.Len(t, docs, 1)
		got, err := kb(tx).GetKnowledgeDoc(doc.ID)
		require.NoError(t, err)
		require.Equal(t, doc.Version, got.Version)
		require.ErrorIs(t, kb(tx).DeleteKnowledgeDoc(doc.ID), inbox.ErrUnsupported, "read-only")
		return nil
	}))
	require.NoError(t, s.View(ctx, "b", func(tx driver.Tx) error {
		_, err := kb(tx).GetKnowledgeDoc(doc.ID)
		require.ErrorIs(t, err, inbox.ErrNotFound)
		return nil
	}))
	require.NoError(t, s.Update(ctx, "a", func(tx driver.Tx) error { return kb(tx).DeleteKnowledgeDoc(doc.ID) }))
	require.Empty(t, search("a", "expedition"))
	require.NoError(t, s.Update(ctx, "a", func(tx driver.Tx) error {
		require.ErrorIs(t, kb(tx).DeleteKnowledgeDoc(doc.ID), inbox.ErrNotFound)
		d := inbox.KnowledgeDoc{Title: " "}
		require.ErrorIs(t, kb(tx).PutKnowledgeDoc(&d, nil), inbox.ErrInvalid)
		return nil
	}))
}

package storetest

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
)

// testKnowledge checks driver.KnowledgeTx: replace semantics, delete,
// tenant isolation, folded any-word search, ranking and rollback. Run
// runs it for stores that declare it (driver.Features.Knowledge).
func testKnowledge(t *testing.T, newStore NewStoreFunc) {
	// kh is a harness whose store supports the knowledge base.
	kh := func(t *testing.T) *harness {
		t.Helper()
		return setup(t, newStore)
	}
	kput := func(h *harness, tenant inbox.TenantID, d *inbox.KnowledgeDoc, texts ...string) {
		h.t.Helper()
		chunks := make([]inbox.KnowledgeChunk, len(texts))
		for i, s := range texts {
			chunks[i] = inbox.KnowledgeChunk{Text: s}
		}
		h.updateIn(tenant, func(tx driver.Tx) { require.NoError(h.t, tx.(driver.KnowledgeTx).PutKnowledgeDoc(d, chunks)) })
	}
	search := func(h *harness, tenant inbox.TenantID, query string, limit int) []inbox.KnowledgeHit {
		h.t.Helper()
		var hits []inbox.KnowledgeHit
		h.viewIn(tenant, func(tx driver.Tx) {
			var err error
			hits, err = tx.(driver.KnowledgeTx).SearchKnowledge(query, limit)
			require.NoError(h.t, err)
		})
		return hits
	}
	texts := func(hits []inbox.KnowledgeHit) []string {
		out := make([]string, len(hits))
		for i, h := range hits {
			out[i] = h.Chunk.Text
		}
		return out
	}

	t.Run("PutGetList", func(t *testing.T) {
		h := kh(t)
		b := inbox.KnowledgeDoc{Title: "Returns policy", Format: "markdown", Body: "# Returns\nWithin 30 days."}
		a := inbox.KnowledgeDoc{Title: "Delivery times", Format: "text", Body: "Two days."}
		kput(h, h.tenant, &b, "Returns are accepted within 30 days.", "Refunds take a week.")
		kput(h, h.tenant, &a, "Delivery takes two days.")
		require.NotEmpty(t, b.ID)
		require.Equal(t, int64(1), b.Version)
		require.False(t, b.CreatedAt.IsZero())
		require.Equal(t, h.tenant, b.TenantID)
		h.view(func(tx driver.Tx) {
			k := tx.(driver.KnowledgeTx)
			got, err := k.GetKnowledgeDoc(b.ID)
			require.NoError(t, err)
			require.Equal(t, b.Title, got.Title)
			require.Equal(t, b.Format, got.Format)
			require.Equal(t, b.Body, got.Body)
			require.Equal(t, b.Version, got.Version)
			require.True(t, b.CreatedAt.Equal(got.CreatedAt))
			list, err := k.ListKnowledgeDocs()
			require.NoError(t, err)
			require.Len(t, list, 2)
			require.Equal(t, []string{"Delivery times", "Returns policy"}, []string{list[0].Title, list[1].Title})
			_, err = k.GetKnowledgeDoc("missing")
			require.ErrorIs(t, err, inbox.ErrNotFound)
		})
		hits := search(h, h.tenant, "refunds", 0)
		require.Len(t, hits, 1)
		c := hits[0].Chunk
		require.Equal(t, b.ID, c.DocID)
		require.Equal(t, "Returns policy", c.Title)
		require.Equal(t, 1, c.Position)
		require.Equal(t, b.ID+"-1", c.ID)
		require.Greater(t, hits[0].Score, 0.0)
	})

	t.Run("EmptyTitleIsInvalid", func(t *testing.T) {
		h := kh(t)
		err := h.store.Update(h.ctx, h.tenant, func(tx driver.Tx) error {
			return tx.(driver.KnowledgeTx).PutKnowledgeDoc(&inbox.KnowledgeDoc{Title: "  "}, nil)
		})
		require.ErrorIs(t, err, inbox.ErrInvalid)
	})

	t.Run("ReplaceSwapsChunks", func(t *testing.T) {
		h := kh(t)
		d := inbox.KnowledgeDoc{Title: "Warranty", Body: "v1"}
		kput(h, h.tenant, &d, "The warranty lasts one year.", "Batteries are excluded.")
		first := d
		d.Title, d.Body = "Warranty (2026)", "v2"
		kput(h, h.tenant, &d, "The guarantee lasts two years.")
		require.Equal(t, first.ID, d.ID)
		require.Equal(t, int64(2), d.Version)
		require.True(t, first.CreatedAt.Equal(d.CreatedAt))
		require.Empty(t, search(h, h.tenant, "batteries year", 0), "the old chunks are gone")
		hits := search(h, h.tenant, "guarantee", 0)
		require.Equal(t, []string{"The guarantee lasts two years."}, texts(hits))
		require.Equal(t, "Warranty (2026)", hits[0].Chunk.Title)
		h.view(func(tx driver.Tx) {
			got, err := tx.(driver.KnowledgeTx).GetKnowledgeDoc(d.ID)
			require.NoError(t, err)
			require.Equal(t, "v2", got.Body)
			require.Equal(t, int64(2), got.Version)
			list, err := tx.(driver.KnowledgeTx).ListKnowledgeDocs()
			require.NoError(t, err)
			require.Len(t, list, 1)
		})
	})

	t.Run("Delete", func(t *testing.T) {
		h := kh(t)
		keep := inbox.KnowledgeDoc{Title: "Keep"}
		gone := inbox.KnowledgeDoc{Title: "Gone"}
		kput(h, h.tenant, &keep, "invoices are sent monthly")
		kput(h, h.tenant, &gone, "invoices can be downloaded")
		h.update(func(tx driver.Tx) { require.NoError(t, tx.(driver.KnowledgeTx).DeleteKnowledgeDoc(gone.ID)) })
		require.Equal(t, []string{"invoices are sent monthly"}, texts(search(h, h.tenant, "invoices", 0)))
		err := h.store.Update(h.ctx, h.tenant, func(tx driver.Tx) error {
			return tx.(driver.KnowledgeTx).DeleteKnowledgeDoc(gone.ID)
		})
		require.ErrorIs(t, err, inbox.ErrNotFound)
		h.view(func(tx driver.Tx) {
			_, err := tx.(driver.KnowledgeTx).GetKnowledgeDoc(gone.ID)
			require.ErrorIs(t, err, inbox.ErrNotFound)
		})
	})

	t.Run("TenantIsolation", func(t *testing.T) {
		h := kh(t)
		const other inbox.TenantID = "tenant-b"
		h.addTenant(other)
		mine := inbox.KnowledgeDoc{Title: "Mine"}
		theirs := inbox.KnowledgeDoc{Title: "Theirs"}
		kput(h, h.tenant, &mine, "our opening hours are nine to five")
		kput(h, other, &theirs, "their opening hours are secret")
		require.Equal(t, []string{"our opening hours are nine to five"}, texts(search(h, h.tenant, "opening secret", 0)))
		require.Equal(t, []string{"their opening hours are secret"}, texts(search(h, other, "opening", 0)))
		h.view(func(tx driver.Tx) {
			k := tx.(driver.KnowledgeTx)
			_, err := k.GetKnowledgeDoc(theirs.ID)
			require.ErrorIs(t, err, inbox.ErrNotFound)
			list, err := k.ListKnowledgeDocs()
			require.NoError(t, err)
			require.Len(t, list, 1)
		})
		err := h.store.Update(h.ctx, h.tenant, func(tx driver.Tx) error {
			return tx.(driver.KnowledgeTx).DeleteKnowledgeDoc(theirs.ID)
		})
		require.ErrorIs(t, err, inbox.ErrNotFound)
		// Writing a document of another tenant through this tenant's
		// transaction is refused.
		err = h.store.Update(h.ctx, h.tenant, func(tx driver.Tx) error {
			return tx.(driver.KnowledgeTx).PutKnowledgeDoc(&inbox.KnowledgeDoc{TenantID: other, Title: "Sneaky"}, nil)
		})
		require.Error(t, err)
		require.Equal(t, []string{"their opening hours are secret"}, texts(search(h, other, "opening hours", 0)))
	})

	t.Run("FoldedAnyWordSearch", func(t *testing.T) {
		h := kh(t)
		d := inbox.KnowledgeDoc{Title: "Livraison"}
		kput(h, h.tenant, &d, "Le DÉLAI de livraison est de trois jours.", "La Größe des Pakets ist begrenzt.", "Nothing relevant here.")
		for _, tc := range []struct {
			query string
			want  []string
		}{
			{"delai", []string{"Le DÉLAI de livraison est de trois jours."}},
			{"Délai", []string{"Le DÉLAI de livraison est de trois jours."}},
			{"DELAI", []string{"Le DÉLAI de livraison est de trois jours."}},
			{"grosse", []string{"La Größe des Pakets ist begrenzt."}},
			{"xyzzy délai", []string{"Le DÉLAI de livraison est de trois jours."}},
			{"xyzzy", []string{}},
			{"", []string{}},
			{"!!! ?", []string{}},
		} {
			t.Run(tc.query, func(t *testing.T) {
				require.ElementsMatch(t, tc.want, texts(search(h, h.tenant, tc.query, 0)))
			})
		}
		// The document title is searchable through every chunk.
		require.Len(t, search(h, h.tenant, "livraisons livraison", 0), 3)
		require.Len(t, search(h, h.tenant, "livraison", 2), 2, "limit")
	})

	t.Run("Ranking", func(t *testing.T) {
		h := kh(t)
		var chunks []string
		for i := range 8 {
			chunks = append(chunks, fmt.Sprintf("Your order number %d ships from our warehouse.", i))
		}
		chunks = append(chunks,
			"Refunds are paid to the original card within five days.",
			"Order refunds: an order can be refunded after return.",
		)
		d := inbox.KnowledgeDoc{Title: "Orders"}
		kput(h, h.tenant, &d, chunks...)
		hits := search(h, h.tenant, "refund refunds order", 0)
		require.GreaterOrEqual(t, len(hits), 3)
		require.Equal(t, "Order refunds: an order can be refunded after return.", hits[0].Chunk.Text, "both words beat one")
		require.Equal(t, "Refunds are paid to the original card within five days.", hits[1].Chunk.Text, "a rare word beats a common one")
		for i := 1; i < len(hits); i++ {
			require.GreaterOrEqual(t, hits[i-1].Score, hits[i].Score, "best first")
		}
	})

	t.Run("RollbackOnError", func(t *testing.T) {
		h := kh(t)
		d := inbox.KnowledgeDoc{Title: "Shipping"}
		kput(h, h.tenant, &d, "parcels leave on mondays")
		boom := errors.New("boom")
		err := h.store.Update(h.ctx, h.tenant, func(tx driver.Tx) error {
			k := tx.(driver.KnowledgeTx)
			replaced := d
			replaced.Title = "Shipping v2"
			require.NoError(t, k.PutKnowledgeDoc(&replaced, []inbox.KnowledgeChunk{{Text: "parcels leave on fridays"}}))
			require.NoError(t, k.PutKnowledgeDoc(&inbox.KnowledgeDoc{Title: "New"}, []inbox.KnowledgeChunk{{Text: "brand new fridays"}}))
			return boom
		})
		require.ErrorIs(t, err, boom)
		require.Empty(t, search(h, h.tenant, "fridays", 0))
		require.Equal(t, []string{"parcels leave on mondays"}, texts(search(h, h.tenant, "mondays", 0)))
		h.view(func(tx driver.Tx) {
			list, err := tx.(driver.KnowledgeTx).ListKnowledgeDocs()
			require.NoError(t, err)
			require.Len(t, list, 1)
			require.Equal(t, "Shipping", list[0].Title)
			require.Equal(t, int64(1), list[0].Version)
		})
		err = h.store.Update(h.ctx, h.tenant, func(tx driver.Tx) error {
			require.NoError(t, tx.(driver.KnowledgeTx).DeleteKnowledgeDoc(d.ID))
			return boom
		})
		require.ErrorIs(t, err, boom)
		require.Len(t, search(h, h.tenant, "mondays", 0), 1, "a rolled back delete keeps the document")
	})
}

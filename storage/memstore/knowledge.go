package memstore

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
	"github.com/inboxkit/inboxkit/inbox/textfold"
)

var _ driver.KnowledgeTx = (*tx)(nil)

// knowledgeIndex is one tenant's knowledge base: documents and their
// chunks with the term counts BM25 ranking needs.
type knowledgeIndex struct {
	docs   map[string]inbox.KnowledgeDoc
	chunks map[string][]indexedChunk // document id -> chunks in order
}

// indexedChunk is a stored chunk with its folded terms.
type indexedChunk struct {
	inbox.KnowledgeChunk
	terms  map[string]int
	length int // number of terms
}

// knowledge returns the tenant's index, creating it when create is set;
// nil when there is none yet and create is false.
func (t *tx) knowledge(create bool) *knowledgeIndex {
	if t.state.knowledge != nil || !create {
		return t.state.knowledge
	}
	t.state.knowledge = &knowledgeIndex{docs: map[string]inbox.KnowledgeDoc{}, chunks: map[string][]indexedChunk{}}
	t.undo = append(t.undo, func() { t.state.knowledge = nil })
	return t.state.knowledge
}

// PutKnowledgeDoc creates or replaces a document together with its chunks.
// An empty ID is assigned; a replaced document keeps its CreatedAt and
// gets the next Version. Chunks get the document's id and title, an id
// when theirs is empty, and their position in the slice.
func (t *tx) PutKnowledgeDoc(d *inbox.KnowledgeDoc, chunks []inbox.KnowledgeChunk) error {
	if err := t.begin("put knowledge document", &d.TenantID, &d.ID, &d.CreatedAt, &d.UpdatedAt); err != nil {
		return err
	}
	if strings.TrimSpace(d.Title) == "" {
		return fmt.Errorf("memstore: put knowledge document: %w", inbox.Invalid("title", "is empty"))
	}
	idx := t.knowledge(true)
	d.Version = 1
	if cur, ok := idx.docs[d.ID]; ok {
		d.CreatedAt = cur.CreatedAt
		d.Version = cur.Version + 1
		if !d.UpdatedAt.After(cur.UpdatedAt) {
			d.UpdatedAt = storeNow()
		}
	}
	stored := make([]indexedChunk, len(chunks))
	for i, c := range chunks {
		c.DocID, c.Title, c.Position = d.ID, d.Title, i
		if c.ID == "" {
			c.ID = fmt.Sprintf("%s-%d", d.ID, i)
		}
		terms := knowledgeTerms(c.Title + "\n" + c.Text)
		ic := indexedChunk{KnowledgeChunk: c, terms: make(map[string]int, len(terms)), length: len(terms)}
		for _, w := range terms {
			ic.terms[w]++
		}
		stored[i] = ic
	}
	put(&t.undo, idx.docs, d.ID, *d)
	put(&t.undo, idx.chunks, d.ID, stored)
	return nil
}

// GetKnowledgeDoc returns ErrNotFound for an unknown id.
func (t *tx) GetKnowledgeDoc(id string) (inbox.KnowledgeDoc, error) {
	if err := t.read(); err != nil {
		return inbox.KnowledgeDoc{}, err
	}
	if idx := t.knowledge(false); idx != nil {
		if d, ok := idx.docs[id]; ok {
			return d, nil
		}
	}
	return inbox.KnowledgeDoc{}, notFound("knowledge document", id)
}

// ListKnowledgeDocs orders by title, then id.
func (t *tx) ListKnowledgeDocs() ([]inbox.KnowledgeDoc, error) {
	if err := t.read(); err != nil {
		return nil, err
	}
	idx := t.knowledge(false)
	if idx == nil {
		return []inbox.KnowledgeDoc{}, nil
	}
	out := make([]inbox.KnowledgeDoc, 0, len(idx.docs))
	for _, d := range idx.docs {
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b inbox.KnowledgeDoc) int {
		return cmp.Or(cmp.Compare(a.Title, b.Title), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

// DeleteKnowledgeDoc removes a document and its chunks; ErrNotFound for an
// unknown id.
func (t *tx) DeleteKnowledgeDoc(id string) error {
	if err := t.write("delete knowledge document"); err != nil {
		return err
	}
	idx := t.knowledge(false)
	if idx == nil {
		return notFound("knowledge document", id)
	}
	if _, ok := idx.docs[id]; !ok {
		return notFound("knowledge document", id)
	}
	del(&t.undo, idx.docs, id)
	del(&t.undo, idx.chunks, id)
	return nil
}

// BM25 parameters, the usual defaults.
const (
	bm25K1 = 1.2
	bm25B  = 0.75
)

// SearchKnowledge ranks the chunks containing any word of query with
// BM25, so rare words (an order number, "suivi") weigh more than common
// ones. Matching folds case and accents. limit <= 0 means 10.
func (t *tx) SearchKnowledge(query string, limit int) ([]inbox.KnowledgeHit, error) {
	if err := t.read(); err != nil {
		return nil, err
	}
	limit = limitOr(limit, 10)
	idx := t.knowledge(false)
	words := slices.Compact(slices.Sorted(slices.Values(knowledgeTerms(query))))
	if idx == nil || len(words) == 0 {
		return []inbox.KnowledgeHit{}, nil
	}
	var (
		n        int
		totalLen int
		df       = make(map[string]int, len(words))
	)
	for _, chunks := range idx.chunks {
		for _, c := range chunks {
			n++
			totalLen += c.length
			for _, w := range words {
				if c.terms[w] > 0 {
					df[w]++
				}
			}
		}
	}
	if n == 0 {
		return []inbox.KnowledgeHit{}, nil
	}
	avgLen := float64(totalLen) / float64(n)
	var hits []inbox.KnowledgeHit
	for _, chunks := range idx.chunks {
		for _, c := range chunks {
			score := 0.0
			for _, w := range words {
				tf := float64(c.terms[w])
				if tf == 0 {
					continue
				}
				idf := math.Log(1 + (float64(n)-float64(df[w])+0.5)/(float64(df[w])+0.5))
				score += idf * tf * (bm25K1 + 1) / (tf + bm25K1*(1-bm25B+bm25B*float64(c.length)/avgLen))
			}
			if score > 0 {
				hits = append(hits, inbox.KnowledgeHit{Chunk: c.KnowledgeChunk, Score: score})
			}
		}
	}
	slices.SortFunc(hits, func(a, b inbox.KnowledgeHit) int {
		return cmp.Or(cmp.Compare(b.Score, a.Score), cmp.Compare(a.Chunk.DocID, b.Chunk.DocID),
			cmp.Compare(a.Chunk.Position, b.Chunk.Position))
	})
	if len(hits) > limit {
		hits = hits[:limit]
	}
	return hits, nil
}

// knowledgeTerms splits text into folded words of letters and digits;
// one-letter words carry no meaning for search and are dropped.
func knowledgeTerms(text string) []string {
	words := strings.FieldsFunc(textfold.Fold(text), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	out := words[:0]
	for _, w := range words {
		if len([]rune(w)) > 1 {
			out = append(out, w)
		}
	}
	return out
}

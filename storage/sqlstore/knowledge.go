package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
	"github.com/inboxkit/inboxkit/inbox/textfold"
)

var _ driver.KnowledgeTx = (*tx)(nil)

// KnowledgeIndex is the optional Dialect capability behind
// driver.KnowledgeTx: it owns a tenant's knowledge chunks and their
// full-text index. Documents themselves live in the shared
// knowledge_docs table.
type KnowledgeIndex interface {
	// ReplaceKnowledgeChunks removes the chunks of document docID and
	// stores chunks (already numbered, titled and given ids) in their place.
	ReplaceKnowledgeChunks(ctx context.Context, tx Execer, tenant, docID string, chunks []inbox.KnowledgeChunk) error
	// SearchKnowledge returns up to limit chunks of the tenant holding any
	// of words (folded tokens, see Tokens), best first.
	SearchKnowledge(ctx context.Context, q Querier, tenant string, words []string, limit int) ([]inbox.KnowledgeHit, error)
}

// Knowledge search bounds.
const (
	defaultKnowledgeLimit = 10
	maxKnowledgeLimit     = 1000
	maxKnowledgeWords     = 32
)

func (t *tx) knowledgeIndex(op string) (KnowledgeIndex, error) {
	kx, ok := t.s.d.(KnowledgeIndex)
	if !ok {
		return nil, fmt.Errorf("%s: %s has no knowledge index: %w", op, t.s.d.Name(), inbox.ErrUnsupported)
	}
	return kx, nil
}

// PutKnowledgeDoc creates or replaces a document together with its chunks.
// An empty ID is assigned; a replaced document keeps its CreatedAt and
// gets the next Version. Chunks get the document's id and title, an id
// when theirs is empty ("<doc id>-<position>"), and their position in the
// slice.
func (t *tx) PutKnowledgeDoc(d *inbox.KnowledgeDoc, chunks []inbox.KnowledgeChunk) error {
	const op = "put knowledge document"
	if err := t.usable(true); err != nil {
		return err
	}
	kx, err := t.knowledgeIndex(op)
	if err != nil {
		return err
	}
	if err := t.own("knowledge document", &d.TenantID, true); err != nil {
		return err
	}
	if strings.TrimSpace(d.Title) == "" {
		return fmt.Errorf("%s: %w", op, inbox.Invalid("title", "is empty"))
	}
	if d.ID == "" {
		d.ID = inbox.NewID()
	}
	now := t.s.now().UTC().Truncate(time.Microsecond)
	var created, updated, version int64
	err = t.queryRow(op, []any{&created, &updated, &version},
		`SELECT created_at, updated_at, version FROM knowledge_docs WHERE tenant_id = ? AND id = ?`, string(t.tenant), d.ID)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if d.CreatedAt.IsZero() {
			d.CreatedAt = now
		}
		if d.UpdatedAt.IsZero() {
			d.UpdatedAt = d.CreatedAt
		}
		d.Version = 1
	case err != nil:
		return err
	default:
		d.CreatedAt = fromNanos(created)
		if !d.UpdatedAt.After(fromNanos(updated)) {
			d.UpdatedAt = now
		}
		d.Version = version + 1
	}
	d.CreatedAt, d.UpdatedAt = d.CreatedAt.UTC(), d.UpdatedAt.UTC()
	doc, err := encode(d)
	if err != nil {
		return err
	}
	if _, err := t.exec(op, `INSERT INTO knowledge_docs (tenant_id, id, title, created_at, updated_at, version, doc)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (tenant_id, id) DO UPDATE SET title = excluded.title, updated_at = excluded.updated_at,
			version = excluded.version, doc = excluded.doc`,
		string(t.tenant), d.ID, d.Title, nanos(d.CreatedAt), nanos(d.UpdatedAt), d.Version, doc); err != nil {
		return err
	}
	stored := make([]inbox.KnowledgeChunk, len(chunks))
	for i, c := range chunks {
		c.DocID, c.Title, c.Position = d.ID, d.Title, i
		if c.ID == "" {
			c.ID = fmt.Sprintf("%s-%d", d.ID, i)
		}
		if err := checkArgs(op, []any{c.ID, c.Text}); err != nil {
			return err
		}
		stored[i] = c
	}
	if err := kx.ReplaceKnowledgeChunks(t.ctx, t.tx, string(t.tenant), d.ID, stored); err != nil {
		return t.s.wrap(op, err)
	}
	return nil
}

// GetKnowledgeDoc returns ErrNotFound for an unknown id.
func (t *tx) GetKnowledgeDoc(id string) (inbox.KnowledgeDoc, error) {
	var d inbox.KnowledgeDoc
	if err := t.getDoc("knowledge document", "knowledge_docs", id, &d); err != nil {
		return inbox.KnowledgeDoc{}, err
	}
	return d, nil
}

// ListKnowledgeDocs orders by title, then id.
func (t *tx) ListKnowledgeDocs() ([]inbox.KnowledgeDoc, error) {
	out, err := queryDocs[inbox.KnowledgeDoc](t, "list knowledge documents",
		`SELECT doc, created_at FROM knowledge_docs WHERE tenant_id = ? ORDER BY title, id`, string(t.tenant))
	if err != nil {
		return nil, err
	}
	if out == nil {
		out = []inbox.KnowledgeDoc{}
	}
	return out, nil
}

// DeleteKnowledgeDoc removes a document and its chunks; ErrNotFound for an
// unknown id.
func (t *tx) DeleteKnowledgeDoc(id string) error {
	const op = "delete knowledge document"
	if err := t.usable(true); err != nil {
		return err
	}
	kx, err := t.knowledgeIndex(op)
	if err != nil {
		return err
	}
	res, err := t.exec(op, `DELETE FROM knowledge_docs WHERE tenant_id = ? AND id = ?`, string(t.tenant), id)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return fmt.Errorf("%s %q: %w", op, id, inbox.ErrNotFound)
	}
	if err := kx.ReplaceKnowledgeChunks(t.ctx, t.tx, string(t.tenant), id, nil); err != nil {
		return t.s.wrap(op, err)
	}
	return nil
}

// SearchKnowledge returns up to limit chunks holding any word of query
// (case and accents folded, one-letter words ignored), best first. limit
// <= 0 means 10.
func (t *tx) SearchKnowledge(query string, limit int) ([]inbox.KnowledgeHit, error) {
	const op = "search knowledge"
	if err := t.usable(false); err != nil {
		return nil, err
	}
	kx, err := t.knowledgeIndex(op)
	if err != nil {
		return nil, err
	}
	if len(query) > inbox.MaxSearchBytes {
		return nil, fmt.Errorf("%s: %w", op, inbox.Invalid("query", fmt.Sprintf("is longer than %d bytes", inbox.MaxSearchBytes)))
	}
	if limit <= 0 {
		limit = defaultKnowledgeLimit
	}
	limit = min(limit, maxKnowledgeLimit)
	words := KnowledgeWords(query)
	if len(words) == 0 {
		return []inbox.KnowledgeHit{}, nil
	}
	hits, err := kx.SearchKnowledge(t.ctx, t.tx, string(t.tenant), words, limit)
	if err != nil {
		return nil, t.s.wrap(op, err)
	}
	if hits == nil {
		hits = []inbox.KnowledgeHit{}
	}
	return hits, nil
}

// KnowledgeWords are the distinct folded words of a knowledge query, in
// order of first appearance, without one-letter words (they carry no
// meaning for retrieval), at most 32.
func KnowledgeWords(query string) []string {
	var out []string
	for _, w := range textfold.Tokens(query) {
		if utf8.RuneCountInString(w) > 1 && !slices.Contains(out, w) {
			out = append(out, w)
		}
		if len(out) == maxKnowledgeWords {
			break
		}
	}
	return out
}

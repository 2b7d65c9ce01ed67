package reply

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
)

// Limits and defaults of the knowledge base.
const (
	// DefaultMaxDocumentBytes bounds one document's body.
	DefaultMaxDocumentBytes = 2 << 20
	// DefaultTopK is how many passages a retrieval returns.
	DefaultTopK   = 4
	maxTitleBytes = 300
)

// KnowledgeOptions configure a Knowledge base.
type KnowledgeOptions struct {
	// Store keeps the documents; its transactions must implement
	// driver.KnowledgeTx. Required.
	Store driver.Store
	// Embedder, when set, re-ranks full-text hits by semantic similarity
	// to the query. Nil: full-text ranking only.
	Embedder Embedder
	// Chunk sizes the passages documents are cut into.
	Chunk ChunkOptions
	// TopK is how many passages a retrieval returns. 0 means DefaultTopK.
	TopK int
	// Candidates is how many full-text hits the Embedder re-ranks. 0 means
	// four times TopK.
	Candidates int
	// MinSimilarity, with an Embedder, drops passages whose cosine
	// similarity to the query is below it, so a passage that only shares a
	// common word with the question is not offered to the model. 0 keeps
	// every passage.
	MinSimilarity float64
	// MaxDocumentBytes bounds a document's body. 0 means
	// DefaultMaxDocumentBytes.
	MaxDocumentBytes int
	// Clock stamps documents. Nil: the system clock.
	Clock inbox.Clock
	// Logger receives warnings (an embeddings outage). Nil: discarded.
	Logger *slog.Logger
}

// Knowledge is a tenant's knowledge base: documents in text, Markdown or
// HTML, cut into passages indexed in the store's full-text index, and
// retrieved for a conversation so AI replies can quote facts and cite
// them. It is safe for concurrent use.
type Knowledge struct {
	opts KnowledgeOptions
	log  *slog.Logger
}

// Document is a knowledge-base document as written by a person.
type Document struct {
	Title string
	// Format is FormatText, FormatMarkdown or FormatHTML; "" means text.
	Format string
	Body   string
}

// NewKnowledge validates opts and returns a knowledge base.
func NewKnowledge(opts KnowledgeOptions) (*Knowledge, error) {
	if opts.Store == nil {
		return nil, fmt.Errorf("reply: new knowledge base: %w", inbox.Invalid("KnowledgeOptions.Store", "is required"))
	}
	if opts.TopK <= 0 {
		opts.TopK = DefaultTopK
	}
	if opts.Candidates <= 0 {
		opts.Candidates = 4 * opts.TopK
	}
	if opts.MaxDocumentBytes <= 0 {
		opts.MaxDocumentBytes = DefaultMaxDocumentBytes
	}
	if opts.Clock == nil {
		opts.Clock = inbox.SystemClock{}
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Knowledge{opts: opts, log: log}, nil
}

// knowledgeTx returns tx's knowledge capability or ErrUnsupported.
func knowledgeTx(tx driver.Tx) (driver.KnowledgeTx, error) {
	k, ok := tx.(driver.KnowledgeTx)
	if !ok {
		return nil, fmt.Errorf("%w: the store has no knowledge base", inbox.ErrUnsupported)
	}
	return k, nil
}

// prepare validates a document and cuts it into chunks.
func (k *Knowledge) prepare(doc Document) (inbox.KnowledgeDoc, []inbox.KnowledgeChunk, error) {
	title := strings.Join(strings.Fields(doc.Title), " ")
	format := strings.ToLower(strings.TrimSpace(doc.Format))
	if format == "" {
		format = FormatText
	}
	switch {
	case title == "":
		return inbox.KnowledgeDoc{}, nil, inbox.Invalid("title", "is empty")
	case len(title) > maxTitleBytes:
		return inbox.KnowledgeDoc{}, nil, inbox.Invalid("title", fmt.Sprintf("is longer than %d bytes", maxTitleBytes))
	case len(doc.Body) > k.opts.MaxDocumentBytes:
		return inbox.KnowledgeDoc{}, nil, inbox.Invalid("body", fmt.Sprintf("is %d bytes, the limit is %d", len(doc.Body), k.opts.MaxDocumentBytes))
	}
	texts, err := Chunk(format, doc.Body, k.opts.Chunk)
	if err != nil {
		return inbox.KnowledgeDoc{}, nil, err
	}
	if len(texts) == 0 {
		return inbox.KnowledgeDoc{}, nil, inbox.Invalid("body", "has no text")
	}
	chunks := make([]inbox.KnowledgeChunk, len(texts))
	for i, t := range texts {
		chunks[i] = inbox.KnowledgeChunk{Title: title, Text: t, Position: i}
	}
	return inbox.KnowledgeDoc{Title: title, Format: canonicalFormat(format), Body: doc.Body}, chunks, nil
}

func canonicalFormat(f string) string {
	switch f {
	case "md":
		return FormatMarkdown
	case "htm":
		return FormatHTML
	case "txt", "plain":
		return FormatText
	}
	return f
}

// Add stores a new document and indexes its passages. ch.Actor is
// recorded in the audit log.
func (k *Knowledge) Add(ctx context.Context, tenant inbox.TenantID, doc Document, ch inbox.Change) (inbox.KnowledgeDoc, error) {
	d, chunks, err := k.prepare(doc)
	if err != nil {
		return inbox.KnowledgeDoc{}, fmt.Errorf("add knowledge document: %w", err)
	}
	if err := requireActor(ch); err != nil {
		return inbox.KnowledgeDoc{}, fmt.Errorf("add knowledge document: %w", err)
	}
	now := k.opts.Clock.Now()
	d.TenantID, d.CreatedAt, d.UpdatedAt = tenant, now, now
	err = k.opts.Store.Update(ctx, tenant, func(tx driver.Tx) error {
		kt, err := knowledgeTx(tx)
		if err != nil {
			return err
		}
		if err := kt.PutKnowledgeDoc(&d, chunks); err != nil {
			return err
		}
		return tx.AppendAudit(auditDoc(tenant, ch.Actor, "knowledge.add", d, nil, len(chunks), now))
	})
	if err != nil {
		return inbox.KnowledgeDoc{}, fmt.Errorf("add knowledge document %q: %w", d.Title, err)
	}
	k.warm(ctx, chunks)
	return d, nil
}

// Update replaces a document's title, format and body and re-indexes it.
// A non-zero ch.Version that is not the document's current version fails
// with ErrConflict.
func (k *Knowledge) Update(ctx context.Context, tenant inbox.TenantID, id string, doc Document, ch inbox.Change) (inbox.KnowledgeDoc, error) {
	d, chunks, err := k.prepare(doc)
	if err != nil {
		return inbox.KnowledgeDoc{}, fmt.Errorf("update knowledge document %q: %w", id, err)
	}
	if err := requireActor(ch); err != nil {
		return inbox.KnowledgeDoc{}, fmt.Errorf("update knowledge document %q: %w", id, err)
	}
	now := k.opts.Clock.Now()
	err = k.opts.Store.Update(ctx, tenant, func(tx driver.Tx) error {
		kt, err := knowledgeTx(tx)
		if err != nil {
			return err
		}
		cur, err := kt.GetKnowledgeDoc(id)
		if err != nil {
			return err
		}
		if ch.Version != 0 && ch.Version != cur.Version {
			return fmt.Errorf("changed since version %d (now %d): %w", ch.Version, cur.Version, inbox.ErrConflict)
		}
		d.ID, d.TenantID, d.CreatedAt, d.UpdatedAt, d.Version = cur.ID, tenant, cur.CreatedAt, now, cur.Version
		if err := kt.PutKnowledgeDoc(&d, chunks); err != nil {
			return err
		}
		return tx.AppendAudit(auditDoc(tenant, ch.Actor, "knowledge.update", d, &cur, len(chunks), now))
	})
	if err != nil {
		return inbox.KnowledgeDoc{}, fmt.Errorf("update knowledge document %q: %w", id, err)
	}
	k.warm(ctx, chunks)
	return d, nil
}

// Delete removes a document and its passages.
func (k *Knowledge) Delete(ctx context.Context, tenant inbox.TenantID, id string, ch inbox.Change) error {
	if err := requireActor(ch); err != nil {
		return fmt.Errorf("delete knowledge document %q: %w", id, err)
	}
	now := k.opts.Clock.Now()
	err := k.opts.Store.Update(ctx, tenant, func(tx driver.Tx) error {
		kt, err := knowledgeTx(tx)
		if err != nil {
			return err
		}
		cur, err := kt.GetKnowledgeDoc(id)
		if err != nil {
			return err
		}
		if err := kt.DeleteKnowledgeDoc(id); err != nil {
			return err
		}
		return tx.AppendAudit(auditDoc(tenant, ch.Actor, "knowledge.delete", inbox.KnowledgeDoc{ID: id}, &cur, 0, now))
	})
	if err != nil {
		return fmt.Errorf("delete knowledge document %q: %w", id, err)
	}
	return nil
}

// Get returns a document; ErrNotFound for an unknown id.
func (k *Knowledge) Get(ctx context.Context, tenant inbox.TenantID, id string) (inbox.KnowledgeDoc, error) {
	var d inbox.KnowledgeDoc
	err := k.opts.Store.View(ctx, tenant, func(tx driver.Tx) error {
		kt, err := knowledgeTx(tx)
		if err != nil {
			return err
		}
		d, err = kt.GetKnowledgeDoc(id)
		return err
	})
	if err != nil {
		return inbox.KnowledgeDoc{}, fmt.Errorf("knowledge document %q: %w", id, err)
	}
	return d, nil
}

// List returns the tenant's documents ordered by title.
func (k *Knowledge) List(ctx context.Context, tenant inbox.TenantID) ([]inbox.KnowledgeDoc, error) {
	var docs []inbox.KnowledgeDoc
	err := k.opts.Store.View(ctx, tenant, func(tx driver.Tx) error {
		kt, err := knowledgeTx(tx)
		if err != nil {
			return err
		}
		docs, err = kt.ListKnowledgeDocs()
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list knowledge documents: %w", err)
	}
	return docs, nil
}

func requireActor(ch inbox.Change) error {
	if strings.TrimSpace(ch.Actor) == "" {
		return inbox.Invalid("actor", "is required")
	}
	return nil
}

// auditDoc records a knowledge-base change without the body, which can be
// large: title, format, version, size and passage count say what changed.
func auditDoc(tenant inbox.TenantID, actor, action string, after inbox.KnowledgeDoc, before *inbox.KnowledgeDoc, chunks int, at time.Time) inbox.AuditEntry {
	e := inbox.AuditEntry{TenantID: tenant, Actor: actor, Action: action, EntityType: "knowledge_doc", EntityID: after.ID, At: at}
	if before != nil {
		e.Before = docSnapshot(*before, -1)
	}
	if action != "knowledge.delete" {
		e.After = docSnapshot(after, chunks)
	}
	return e
}

func docSnapshot(d inbox.KnowledgeDoc, chunks int) json.RawMessage {
	m := map[string]any{"title": d.Title, "format": d.Format, "version": d.Version, "bytes": len(d.Body)}
	if chunks >= 0 {
		m["chunks"] = chunks
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return json.RawMessage(`null`)
	}
	return raw
}

// warm computes the vectors of new passages, so the first retrieval after
// an edit does not wait for them. A failure only logs: retrieval embeds
// what is missing and falls back to full-text ranking.
func (k *Knowledge) warm(ctx context.Context, chunks []inbox.KnowledgeChunk) {
	if k.opts.Embedder == nil || len(chunks) == 0 {
		return
	}
	texts := make([]string, len(chunks))
	for i, c := range chunks {
		texts[i] = c.Text
	}
	if _, err := k.opts.Embedder.Embed(ctx, texts); err != nil {
		k.log.Warn("reply: knowledge base: embed passages", "err", err)
	}
}

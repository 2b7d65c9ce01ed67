package inbox

import "time"

// KnowledgeDoc is a document of a tenant's knowledge base: facts about the
// company, its products and policies that AI replies may draw on.
type KnowledgeDoc struct {
	ID       string
	TenantID TenantID
	Title    string
	// Format is "text", "markdown" or "html".
	Format    string
	Body      string
	CreatedAt time.Time
	UpdatedAt time.Time
	Version   int64
}

// KnowledgeChunk is a passage of a document, the unit of retrieval.
type KnowledgeChunk struct {
	ID       string
	DocID    string
	Title    string // the document's title, for citations
	Text     string
	Position int // order within the document
}

// KnowledgeHit is a chunk matching a search, best first.
type KnowledgeHit struct {
	Chunk KnowledgeChunk
	Score float64 // higher is better; comparable within one search only
}

// KnowledgeTx is an optional Tx capability: a knowledge base indexed in
// the store's full-text index. Stores that implement it let AI replies
// cite the tenant's documents.
type KnowledgeTx interface {
	// PutKnowledgeDoc creates or replaces a document together with its
	// chunks (the previous chunks are removed).
	PutKnowledgeDoc(d *KnowledgeDoc, chunks []KnowledgeChunk) error
	GetKnowledgeDoc(id string) (KnowledgeDoc, error)
	// ListKnowledgeDocs orders by title.
	ListKnowledgeDocs() ([]KnowledgeDoc, error)
	// DeleteKnowledgeDoc removes a document and its chunks.
	DeleteKnowledgeDoc(id string) error
	// SearchKnowledge returns up to limit chunks matching any word of
	// query (case- and accent-insensitive), best first.
	SearchKnowledge(query string, limit int) ([]KnowledgeHit, error)
}

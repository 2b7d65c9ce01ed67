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

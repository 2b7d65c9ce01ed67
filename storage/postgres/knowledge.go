package postgres

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/textfold"
	"github.com/inboxkit/inboxkit/storage/sqlstore"
)

var _ sqlstore.KnowledgeIndex = dialect{}

// ReplaceKnowledgeChunks deletes the document's chunks and inserts the new
// ones with a tsvector of their folded title and text (positions kept, so
// ts_rank sees how often a word occurs).
func (dialect) ReplaceKnowledgeChunks(ctx context.Context, tx sqlstore.Execer, tenant, docID string, chunks []inbox.KnowledgeChunk) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM knowledge_chunks WHERE tenant_id = $1 AND doc_id = $2`, tenant, docID); err != nil {
		return err
	}
	for _, c := range chunks {
		words := textfold.Words(c.Title) + " " + textfold.Words(c.Text)
		if _, err := tx.ExecContext(ctx, `INSERT INTO knowledge_chunks (tenant_id, doc_id, position, id, title, text, tsv)
			VALUES ($1, $2, $3, $4, $5, $6, to_tsvector('simple', $7))`, tenant, docID, c.Position, c.ID, c.Title, c.Text, words); err != nil {
			return err
		}
	}
	return nil
}

// SearchKnowledge scores a chunk as the sum, over the query words it
// holds, of ts_rank for that word weighted by the word's inverse document
// frequency in the tenant's knowledge base (as BM25 does): ts_rank alone
// would let a common word count as much as a rare order reference. Words
// go through plainto_tsquery, so no input can inject tsquery operators.
func (dialect) SearchKnowledge(ctx context.Context, q sqlstore.Querier, tenant string, words []string, limit int) ([]inbox.KnowledgeHit, error) {
	args := []any{tenant}
	perWord := make([]string, len(words))
	counts := make([]string, len(words))
	for i, w := range words {
		args = append(args, w)
		perWord[i] = fmt.Sprintf("plainto_tsquery('simple', $%d)", i+2)
		counts[i] = fmt.Sprintf("COUNT(*) FILTER (WHERE tsv @@ %s)", perWord[i])
	}
	// Document frequencies: one pass over the tenant's chunks.
	row := make([]any, len(words)+1)
	freq := make([]float64, len(words)+1)
	for i := range row {
		row[i] = &freq[i]
	}
	rows, err := q.QueryContext(ctx, `SELECT COUNT(*), `+strings.Join(counts, ", ")+` FROM knowledge_chunks WHERE tenant_id = $1`, args...)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		if err := rows.Scan(row...); err != nil {
			rows.Close()
			return nil, err
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	n := freq[0]
	var terms []string
	for i, df := range freq[1:] {
		if df == 0 {
			continue
		}
		idf := math.Log(1 + (n-df+0.5)/(df+0.5))
		terms = append(terms, fmt.Sprintf("%.9f * ts_rank(tsv, %s, 1)", idf, perWord[i]))
	}
	if len(terms) == 0 {
		return nil, nil
	}
	args = append(args, limit)
	rows, err = q.QueryContext(ctx, `SELECT id, doc_id, title, text, position, score FROM (
			SELECT id, doc_id, title, text, position, `+strings.Join(terms, " + ")+` AS score
			FROM knowledge_chunks WHERE tenant_id = $1 AND tsv @@ (`+strings.Join(perWord, " || ")+`)
		) AS matched ORDER BY score DESC, doc_id, position LIMIT $`+fmt.Sprint(len(args)), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []inbox.KnowledgeHit
	for rows.Next() {
		var h inbox.KnowledgeHit
		if err := rows.Scan(&h.Chunk.ID, &h.Chunk.DocID, &h.Chunk.Title, &h.Chunk.Text, &h.Chunk.Position, &h.Score); err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

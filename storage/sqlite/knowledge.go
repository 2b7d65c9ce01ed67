package sqlite

import (
	"context"
	"encoding/hex"
	"strings"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/textfold"
	"github.com/inboxkit/inboxkit/storage/sqlstore"
)

var _ sqlstore.KnowledgeIndex = dialect{}

// tenantToken is the single FTS5 token standing for a tenant in the
// knowledge index's tenant column: hex keeps any tenant id one token of
// letters and digits.
func tenantToken(tenant string) string { return "t" + hex.EncodeToString([]byte(tenant)) }

// ReplaceKnowledgeChunks deletes the document's chunks from the FTS5
// index and the chunk table, then inserts the new ones. Text is folded in
// Go, like messages, so "Straße" and "strasse" are one word.
func (dialect) ReplaceKnowledgeChunks(ctx context.Context, tx sqlstore.Execer, tenant, docID string, chunks []inbox.KnowledgeChunk) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM knowledge_fts WHERE rowid IN
		(SELECT seq FROM knowledge_chunks WHERE tenant_id = ? AND doc_id = ?)`, tenant, docID); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM knowledge_chunks WHERE tenant_id = ? AND doc_id = ?`, tenant, docID); err != nil {
		return err
	}
	token := tenantToken(tenant)
	for _, c := range chunks {
		res, err := tx.ExecContext(ctx, `INSERT INTO knowledge_chunks (tenant_id, doc_id, position, id, title, text) VALUES (?, ?, ?, ?, ?, ?)`,
			tenant, docID, c.Position, c.ID, c.Title, c.Text)
		if err != nil {
			return err
		}
		seq, err := res.LastInsertId()
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO knowledge_fts (rowid, tenant, title, text) VALUES (?, ?, ?, ?)`,
			seq, token, textfold.Words(c.Title), textfold.Words(c.Text)); err != nil {
			return err
		}
	}
	return nil
}

// SearchKnowledge ranks with FTS5's bm25 (negated: higher is better). The
// tenant column has weight 0, so the tenant token only filters. Words are
// quoted letters and digits, so no input can inject FTS5 syntax.
func (dialect) SearchKnowledge(ctx context.Context, q sqlstore.Querier, tenant string, words []string, limit int) ([]inbox.KnowledgeHit, error) {
	quoted := make([]string, len(words))
	for i, w := range words {
		quoted[i] = `"` + w + `"`
	}
	match := `tenant : "` + tenantToken(tenant) + `" AND (` + strings.Join(quoted, " OR ") + `)`
	rows, err := q.QueryContext(ctx, `SELECT c.id, c.doc_id, c.title, c.text, c.position, -bm25(knowledge_fts, 0.0, 1.0, 1.0) AS score
		FROM knowledge_fts f JOIN knowledge_chunks c ON c.seq = f.rowid
		WHERE knowledge_fts MATCH ? AND c.tenant_id = ?
		ORDER BY score DESC, c.doc_id, c.position LIMIT ?`, match, tenant, limit)
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

package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"io/fs"
	"slices"
	"strconv"
	"strings"

	msqlite "modernc.org/sqlite"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/textfold"
	"github.com/inboxkit/inboxkit/storage/sqlstore"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// dialect is SQLite's part of sqlstore: FTS5 for search, result codes for
// errors.
type dialect struct{}

var _ sqlstore.Dialect = dialect{}

func (dialect) Name() string               { return "sqlite" }
func (dialect) Rebind(query string) string { return query }

func (dialect) Migrations() fs.FS {
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		panic(err) // the directory is embedded at build time
	}
	return sub
}

// LockMigrations needs no lock: the writer begins IMMEDIATE transactions,
// so two processes migrating one file take turns on SQLite's write lock
// and the second sees the first one's version.
func (dialect) LockMigrations(context.Context, *sql.Conn) (func(), error) { return func() {}, nil }

// SQLite result codes (https://sqlite.org/rescode.html).
const (
	codeCorrupt        = 11
	codeBusy           = 5
	codeLocked         = 6
	codeReadOnly       = 8
	codeIOErr          = 10
	codeFull           = 13
	codeCantOpen       = 14
	codeConstraint     = 19
	codeNotADB         = 26
	codeUniqueKey      = 2067
	codePrimaryKey     = 1555
	codeForeignKey     = 787
	codeConstraintMask = 0xff
)

func (dialect) Classify(err error) (error, string, bool) {
	var se *msqlite.Error
	if !errors.As(err, &se) {
		return nil, "", false
	}
	switch code := se.Code(); {
	case code == codeUniqueKey || code == codePrimaryKey:
		return inbox.ErrConflict, "unique constraint violated", true
	case code == codeForeignKey:
		return inbox.ErrInvalid, "refers to a missing record", true
	case code&codeConstraintMask == codeConstraint:
		return inbox.ErrInvalid, "constraint violated", true
	case code&codeConstraintMask == codeBusy || code&codeConstraintMask == codeLocked:
		return inbox.ErrTemporary, "database is busy", true
	case code&codeConstraintMask == codeNotADB:
		return inbox.ErrInvalid, "file is not a SQLite database", true
	case code&codeConstraintMask == codeCorrupt:
		return inbox.ErrInvalid, "database file is corrupt", true
	case code&codeConstraintMask == codeCantOpen:
		return inbox.ErrInvalid, "cannot open the database file", true
	case code&codeConstraintMask == codeReadOnly:
		return inbox.ErrUnsupported, "database is read-only", true
	case code&codeConstraintMask == codeFull:
		return inbox.ErrTemporary, "disk is full", true
	case code&codeConstraintMask == codeIOErr:
		return inbox.ErrTemporary, "disk I/O error", true
	case strings.Contains(se.Error(), "fts5: syntax error"):
		return inbox.ErrInvalid, "search syntax error", true
	}
	return nil, "", false
}

func (dialect) TagFilter(col string) string {
	return `EXISTS (SELECT 1 FROM json_each(` + col + `) WHERE json_each.value = ?)`
}

func (dialect) Index(ctx context.Context, tx sqlstore.Execer, d sqlstore.SearchDoc) error {
	// Folded in Go like the query side (and the PostgreSQL store), so
	// "Straße" and "strasse" are one word, which unicode61 alone misses.
	_, err := tx.ExecContext(ctx, `INSERT INTO messages_fts (rowid, subject, body, sender) VALUES (?, ?, ?, ?)`,
		d.Seq, textfold.Words(d.Subject), textfold.Words(d.Body), textfold.Words(d.Sender))
	return err
}

func (dialect) Unindex(ctx context.Context, tx sqlstore.Execer, _ string, seqs []int64) error {
	for len(seqs) > 0 {
		n := min(len(seqs), 500)
		args := make([]any, n)
		for i, s := range seqs[:n] {
			args[i] = s
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM messages_fts WHERE rowid IN (?`+strings.Repeat(", ?", n-1)+`)`, args...); err != nil {
			return err
		}
		seqs = seqs[n:]
	}
	return nil
}

// Reindex has nothing to do: the FTS row is keyed by the message row, not
// by its conversation.
func (dialect) Reindex(context.Context, sqlstore.Execer, string, int64, string) error { return nil }

// Match builds an FTS5 expression. Every token is quoted and made of
// letters and digits only, so no input can inject FTS5 syntax.
func (dialect) Match(terms []inbox.SearchTerm) string {
	var parts []string
	for _, t := range terms {
		if t.Sender {
			// The sender's words in order: an FTS5 phrase in its column.
			p := `sender : "` + strings.Join(t.Tokens, " ") + `"`
			if t.Prefix {
				p += "*"
			}
			parts = append(parts, p)
			continue
		}
		// Other terms need their words anywhere in the message.
		for i, tok := range t.Tokens {
			p := `"` + tok + `"`
			if t.Prefix && i == len(t.Tokens)-1 {
				p += "*"
			}
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, " AND ")
}

func (dialect) MatchedConversations(ctx context.Context, q sqlstore.Querier, tenant, match string, limit int) ([]string, bool, error) {
	rows, err := q.QueryContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM messages_fts WHERE messages_fts MATCH ? LIMIT ?)`, match, limit+1)
	if err != nil {
		return nil, false, err
	}
	var n int
	for rows.Next() {
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return nil, false, err
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	if n > limit {
		return nil, false, nil
	}
	ids, err := sqlstore.QueryStrings(ctx, q, `SELECT m.conversation_id FROM messages_fts f JOIN messages m ON m.seq = f.rowid
		WHERE messages_fts MATCH ? AND f.rowid > 0 AND m.tenant_id = ?
		UNION
		SELECT c.id FROM messages_fts f JOIN conversations c ON c.seq = -f.rowid
		WHERE messages_fts MATCH ? AND f.rowid < 0 AND f.rowid > ? AND c.tenant_id = ?
		UNION
		SELECT n.conversation_id FROM messages_fts f JOIN notes n ON n.seq = -f.rowid - ?
		WHERE messages_fts MATCH ? AND f.rowid < ? AND n.tenant_id = ?`,
		match, tenant, match, -sqlstore.NoteSeqBase, tenant, sqlstore.NoteSeqBase, match, -sqlstore.NoteSeqBase, tenant)
	return ids, true, err
}

// clusterGap is the widest run of rowids between two candidate messages
// that one range query over the index covers; farther apart, they are
// looked up by separate range queries.
const clusterGap = 4096

// ConversationsMatching reads the rowids of the conversations' messages
// (and of their subjects, stored under -seq, and notes, under
// -(NoteSeqBase + seq)), groups them into clusters of
// nearby rowids, and runs one FTS5 query restricted to each cluster's
// rowid range. A walk goes newest first, so the candidates' messages are
// mostly recent and adjacent: a few range scans instead of one index probe
// per message, whose cost grows with the number of index segments.
func (dialect) ConversationsMatching(ctx context.Context, q sqlstore.Querier, tenant, match string, convs []string) (map[string]bool, error) {
	in := `(?` + strings.Repeat(", ?", len(convs)-1) + `)`
	args := []any{tenant}
	for _, c := range convs {
		args = append(args, c)
	}
	owner := map[int64]string{}
	for _, query := range []string{
		`SELECT seq, conversation_id FROM messages WHERE tenant_id = ? AND conversation_id IN ` + in,
		`SELECT -seq, id FROM conversations WHERE tenant_id = ? AND id IN ` + in,
		`SELECT -seq - ` + strconv.FormatInt(sqlstore.NoteSeqBase, 10) + `, conversation_id FROM notes WHERE tenant_id = ? AND conversation_id IN ` + in,
	} {
		rows, err := q.QueryContext(ctx, query, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var seq int64
			var conv string
			if err := rows.Scan(&seq, &conv); err != nil {
				rows.Close()
				return nil, err
			}
			owner[seq] = conv
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	seqs := make([]int64, 0, len(owner))
	for seq := range owner {
		seqs = append(seqs, seq)
	}
	slices.Sort(seqs)
	out := map[string]bool{}
	for start := 0; start < len(seqs); {
		end := start
		for end+1 < len(seqs) && seqs[end+1]-seqs[end] <= clusterGap {
			end++
		}
		rows, err := q.QueryContext(ctx, `SELECT rowid FROM messages_fts WHERE messages_fts MATCH ? AND rowid >= ? AND rowid <= ?`,
			match, seqs[start], seqs[end])
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var rowid int64
			if err := rows.Scan(&rowid); err != nil {
				rows.Close()
				return nil, err
			}
			if conv, ok := owner[rowid]; ok {
				out[conv] = true
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		start = end + 1
	}
	return out, nil
}

// Rank uses FTS5's bm25 (lower is better, so it is negated), probing the
// index once per message of the given conversations.
func (dialect) Rank(ctx context.Context, q sqlstore.Querier, tenant, match string, convs []string) (map[string]float64, error) {
	in := `(?` + strings.Repeat(", ?", len(convs)-1) + `)`
	ids := make([]any, len(convs))
	for i, c := range convs {
		ids[i] = c
	}
	args := append(append([]any{match, tenant}, ids...), match, sqlstore.NoteSeqBase, tenant)
	args = append(args, ids...)
	rows, err := q.QueryContext(ctx, `SELECT conversation_id, MAX(score) FROM (
		SELECT m.conversation_id, -(SELECT bm25(messages_fts) FROM messages_fts WHERE messages_fts MATCH ? AND rowid = m.seq) AS score
		FROM messages m WHERE m.tenant_id = ? AND m.conversation_id IN `+in+`
		UNION ALL
		SELECT n.conversation_id, -(SELECT bm25(messages_fts) FROM messages_fts WHERE messages_fts MATCH ? AND rowid = -n.seq - ?) AS score
		FROM notes n WHERE n.tenant_id = ? AND n.conversation_id IN `+in+`
	) WHERE score IS NOT NULL GROUP BY conversation_id`, args...)
	if err != nil {
		return nil, err
	}
	return sqlstore.ScanScores(rows)
}

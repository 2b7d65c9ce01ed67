package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/textfold"
	"github.com/inboxkit/inboxkit/storage/sqlstore"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrationLockKey is the advisory lock every inboxkit instance takes
// while migrating, whatever its schema: instances starting together take
// turns, and extension creation (database-wide) never races.
const migrationLockKey = 0x696e626f786b6974 // "inboxkit"

// dialect is PostgreSQL's part of sqlstore: $n placeholders, SQLSTATE
// error codes, and a weighted tsvector index over accent-folded text.
type dialect struct {
	log   *slog.Logger
	stats *lexemeStats
}

var _ sqlstore.Dialect = dialect{}

func (dialect) Name() string { return "postgres" }

// Rebind turns each "?" outside quoted literals into $1, $2...
func (dialect) Rebind(query string) string {
	if !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	inQuote := false
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case c == '\'':
			inQuote = !inQuote
			b.WriteByte(c)
		case c == '?' && !inQuote:
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func (dialect) Migrations() fs.FS {
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		panic(err) // the directory is embedded at build time
	}
	return sub
}

// LockMigrations takes the advisory lock on conn, then makes sure
// btree_gin is installed (in schema public, so dropping an application
// schema never drops it) when the role may install it; without it the
// full-text index leaves tenant_id out.
func (d dialect) LockMigrations(ctx context.Context, conn *sql.Conn) (func(), error) {
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, int64(migrationLockKey)); err != nil {
		return nil, err
	}
	unlock := func() {
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, int64(migrationLockKey))
	}
	var installed bool
	if err := conn.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'btree_gin')`).Scan(&installed); err != nil {
		unlock()
		return nil, err
	}
	if !installed {
		if _, err := conn.ExecContext(ctx, `CREATE EXTENSION IF NOT EXISTS btree_gin SCHEMA public`); err != nil {
			d.log.Warn("postgres: btree_gin not installed; the search index will not lead with tenant_id", "err", err)
		}
	}
	return unlock, nil
}

func (dialect) Classify(err error) (error, string, bool) {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == "23505":
			return inbox.ErrConflict, "unique constraint violated", true
		case pe.Code == "23503":
			return inbox.ErrInvalid, "refers to a missing record", true
		case strings.HasPrefix(pe.Code, "22"):
			return inbox.ErrInvalid, "invalid value (" + pe.Code + ")", true
		case strings.HasPrefix(pe.Code, "23"):
			return inbox.ErrInvalid, "constraint violated (" + pe.Code + ")", true
		case pe.Code == "40001" || pe.Code == "40P01":
			return inbox.ErrTemporary, "transaction lost a race (" + pe.Code + ")", true
		case pe.Code == "55P03" || pe.Code == "57014":
			return inbox.ErrTemporary, "lock or statement timeout (" + pe.Code + ")", true
		case pe.Code == "25006":
			return inbox.ErrUnsupported, "write in a read-only transaction", true
		case strings.HasPrefix(pe.Code, "28"):
			return inbox.ErrUnauthorized, "authentication failed (" + pe.Code + ")", true
		case pe.Code == "3D000":
			return inbox.ErrInvalid, "database does not exist", true
		case strings.HasPrefix(pe.Code, "08") || strings.HasPrefix(pe.Code, "53") || strings.HasPrefix(pe.Code, "57"):
			return inbox.ErrTemporary, "server unavailable (" + pe.Code + ")", true
		}
		return nil, "", false
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) || pgconn.SafeToRetry(err) || pgconn.Timeout(err) {
		return inbox.ErrTemporary, "cannot reach the server", true
	}
	return nil, "", false
}

func (dialect) TagFilter(col string) string { return col + ` @> jsonb_build_array(?::text)` }

// Index stores the message's folded words (subject, body, sender) as a
// tsvector without positions, and its folded sender with positions. The
// text is folded in Go (textfold.Words), which needs no unaccent extension
// and tokenizes exactly like the query side.
func (d dialect) Index(ctx context.Context, tx sqlstore.Execer, doc sqlstore.SearchDoc) error {
	return d.IndexBatch(ctx, tx, []sqlstore.SearchDoc{doc})
}

// maxLexeme is the longest lexeme a tsvector holds; to_tsvector skips
// longer words, and so does IndexBatch.
const maxLexeme = 2046

// indexStatement writes a batch of documents with one statement whose text
// never changes, so it is parsed and planned once per connection: the rows
// come as parallel arrays, the words already as tsvectors.
const indexStatement = `INSERT INTO message_search (tenant_id, seq, conversation_id, tsv, sender)
	SELECT $1, u.seq, u.conversation_id, u.tsv, to_tsvector('simple', u.sender)
	FROM unnest($2::bigint[], $3::text[], $4::tsvector[], $5::text[]) AS u (seq, conversation_id, tsv, sender)`

// IndexBatch writes many documents per statement. The words are folded,
// split, sorted and made unique in Go and sent as binary tsvectors, so
// PostgreSQL neither runs its text parser over every body (a third of the
// server's time per ingested message) nor sorts the lexemes: it yields
// the very same lexemes from folded text (letters and digits separated by
// single spaces). The sender keeps positions for exact from: phrases and
// is short: the server's parser makes it.
func (dialect) IndexBatch(ctx context.Context, tx sqlstore.Execer, docs []sqlstore.SearchDoc) error {
	if len(docs) == 0 {
		return nil
	}
	tenant := docs[0].Tenant
	for len(docs) > 0 {
		n := 0
		for n < len(docs) && docs[n].Tenant == tenant {
			n++
		}
		seqs := make([]int64, n)
		convs := make([]string, n)
		tsvs := make([]pgtype.TSVector, n)
		senders := make([]string, n)
		for i, d := range docs[:n] {
			sender := textfold.Words(d.Sender)
			seqs[i], convs[i], senders[i] = d.Seq, d.ConversationID, sender
			tsvs[i] = tsvector(lexemes(textfold.Words(d.Subject), textfold.Words(d.Body), sender))
		}
		if _, err := tx.ExecContext(ctx, indexStatement, tenant, seqs, convs, tsvs, senders); err != nil {
			return err
		}
		docs = docs[n:]
		if len(docs) > 0 {
			tenant = docs[0].Tenant
		}
	}
	return nil
}

// lexemes returns the distinct words of folded texts, without the empty
// strings and over-long words a tsvector refuses, in a tsvector's order
// (bytewise).
func lexemes(folded ...string) []string {
	seen := make(map[string]struct{}, 256)
	out := make([]string, 0, 256)
	for _, f := range folded {
		for w := range strings.SplitSeq(f, " ") {
			if w == "" || len(w) > maxLexeme {
				continue
			}
			if _, ok := seen[w]; !ok {
				seen[w] = struct{}{}
				out = append(out, w)
			}
		}
	}
	slices.Sort(out)
	return out
}

// tsvector is a position-less tsvector of sorted, distinct lexemes.
func tsvector(words []string) pgtype.TSVector {
	v := pgtype.TSVector{Lexemes: make([]pgtype.TSVectorLexeme, len(words)), Valid: true}
	for i, w := range words {
		v.Lexemes[i].Word = w
	}
	return v
}

func (dialect) Unindex(ctx context.Context, tx sqlstore.Execer, tenant string, seqs []int64) error {
	if len(seqs) == 0 {
		return nil
	}
	_, err := tx.ExecContext(ctx, `DELETE FROM message_search WHERE tenant_id = $1 AND seq = ANY($2)`, tenant, seqs)
	return err
}

func (dialect) Reindex(ctx context.Context, tx sqlstore.Execer, tenant string, seq int64, conversationID string) error {
	_, err := tx.ExecContext(ctx, `UPDATE message_search SET conversation_id = $1 WHERE tenant_id = $2 AND seq = $3`, conversationID, tenant, seq)
	return err
}

// matchSep separates the words query from the sender query in a match
// expression.
const matchSep = "\x1f"

// Match builds two tsqueries, one over all words (a phrase is all of its
// words, as the index keeps no positions) and one over senders (from:,
// phrases exact), joined by matchSep. Tokens are letters and digits only,
// so no input can inject tsquery operators.
func (dialect) Match(terms []inbox.SearchTerm) string {
	var words, senders []string
	for _, t := range terms {
		toks := make([]string, len(t.Tokens))
		copy(toks, t.Tokens)
		if t.Prefix {
			toks[len(toks)-1] += ":*"
		}
		op := " & "
		if t.Sender {
			op = " <-> "
		}
		q := "(" + strings.Join(toks, op) + ")"
		if t.Sender {
			senders = append(senders, q)
		} else {
			words = append(words, q)
		}
	}
	return strings.Join(words, " & ") + matchSep + strings.Join(senders, " & ")
}

// matchCond turns a match expression into a condition on message_search
// with its arguments numbered from $next.
func matchCond(match string, next int) (string, []any) {
	words, senders, _ := strings.Cut(match, matchSep)
	var conds []string
	var args []any
	if words != "" {
		conds = append(conds, fmt.Sprintf("tsv @@ to_tsquery('simple', $%d)", next+len(args)))
		args = append(args, words)
	}
	if senders != "" {
		conds = append(conds, fmt.Sprintf("sender @@ to_tsquery('simple', $%d)", next+len(args)))
		args = append(args, senders)
	}
	if len(conds) == 0 {
		return "false", nil
	}
	return strings.Join(conds, " AND "), args
}

var _ sqlstore.SearchPreparer = dialect{}

// PrepareSearch asks for custom plans in the transaction: after five
// runs of a prepared statement PostgreSQL may switch to a generic plan,
// which for a full-text search cannot tell a rare word from a frequent
// one and scans every row (38-42 ms instead of 5 ms for from: at 10k).
func (dialect) PrepareSearch(ctx context.Context, tx sqlstore.Execer) error {
	_, err := tx.ExecContext(ctx, `SET LOCAL plan_cache_mode = force_custom_plan`)
	return err
}

func (d dialect) MatchedConversations(ctx context.Context, q sqlstore.Querier, tenant, match string, limit int) ([]string, bool, error) {
	if d.stats != nil {
		if n, ok := d.stats.estimate(ctx, q, match); ok && n > float64(limit) {
			return nil, false, nil // frequent words: walking finds them sooner
		}
	}
	cond, args := matchCond(match, 3)
	ids, err := sqlstore.QueryStrings(ctx, q, `SELECT conversation_id FROM message_search WHERE tenant_id = $1 AND `+cond+` LIMIT $2`,
		append([]any{tenant, limit + 1}, args...)...)
	if err != nil || len(ids) > limit {
		return nil, false, err
	}
	seen := map[string]bool{}
	out := ids[:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out, true, nil
}

var _ sqlstore.MatchFilter = dialect{}

// MatchFilter is true for a conversation with a matching row in the
// index (its subject or one of its messages). The planner walks the
// conversations in the page's order and probes each one's rows, which for
// the frequent words it serves stops after about a page of conversations,
// in one round trip and without reading the documents of the
// conversations that do not match.
func (dialect) MatchFilter(match string) (string, []any) {
	words, senders, _ := strings.Cut(match, matchSep)
	conds := []string{"m.tenant_id = c.tenant_id", "m.conversation_id = c.id"}
	var args []any
	if words != "" {
		conds = append(conds, "m.tsv @@ to_tsquery('simple', ?)")
		args = append(args, words)
	}
	if senders != "" {
		conds = append(conds, "m.sender @@ to_tsquery('simple', ?)")
		args = append(args, senders)
	}
	if len(args) == 0 {
		return "false", nil
	}
	return "EXISTS (SELECT 1 FROM message_search m WHERE " + strings.Join(conds, " AND ") + ")", args
}

// ConversationsMatching stops at the first matching message of each
// conversation, which for the frequent terms it serves is usually the
// first one it reads.
func (dialect) ConversationsMatching(ctx context.Context, q sqlstore.Querier, tenant, match string, convs []string) (map[string]bool, error) {
	cond, args := matchCond(match, 3)
	ids, err := sqlstore.QueryStrings(ctx, q, `SELECT c FROM unnest($2::text[]) AS c WHERE EXISTS (
		SELECT 1 FROM message_search WHERE tenant_id = $1 AND conversation_id = c AND `+cond+`)`,
		append([]any{tenant, convs}, args...)...)
	if err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}

// Rank counts, per conversation, the matching messages and notes, with
// the conversation's own subject counting double: the position-less index
// has no term frequencies for ts_rank to weigh.
func (dialect) Rank(ctx context.Context, q sqlstore.Querier, tenant, match string, convs []string) (map[string]float64, error) {
	cond, args := matchCond(match, 3)
	rows, err := q.QueryContext(ctx, `SELECT conversation_id, COUNT(*) + COUNT(*) FILTER (WHERE seq < 0 AND seq > `+strconv.FormatInt(-sqlstore.NoteSeqBase, 10)+`) FROM message_search
		WHERE tenant_id = $1 AND conversation_id = ANY($2) AND `+cond+` GROUP BY conversation_id`,
		append([]any{tenant, convs}, args...)...)
	if err != nil {
		return nil, err
	}
	return sqlstore.ScanScores(rows)
}

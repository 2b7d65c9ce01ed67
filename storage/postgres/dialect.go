package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"io/fs"
	"log/slog"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/inboxkit/inboxkit/inbox"
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
	log *slog.Logger
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

// Index stores the folded text as a weighted tsvector: A sender, B
// subject, D body. The text is folded in Go (sqlstore.Fold), which needs
// no unaccent extension and tokenizes exactly like the query side.
func (dialect) Index(ctx context.Context, tx sqlstore.Execer, d sqlstore.SearchDoc) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO message_search (tenant_id, seq, conversation_id, tsv) VALUES ($1, $2, $3,
		setweight(to_tsvector('simple', $4), 'A') || setweight(to_tsvector('simple', $5), 'B') || to_tsvector('simple', $6))`,
		d.Tenant, d.Seq, d.ConversationID, sqlstore.Fold(d.Sender), sqlstore.Fold(d.Subject), sqlstore.Fold(d.Body))
	return err
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

// Match builds a tsquery. Tokens are letters and digits only, so no input
// can inject tsquery operators.
func (dialect) Match(terms []sqlstore.Term) string {
	parts := make([]string, 0, len(terms))
	for _, t := range terms {
		toks := make([]string, len(t.Tokens))
		for i, tok := range t.Tokens {
			suffix := ""
			if t.Prefix && i == len(t.Tokens)-1 {
				suffix = "*"
			}
			if t.Sender {
				suffix += "A"
			}
			if suffix != "" {
				tok += ":" + suffix
			}
			toks[i] = tok
		}
		parts = append(parts, "("+strings.Join(toks, " <-> ")+")")
	}
	return strings.Join(parts, " & ")
}

func (dialect) MatchedConversations(ctx context.Context, q sqlstore.Querier, tenant, match string, limit int) ([]string, bool, error) {
	ids, err := queryStrings(ctx, q, `SELECT conversation_id FROM message_search
		WHERE tenant_id = $1 AND tsv @@ to_tsquery('simple', $2) LIMIT $3`, tenant, match, limit+1)
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

func (dialect) ConversationsMatching(ctx context.Context, q sqlstore.Querier, tenant, match string, convs []string) (map[string]bool, error) {
	ids, err := queryStrings(ctx, q, `SELECT DISTINCT conversation_id FROM message_search
		WHERE tenant_id = $1 AND conversation_id = ANY($2) AND tsv @@ to_tsquery('simple', $3)`, tenant, convs, match)
	if err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}

func queryStrings(ctx context.Context, q sqlstore.Querier, query string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

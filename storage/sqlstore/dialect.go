package sqlstore

import (
	"context"
	"database/sql"
	"io/fs"

	"github.com/inboxkit/inboxkit/inbox"
)

// Dialect is what differs between the SQL databases a Store runs on. The
// shared code writes portable SQL with "?" placeholders; a dialect rewrites
// placeholders, owns the schema (its migrations) and the full-text index.
type Dialect interface {
	// Name is "sqlite" or "postgres"; it prefixes error messages.
	Name() string
	// Rebind rewrites "?" placeholders into the database's form.
	Rebind(query string) string
	// Migrations holds the versioned schema files "NNNN_name.sql".
	Migrations() fs.FS
	// LockMigrations serialises concurrent Open calls around migrations on
	// conn and returns the function that releases the lock.
	LockMigrations(ctx context.Context, conn *sql.Conn) (unlock func(), err error)
	// Classify maps a driver error to an inbox sentinel (ErrConflict,
	// ErrTemporary...) and a short description without values; ok is false
	// for errors it does not recognise.
	Classify(err error) (sentinel error, code string, ok bool)
	// TagFilter is a boolean SQL fragment, with one placeholder for the tag,
	// true when the JSON array column col contains the tag.
	TagFilter(col string) string
	// Index adds a message to the full-text index in the caller's
	// transaction.
	Index(ctx context.Context, tx Execer, doc SearchDoc) error
	// Unindex removes messages from the full-text index.
	Unindex(ctx context.Context, tx Execer, tenant string, seqs []int64) error
	// Reindex records that a message moved to another conversation.
	Reindex(ctx context.Context, tx Execer, tenant string, seq int64, conversationID string) error
	// Match builds the dialect's full-text expression for the terms.
	Match(terms []inbox.SearchTerm) string
	// MatchedConversations returns the conversations of up to limit
	// messages matching the expression, and whether that was all of them.
	MatchedConversations(ctx context.Context, q Querier, tenant, match string, limit int) (ids []string, complete bool, err error)
	// Rank scores how well each conversation matches the expression (its
	// best message; higher is better). Conversations without a match are
	// absent.
	Rank(ctx context.Context, q Querier, tenant, match string, conversationIDs []string) (map[string]float64, error)
	// ConversationsMatching returns which of the conversations hold a
	// message matching the expression.
	ConversationsMatching(ctx context.Context, q Querier, tenant, match string, conversationIDs []string) (map[string]bool, error)
}

// ConversationDayReader is implemented by dialects that compute the rows
// of the conversation_day roll-up when statistics are read instead of
// keeping them in a table (where concurrent writers would wait on its few
// rows per day).
type ConversationDayReader interface {
	// ConversationDays is a query with three placeholders (tenant, first
	// UTC day, day after the last; days since 1970) whose rows are those
	// of conversation_day: day, source, folder_id, status, assignee,
	// intent, auto_by, auto_folder_id, n, first_waits, resolutions.
	ConversationDays() string
}

// BatchIndexer is implemented by dialects that write many full-text
// documents in one statement; the store uses it when a transaction ends
// with several queued.
type BatchIndexer interface {
	IndexBatch(ctx context.Context, tx Execer, docs []SearchDoc) error
}

// SearchDoc is the searchable part of a message.
type SearchDoc struct {
	Seq            int64 // the message's row number
	Tenant         string
	ConversationID string
	Subject        string
	Body           string
	Sender         string
}

// SearchPreparer is an optional Dialect capability: statements to run in
// a transaction before its full-text queries (PostgreSQL asks for custom
// plans there: a generic plan of a search cannot know how frequent its
// words are).
type SearchPreparer interface {
	PrepareSearch(ctx context.Context, tx Execer) error
}

// MatchFilter is an optional Dialect capability: a condition on the
// conversation row (alias c), with its arguments, true when the
// conversation or one of its messages matches the expression. With it a
// search for words too frequent to collect runs as one query that stops
// at the page's last match, instead of walking the list in chunks and
// asking which conversations of each chunk match.
type MatchFilter interface {
	MatchFilter(match string) (cond string, args []any)
}

// Execer runs statements (a *sql.Tx or *sql.DB).
type Execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// Querier runs queries (a *sql.Tx or *sql.DB).
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

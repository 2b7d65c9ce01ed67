package postgres

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/inboxkit/inboxkit/storage/sqlstore"
)

// ConversationDays computes the conversation_day rows from
// conversation_facts (migration 0021): a table kept by triggers made
// concurrent writers wait on, and deadlock over, its few rows per day.
func (dialect) ConversationDays() string {
	return `SELECT day, source, folder_id, status, assignee, intent, auto_by, auto_folder_id, n, first_waits, resolutions
		FROM conversation_days(?, ?, ?)`
}

// lexemeStats caches what ANALYZE knows about the search index: the most
// common lexemes with their frequencies and the row count. A GIN index
// gives no cheap way to stop counting early, so the frequency of a query's
// words decides between collecting its matches and walking the list.
type lexemeStats struct {
	mu      sync.Mutex
	loaded  time.Time
	rows    float64
	freq    map[string]float64
	refresh time.Duration
}

func newLexemeStats() *lexemeStats { return &lexemeStats{refresh: time.Minute} }

// estimate returns how many rows the words part of match is expected to
// hit, and false when the statistics cannot tell (a word that is not
// among the most common ones, a prefix, or no ANALYZE yet).
func (l *lexemeStats) estimate(ctx context.Context, q sqlstore.Querier, match string) (float64, bool) {
	words, senders, _ := strings.Cut(match, matchSep)
	if words == "" || senders != "" || strings.Contains(words, ":*") {
		return 0, false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if time.Since(l.loaded) > l.refresh {
		l.load(ctx, q)
	}
	if len(l.freq) == 0 {
		return 0, false
	}
	best := 1.0
	for _, tok := range strings.FieldsFunc(words, func(r rune) bool { return r == '(' || r == ')' || r == '&' || r == ' ' }) {
		f, ok := l.freq[tok]
		if !ok {
			return 0, false
		}
		best = min(best, f)
	}
	return best * l.rows, true
}

func (l *lexemeStats) load(ctx context.Context, q sqlstore.Querier) {
	l.loaded = time.Now()
	l.freq = map[string]float64{}
	rows, err := q.QueryContext(ctx, `SELECT u.e, u.f, c.reltuples::float8
		FROM pg_stats s
		JOIN pg_namespace n ON n.nspname = s.schemaname
		JOIN pg_class c ON c.relname = s.tablename AND c.relnamespace = n.oid,
		unnest(s.most_common_elems::text::text[], s.most_common_elem_freqs) AS u(e, f)
		WHERE s.schemaname = current_schema() AND s.tablename = 'message_search' AND s.attname = 'tsv' AND u.e IS NOT NULL`)
	if err != nil {
		return
	}
	defer rows.Close()
	for rows.Next() {
		var e string
		var f float64
		if err := rows.Scan(&e, &f, &l.rows); err != nil {
			l.freq = nil
			return
		}
		l.freq[e] = f
	}
}

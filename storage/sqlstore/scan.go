package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
)

// QueryStrings runs a query returning one string column, for dialects'
// search helpers.
func QueryStrings(ctx context.Context, q Querier, query string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, fmt.Errorf("scan: %w", err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// ScanScores reads (conversation id, score) rows, as a dialect's Rank
// query returns them, and closes rows.
func ScanScores(rows *sql.Rows) (map[string]float64, error) {
	defer rows.Close()
	out := map[string]float64{}
	for rows.Next() {
		var id string
		var score float64
		if err := rows.Scan(&id, &score); err != nil {
			return nil, fmt.Errorf("scan: %w", err)
		}
		out[id] = score
	}
	return out, rows.Err()
}

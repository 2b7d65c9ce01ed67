package app_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/examples/server/internal/demo"
	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
)

// BenchmarkReadStateAtScale measures one agent's read state on SQLite
// with 100,000 conversations, 10,000 of them unread for the team, of which
// the agent has read 5,000, and 1,000 read ones the agent marked unread:
// the badges (folders), the Unread filter with and without its total,
// is:unread in a search, a list page with the agent's bold, and marking
// one conversation read (target: ≤ 100 ms p95 each). Run with
// -benchtime=1x; figures are logged and reported as metrics.
func BenchmarkReadStateAtScale(b *testing.B) {
	if testing.Short() {
		b.Skip("builds a 100k-conversation database")
	}
	a, ts := newServer(b)
	bulkConversations(b, a.Store, 100_000)
	ctx := context.Background()
	agent := demo.Employees[0].ID // the benchmark's session
	// Every tenth conversation unread for the team; the agent read every
	// other one of those, and marked every hundredth read one unread.
	var ids []string
	require.NoError(b, a.Store.View(ctx, demo.TenantID, func(tx driver.Tx) error {
		for _, c := range listEvery(b, tx) {
			ids = append(ids, c.ID)
		}
		return nil
	}))
	for start := 0; start < len(ids); start += 2000 {
		require.NoError(b, a.Store.Update(ctx, demo.TenantID, func(tx driver.Tx) error {
			for i := start; i < min(start+2000, len(ids)); i++ {
				switch {
				case i%10 == 0:
					c, err := tx.GetConversation(ids[i])
					if err != nil {
						return err
					}
					c.Unread = 1
					if err := tx.UpdateConversation(&c); err != nil {
						return err
					}
					if i%20 == 0 {
						if err := tx.SetReadMark(c.ID, agent, false); err != nil {
							return err
						}
					}
				case i%100 == 5:
					if err := tx.SetReadMark(ids[i], agent, true); err != nil {
						return err
					}
				}
			}
			return nil
		}))
	}
	api := loginBench(b, ts.URL)
	var f struct {
		Total int `json:"total_unread"`
		Team  int `json:"team_total_unread"`
	}
	require.NoError(b, json.Unmarshal(api.call(http.MethodGet, "/inbox/folders", nil, http.StatusOK), &f))
	b.Logf("unread: %d for the agent, %d for the team", f.Total, f.Team)
	require.NotEqual(b, f.Team, f.Total, "the agent's read state is in play")

	// A program's token sees the team's state: the baseline, measured in
	// the same run so the ratio holds whatever the machine's load.
	var tok struct{ Token string }
	require.NoError(b, json.Unmarshal(api.call(http.MethodPost, "/inbox/tokens", map[string]string{"name": "bench", "role": "agent"}, http.StatusCreated), &tok))
	team := func(path string) {
		req, err := http.NewRequest(http.MethodGet, ts.URL+path, nil)
		require.NoError(b, err)
		req.Header.Set("Authorization", "Bearer "+tok.Token)
		res, err := http.DefaultClient.Do(req)
		require.NoError(b, err)
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		require.Equal(b, http.StatusOK, res.StatusCode, path)
	}
	p95 := func(samples []time.Duration) time.Duration {
		slices.Sort(samples)
		return samples[(len(samples)*95+99)/100-1]
	}
	lists := []struct{ name, path string }{
		{"folders (badges)", "/inbox/folders"},
		{"unread filter", "/inbox/conversations?unread=1&limit=50"},
		{"unread filter + total", "/inbox/conversations?unread=1&limit=50&total=1"},
		{"unread, open queue", "/inbox/conversations?unread=1&view=open&sort=queue&limit=50"},
		{"is:unread search", "/inbox/conversations?q=" + url.QueryEscape("commande is:unread") + "&limit=50"},
		{"list with bold", "/inbox/conversations?limit=50"},
	}
	b.ResetTimer()
	for b.Loop() {
		for _, l := range lists {
			var mine, teams []time.Duration
			for range 20 {
				t0 := time.Now()
				api.call(http.MethodGet, l.path, nil, http.StatusOK)
				mine = append(mine, time.Since(t0))
				t0 = time.Now()
				team(l.path)
				teams = append(teams, time.Since(t0))
			}
			b.Logf("%-24s p95 %v for the agent, %v for the team (x%.2f)", l.name, p95(mine).Round(100*time.Microsecond),
				p95(teams).Round(100*time.Microsecond), float64(p95(mine))/float64(p95(teams)))
			b.ReportMetric(float64(p95(mine).Microseconds())/1000, strings.ReplaceAll(l.name, " ", "_")+"-p95-ms")
		}
		var samples []time.Duration
		for i := range 20 {
			t0 := time.Now()
			api.call(http.MethodPost, "/inbox/conversations/"+ids[i*10]+"/read", map[string]any{"read": i%2 == 0}, http.StatusOK)
			samples = append(samples, time.Since(t0))
		}
		b.Logf("%-24s p95 %v", "mark read for the agent", p95(samples).Round(100*time.Microsecond))
		b.ReportMetric(float64(p95(samples).Microseconds())/1000, "mark_read-p95-ms")
	}
}

// listEvery lists every conversation of the tenant, newest first.
func listEvery(tb testing.TB, tx driver.Tx) []inbox.Conversation {
	var out []inbox.Conversation
	q := inbox.ConversationQuery{Limit: 500}
	for {
		page, err := tx.ListConversations(q)
		require.NoError(tb, err)
		out = append(out, page.Items...)
		if page.NextCursor == "" {
			return out
		}
		q.Cursor = page.NextCursor
	}
}

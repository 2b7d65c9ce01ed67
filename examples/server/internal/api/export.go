package api

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/inboxkit/inboxkit/examples/server/internal/auth"
	"github.com/inboxkit/inboxkit/inbox"
)

// exportStats answers statistics as CSV for a spreadsheet: one row per
// period (by=period, the default), per agent (by=agent) or per intent
// (by=intent). Durations are in seconds.
func (s *Server) exportStats(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	q, err := s.statsQuery(r)
	if err != nil {
		return err
	}
	by := r.URL.Query().Get("by")
	switch by {
	case "":
		by = "period"
	case "period", "agent", "intent":
	default:
		return inbox.Invalid("by", "must be period, agent or intent")
	}
	ctx, tenant := r.Context(), tenantOf(p)
	st, err := s.eng.Stats(ctx, tenant, q)
	if err != nil {
		return err
	}
	seconds := func(d time.Duration) string { return strconv.FormatInt(int64(d.Round(time.Second)/time.Second), 10) }
	figures := func(conversations, resolved int, first, resolution inbox.Durations) []string {
		return []string{strconv.Itoa(conversations), strconv.Itoa(resolved), strconv.Itoa(first.Count),
			seconds(first.Median), seconds(first.Average), seconds(first.P90), seconds(resolution.Median), seconds(resolution.Average)}
	}
	header := []string{"conversations", "resolved", "answered", "first_response_median_s", "first_response_average_s",
		"first_response_p90_s", "resolution_median_s", "resolution_average_s"}
	var rows [][]string
	switch by {
	case "period":
		rows = append(rows, append([]string{"period"}, header...))
		for _, pr := range st.Periods {
			rows = append(rows, append([]string{pr.Period}, figures(pr.Conversations, pr.Resolved, pr.FirstResponse, pr.Resolution)...))
		}
	case "agent":
		rows = append(rows, append([]string{"agent_id", "agent"}, header...))
		ids := make([]string, 0, len(st.ByAgent))
		for id := range st.ByAgent {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		for _, id := range ids {
			a := st.ByAgent[id]
			name := "Unassigned"
			if id != "" {
				name = s.eng.EmployeeName(ctx, tenant, id)
			}
			rows = append(rows, append([]string{id, name}, figures(a.Conversations, a.Resolved, a.FirstResponse, a.Resolution)...))
		}
	case "intent":
		rows = append(rows, []string{"intent", "conversations"})
		intents := make([]string, 0, len(st.ByIntent))
		for i := range st.ByIntent {
			intents = append(intents, string(i))
		}
		slices.Sort(intents)
		for _, i := range intents {
			name := i
			if name == "" {
				name = "none"
			}
			rows = append(rows, []string{name, strconv.Itoa(st.ByIntent[inbox.Intent(i)])})
		}
	}
	for _, row := range rows {
		for i, cell := range row {
			row[i] = spreadsheetSafe(cell)
		}
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="inbox-stats-%s-%s.csv"`, by, q.From.Format("2006-01-02")))
	w.Header().Set("Cache-Control", "no-store")
	cw := csv.NewWriter(w)
	_ = cw.WriteAll(rows)
	return nil
}

// spreadsheetSafe keeps a cell from being read as a formula by
// spreadsheet programs (a name starting with =, +, - or @).
func spreadsheetSafe(cell string) string {
	if cell != "" && (cell[0] == '=' || cell[0] == '+' || cell[0] == '-' || cell[0] == '@' || cell[0] == '\t' || cell[0] == '\r') {
		return "'" + cell
	}
	return cell
}

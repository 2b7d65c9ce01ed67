package inbox

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Granularity is the period statistics are bucketed by.
type Granularity string

// Granularities.
const (
	ByDay   Granularity = "day"
	ByWeek  Granularity = "week"
	ByMonth Granularity = "month"
)

// StatsQuery selects the time range of statistics: messages and
// conversations created in [From, To).
type StatsQuery struct {
	From, To time.Time
	// TimeZone buckets by local day; "" uses the tenant's setting, then UTC.
	TimeZone    string
	Granularity Granularity // "" means day
}

// VolumePoint counts messages of one period, source, folder and direction.
type VolumePoint struct {
	Period    string    `json:"period"` // "2026-03-11", "2026-W11" or "2026-03"
	Source    Source    `json:"source"`
	FolderID  string    `json:"folder_id"`
	Direction Direction `json:"direction"`
	Count     int       `json:"count"`
}

// Durations summarises a set of durations.
type Durations struct {
	Count   int           `json:"count"`
	Average time.Duration `json:"average"`
	Median  time.Duration `json:"median"`
	P90     time.Duration `json:"p90"`
}

// Accuracy is how often automatic filing was kept by agents.
type Accuracy struct {
	Decisions int     `json:"decisions"` // automatically filed conversations
	Corrected int     `json:"corrected"` // later moved elsewhere by an agent
	Rate      float64 `json:"rate"`      // (Decisions-Corrected)/Decisions
}

// Stats are a tenant's inbox statistics over a time range.
type Stats struct {
	Volume []VolumePoint `json:"volume"`
	// Conversations created in the range, and their distribution now.
	Conversations int            `json:"conversations"`
	ByStatus      map[Status]int `json:"by_status"`
	BySource      map[Source]int `json:"by_source"`
	ByFolder      map[string]int `json:"by_folder"`
	// FirstResponse: from a conversation's creation to a person's first
	// answer. Resolution: from creation to resolution.
	// FirstResponse: from the customer's first message (its sent time,
	// else the conversation's creation) to a person's first answer.
	// Resolution: from creation to resolution.
	FirstResponse Durations `json:"first_response"`
	Resolution    Durations `json:"resolution"`
	// ByIntent counts conversations by the intent classifiers or rules
	// found ("" none).
	ByIntent map[Intent]int `json:"by_intent"`
	// ByAgent has the figures of each assignee ("" unassigned).
	ByAgent map[string]AgentStats `json:"by_agent"`
	// Periods has the conversation figures of each period (the query's
	// granularity and time zone), oldest first.
	Periods []PeriodStats `json:"periods"`
	// ResolutionRate is the share of conversations resolved or archived.
	ResolutionRate float64 `json:"resolution_rate"`
	// Classification accuracy per classifier ("rules", "ai", ...) and per
	// automatically chosen folder; Confusion[auto][final] counts
	// conversations the classifier put in auto that ended in final.
	AccuracyByClassifier map[string]Accuracy       `json:"accuracy_by_classifier"`
	AccuracyByFolder     map[string]Accuracy       `json:"accuracy_by_folder"`
	Confusion            map[string]map[string]int `json:"confusion"`
}

// AgentStats are the figures of the conversations assigned to one agent.
type AgentStats struct {
	Conversations int       `json:"conversations"`
	Resolved      int       `json:"resolved"`
	FirstResponse Durations `json:"first_response"`
	Resolution    Durations `json:"resolution"`
}

// PeriodStats are the figures of the conversations created in one period.
type PeriodStats struct {
	Period        string    `json:"period"` // as VolumePoint.Period
	Conversations int       `json:"conversations"`
	Resolved      int       `json:"resolved"`
	FirstResponse Durations `json:"first_response"`
	Resolution    Durations `json:"resolution"`
}

// ConversationFacts is the part of a conversation statistics need.
type ConversationFacts struct {
	ID              string
	Source          Source
	FolderID        string
	Status          Status
	CreatedAt       time.Time
	FirstInboundAt  time.Time
	FirstResponseAt time.Time
	ResolvedAt      time.Time
	Classification  Decision
	Assignee        string
	Intent          Intent
}

// Stats computes a tenant's statistics.
func (e *Engine) Stats(ctx context.Context, tenantID TenantID, q StatsQuery) (Stats, error) {
	tenant, err := e.tenant(ctx, tenantID)
	if err != nil {
		return Stats{}, fmt.Errorf("stats: %w", err)
	}
	if q.To.IsZero() {
		q.To = e.clock.Now()
	}
	if q.From.IsZero() {
		q.From = q.To.AddDate(0, 0, -30)
	}
	if !q.From.Before(q.To) {
		return Stats{}, fmt.Errorf("stats: %w", Invalid("from", "must be before to"))
	}
	switch q.Granularity {
	case "":
		q.Granularity = ByDay
	case ByDay, ByWeek, ByMonth:
	default:
		return Stats{}, fmt.Errorf("stats: %w", Invalid("granularity", fmt.Sprintf("%q is not day, week or month", q.Granularity)))
	}
	tz := firstNonEmpty(q.TimeZone, tenant.Settings.TimeZone, "UTC")
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return Stats{}, fmt.Errorf("stats: %w", Invalid("time_zone", fmt.Sprintf("unknown time zone %q", tz)))
	}
	q.TimeZone = tz

	var (
		volume []VolumePoint
		facts  []ConversationFacts
	)
	err = e.viewTx(ctx, tenantID, func(tx storeTx) error {
		if stx, ok := tx.(statsTx); ok {
			if volume, err = stx.MessageVolume(q, loc); err != nil {
				return err
			}
			facts, err = stx.ConversationFacts(q)
			return err
		}
		volume, facts, err = scanStats(tx, q, loc)
		return err
	})
	if err != nil {
		return Stats{}, fmt.Errorf("stats: %w", err)
	}
	s := summarize(facts, loc, q.Granularity)
	s.Volume = volume
	return s, nil
}

// PeriodKey names the period t falls in, in loc.
func PeriodKey(t time.Time, loc *time.Location, g Granularity) string {
	t = t.In(loc)
	switch g {
	case ByWeek:
		y, w := t.ISOWeek()
		return fmt.Sprintf("%04d-W%02d", y, w)
	case ByMonth:
		return t.Format("2006-01")
	}
	return t.Format("2006-01-02")
}

// scanStats derives statistics facts by reading every conversation and
// message; fine for the memory store and small tenants.
func scanStats(tx storeTx, q StatsQuery, loc *time.Location) ([]VolumePoint, []ConversationFacts, error) {
	type key struct {
		period, folder string
		source         Source
		dir            Direction
	}
	counts := map[key]int{}
	var facts []ConversationFacts
	cursor := ""
	for {
		page, err := tx.ListConversations(ConversationQuery{Limit: 500, Cursor: cursor})
		if err != nil {
			return nil, nil, err
		}
		for _, c := range page.Items {
			if !c.CreatedAt.Before(q.From) && c.CreatedAt.Before(q.To) {
				facts = append(facts, ConversationFacts{ID: c.ID, Source: c.Source, FolderID: c.FolderID, Status: c.Status,
					CreatedAt: c.CreatedAt, FirstInboundAt: c.FirstInboundAt, FirstResponseAt: c.FirstResponseAt, ResolvedAt: c.ResolvedAt,
					Classification: c.Classification, Assignee: c.Assignee, Intent: c.Intent})
			}
			msgs, err := tx.ListMessages(c.ID)
			if err != nil {
				return nil, nil, err
			}
			for _, m := range msgs {
				if m.CreatedAt.Before(q.From) || !m.CreatedAt.Before(q.To) {
					continue
				}
				counts[key{PeriodKey(m.CreatedAt, loc, q.Granularity), c.FolderID, m.Source, m.Direction}]++
			}
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	volume := make([]VolumePoint, 0, len(counts))
	for k, n := range counts {
		volume = append(volume, VolumePoint{Period: k.period, Source: k.source, FolderID: k.folder, Direction: k.dir, Count: n})
	}
	SortVolume(volume)
	return volume, facts, nil
}

// SortVolume orders volume points by period, source, folder, direction.
func SortVolume(v []VolumePoint) {
	slices.SortFunc(v, func(a, b VolumePoint) int {
		for _, c := range [][2]string{{a.Period, b.Period}, {string(a.Source), string(b.Source)}, {a.FolderID, b.FolderID}, {string(a.Direction), string(b.Direction)}} {
			if c[0] != c[1] {
				if c[0] < c[1] {
					return -1
				}
				return 1
			}
		}
		return 0
	})
}

// figures gathers the durations of a group of conversations.
type figures struct {
	conversations, resolved int
	first, resolution       []time.Duration
}

func (g *figures) add(f ConversationFacts) {
	g.conversations++
	if f.Status == StatusResolved || f.Status == StatusArchived {
		g.resolved++
	}
	if d, ok := firstResponse(f); ok {
		g.first = append(g.first, d)
	}
	if !f.ResolvedAt.IsZero() && !f.ResolvedAt.Before(f.CreatedAt) {
		g.resolution = append(g.resolution, f.ResolvedAt.Sub(f.CreatedAt))
	}
}

// firstResponse is how long the customer waited for a person's first
// answer: from their first message's sent time (the conversation's
// creation when unknown) to the answer.
func firstResponse(f ConversationFacts) (time.Duration, bool) {
	if f.FirstResponseAt.IsZero() {
		return 0, false
	}
	from := f.CreatedAt
	if !f.FirstInboundAt.IsZero() && f.FirstInboundAt.Before(from) {
		from = f.FirstInboundAt
	}
	if f.FirstResponseAt.Before(from) {
		return 0, false
	}
	return f.FirstResponseAt.Sub(from), true
}

func summarize(facts []ConversationFacts, loc *time.Location, g Granularity) Stats {
	s := Stats{
		Conversations: len(facts), ByStatus: map[Status]int{}, BySource: map[Source]int{}, ByFolder: map[string]int{},
		AccuracyByClassifier: map[string]Accuracy{}, AccuracyByFolder: map[string]Accuracy{}, Confusion: map[string]map[string]int{},
		ByIntent: map[Intent]int{}, ByAgent: map[string]AgentStats{}, Periods: []PeriodStats{},
	}
	var all figures
	agents := map[string]*figures{}
	periods := map[string]*figures{}
	for _, f := range facts {
		s.ByStatus[f.Status]++
		s.BySource[f.Source]++
		s.ByFolder[f.FolderID]++
		s.ByIntent[f.Intent]++
		all.add(f)
		if agents[f.Assignee] == nil {
			agents[f.Assignee] = &figures{}
		}
		agents[f.Assignee].add(f)
		p := PeriodKey(f.CreatedAt, loc, g)
		if periods[p] == nil {
			periods[p] = &figures{}
		}
		periods[p].add(f)
		auto, by := autoChoice(f.Classification)
		if by == "" {
			continue
		}
		corrected := f.FolderID != auto
		bump := func(m map[string]Accuracy, k string) {
			a := m[k]
			a.Decisions++
			if corrected {
				a.Corrected++
			}
			a.Rate = float64(a.Decisions-a.Corrected) / float64(a.Decisions)
			m[k] = a
		}
		bump(s.AccuracyByClassifier, by)
		bump(s.AccuracyByFolder, auto)
		if s.Confusion[auto] == nil {
			s.Confusion[auto] = map[string]int{}
		}
		s.Confusion[auto][f.FolderID]++
	}
	s.FirstResponse = summarizeDurations(all.first)
	s.Resolution = summarizeDurations(all.resolution)
	if len(facts) > 0 {
		s.ResolutionRate = float64(all.resolved) / float64(len(facts))
	}
	for a, g := range agents {
		s.ByAgent[a] = AgentStats{Conversations: g.conversations, Resolved: g.resolved,
			FirstResponse: summarizeDurations(g.first), Resolution: summarizeDurations(g.resolution)}
	}
	for p, g := range periods {
		s.Periods = append(s.Periods, PeriodStats{Period: p, Conversations: g.conversations, Resolved: g.resolved,
			FirstResponse: summarizeDurations(g.first), Resolution: summarizeDurations(g.resolution)})
	}
	slices.SortFunc(s.Periods, func(a, b PeriodStats) int { return strings.Compare(a.Period, b.Period) })
	return s
}

// autoChoice returns the folder an automatic classifier chose and its
// name, or "" when no classifier filed the conversation.
func autoChoice(d Decision) (folder, by string) {
	if d.By == DecidedByManual {
		return d.AutoFolderID, d.AutoBy
	}
	if d.Error != "" || d.FolderID == "" || d.By == "" {
		return "", ""
	}
	return d.FolderID, d.By
}

func summarizeDurations(ds []time.Duration) Durations {
	if len(ds) == 0 {
		return Durations{}
	}
	slices.Sort(ds)
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	pct := func(p float64) time.Duration {
		// nearest-rank percentile
		i := int(float64(len(ds))*p+0.999999) - 1
		return ds[max(0, min(i, len(ds)-1))]
	}
	med := ds[len(ds)/2]
	if len(ds)%2 == 0 {
		med = (ds[len(ds)/2-1] + ds[len(ds)/2]) / 2
	}
	return Durations{Count: len(ds), Average: sum / time.Duration(len(ds)), Median: med, P90: pct(0.9)}
}

// loadLocation resolves an IANA time zone name.
func loadLocation(name string) (*time.Location, error) { return time.LoadLocation(name) }

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

// Durations summarises a set of durations. Every figure is exact, by any
// granularity and on every store: Median is the middle duration (the mean
// of the two middle ones for an even count), P90 the nearest-rank 90th
// percentile.
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
//
// Stores that implement driver.StatsTx aggregate in the database: message
// volume and conversations come from per-day roll-ups kept by triggers,
// which hold the exact durations of each day's conversations, so every
// store returns the same Stats for the same data, exact percentiles
// included; the engine groups and summarises (GroupFacts, summarize) in
// both cases.
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
		groups []ConversationGroup
	)
	err = e.viewTx(ctx, tenantID, func(tx storeTx) error {
		if stx, ok := tx.(statsTx); ok {
			if volume, err = stx.MessageVolume(q, loc); err != nil {
				return err
			}
			groups, err = stx.ConversationGroups(q, loc)
			return err
		}
		var facts []ConversationFacts
		volume, facts, err = scanStats(tx, q, loc)
		groups = GroupFacts(facts, loc, q.Granularity)
		return err
	})
	if err != nil {
		return Stats{}, fmt.Errorf("stats: %w", err)
	}
	s := summarize(groups)
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

// ConversationGroup holds the conversations created in one period that
// share every dimension statistics count them by, with their durations:
// what summarize needs of them, in a form a store can keep rolled up.
// Durations are exact, so percentiles are too.
type ConversationGroup struct {
	GroupKey
	Conversations int
	// FirstResponses and Resolutions are the durations of the group's
	// conversations that have one (FactDurations), in no order.
	FirstResponses, Resolutions []time.Duration
}

// GroupKey is a ConversationGroup's identity: everything but its counts.
type GroupKey struct {
	Period   string // as VolumePoint.Period
	Source   Source
	FolderID string
	Status   Status
	Assignee string
	Intent   Intent
	// AutoFolderID and AutoBy are the automatic filing of the conversations
	// (the folder a classifier chose and its name, see FactAutoChoice).
	AutoFolderID, AutoBy string
}

// FactsKey returns the group a conversation's facts belong to in the
// period named by period.
func FactsKey(f ConversationFacts, period string) GroupKey {
	auto, by := FactAutoChoice(f.Classification)
	return GroupKey{Period: period, Source: f.Source, FolderID: f.FolderID, Status: f.Status, Assignee: f.Assignee,
		Intent: f.Intent, AutoFolderID: auto, AutoBy: by}
}

// GroupFacts groups conversations' facts by period (in loc) and every
// dimension statistics count; groups come in no particular order.
func GroupFacts(facts []ConversationFacts, loc *time.Location, g Granularity) []ConversationGroup {
	index := map[GroupKey]int{}
	var out []ConversationGroup
	periods := periodNamer{loc: loc, g: g}
	for _, f := range facts {
		k := FactsKey(f, periods.key(f.CreatedAt))
		i, ok := index[k]
		if !ok {
			i = len(out)
			index[k] = i
			out = append(out, ConversationGroup{GroupKey: k})
		}
		grp := &out[i]
		grp.Conversations++
		first, resolution, hasFirst, hasResolution := FactDurations(f)
		if hasFirst {
			grp.FirstResponses = append(grp.FirstResponses, first)
		}
		if hasResolution {
			grp.Resolutions = append(grp.Resolutions, resolution)
		}
	}
	return out
}

// periodNamer caches PeriodKey by local day: most facts share their day
// with the previous one.
type periodNamer struct {
	loc      *time.Location
	g        Granularity
	from, to time.Time // the span of the last local day named
	last     string
}

func (p *periodNamer) key(t time.Time) string {
	if p.last != "" && !t.Before(p.from) && t.Before(p.to) {
		return p.last
	}
	p.last = PeriodKey(t, p.loc, p.g)
	// The cache covers the local day of t when no zone transition falls
	// in it (every instant of it then has its local date); otherwise only t.
	y, m, d := t.In(p.loc).Date()
	start, end := time.Date(y, m, d, 0, 0, 0, 0, p.loc), time.Date(y, m, d+1, 0, 0, 0, 0, p.loc)
	if _, zoneEnd := start.ZoneBounds(); (zoneEnd.IsZero() || !zoneEnd.Before(end)) && !start.After(t) && t.Before(end) {
		p.from, p.to = start, end
	} else {
		p.from, p.to = t, t.Add(time.Nanosecond)
	}
	return p.last
}

// FactDurations returns a conversation's first response time (from the
// customer's first message, its sent time or else the conversation's
// creation, to a person's first answer) and its resolution time (from
// creation to resolution), each with whether it has one.
func FactDurations(f ConversationFacts) (first, resolution time.Duration, hasFirst, hasResolution bool) {
	first, hasFirst = firstResponse(f)
	if !f.ResolvedAt.IsZero() && !f.ResolvedAt.Before(f.CreatedAt) {
		resolution, hasResolution = f.ResolvedAt.Sub(f.CreatedAt), true
	}
	return first, resolution, hasFirst, hasResolution
}

// figures gathers the durations of a group of conversations.
type figures struct {
	conversations, resolved int
	first, resolution       []time.Duration
}

func (g *figures) add(grp *ConversationGroup) {
	g.conversations += grp.Conversations
	if grp.Status == StatusResolved || grp.Status == StatusArchived {
		g.resolved += grp.Conversations
	}
	g.first = append(g.first, grp.FirstResponses...)
	g.resolution = append(g.resolution, grp.Resolutions...)
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

// summarize computes the conversation figures of Stats from groups; groups
// without conversations are ignored.
func summarize(groups []ConversationGroup) Stats {
	s := Stats{
		ByStatus: map[Status]int{}, BySource: map[Source]int{}, ByFolder: map[string]int{},
		AccuracyByClassifier: map[string]Accuracy{}, AccuracyByFolder: map[string]Accuracy{}, Confusion: map[string]map[string]int{},
		ByIntent: map[Intent]int{}, ByAgent: map[string]AgentStats{}, Periods: []PeriodStats{},
	}
	var all figures
	agents := map[string]*figures{}
	periods := map[string]*figures{}
	for i := range groups {
		grp := &groups[i]
		n := grp.Conversations
		if n <= 0 {
			continue
		}
		s.Conversations += n
		s.ByStatus[grp.Status] += n
		s.BySource[grp.Source] += n
		s.ByFolder[grp.FolderID] += n
		s.ByIntent[grp.Intent] += n
		all.add(grp)
		if agents[grp.Assignee] == nil {
			agents[grp.Assignee] = &figures{}
		}
		agents[grp.Assignee].add(grp)
		if periods[grp.Period] == nil {
			periods[grp.Period] = &figures{}
		}
		periods[grp.Period].add(grp)
		auto, by := grp.AutoFolderID, grp.AutoBy
		if by == "" {
			continue
		}
		corrected := grp.FolderID != auto
		bump := func(m map[string]Accuracy, k string) {
			a := m[k]
			a.Decisions += n
			if corrected {
				a.Corrected += n
			}
			a.Rate = float64(a.Decisions-a.Corrected) / float64(a.Decisions)
			m[k] = a
		}
		bump(s.AccuracyByClassifier, by)
		bump(s.AccuracyByFolder, auto)
		if s.Confusion[auto] == nil {
			s.Confusion[auto] = map[string]int{}
		}
		s.Confusion[auto][grp.FolderID] += n
	}
	s.FirstResponse = summarizeDurations(all.first)
	s.Resolution = summarizeDurations(all.resolution)
	if s.Conversations > 0 {
		s.ResolutionRate = float64(all.resolved) / float64(s.Conversations)
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

// FactAutoChoice returns the folder an automatic classifier chose and its
// name, or "" when no classifier filed the conversation.
func FactAutoChoice(d Decision) (folder, by string) {
	if d.By == DecidedByManual {
		return d.AutoFolderID, d.AutoBy
	}
	if d.Error != "" || d.FolderID == "" || d.By == "" {
		return "", ""
	}
	return d.FolderID, d.By
}

// summarizeDurations reorders ds.
func summarizeDurations(ds []time.Duration) Durations {
	if len(ds) == 0 {
		return Durations{}
	}
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	// The order statistics are selected rather than sorted for: a
	// hundred thousand durations are summarised three times per query.
	n := len(ds)
	half := n / 2
	selectNth(ds, half)
	med := ds[half]
	if n%2 == 0 {
		med = (slices.Max(ds[:half]) + ds[half]) / 2
	}
	// nearest-rank percentile
	i := max(0, min(int(float64(n)*0.9+0.999999)-1, n-1))
	switch {
	case i > half:
		selectNth(ds[half+1:], i-half-1)
	case i < half:
		selectNth(ds[:half], i)
	}
	return Durations{Count: n, Average: sum / time.Duration(n), Median: med, P90: ds[i]}
}

// selectNth reorders ds so that ds[k] is the duration a sort would put
// there, none after it smaller and none before it larger.
func selectNth(ds []time.Duration, k int) {
	lo, hi := 0, len(ds)-1
	for lo < hi {
		mid := lo + (hi-lo)/2
		if ds[mid] < ds[lo] {
			ds[mid], ds[lo] = ds[lo], ds[mid]
		}
		if ds[hi] < ds[lo] {
			ds[hi], ds[lo] = ds[lo], ds[hi]
		}
		if ds[hi] < ds[mid] {
			ds[hi], ds[mid] = ds[mid], ds[hi]
		}
		pivot := ds[mid]
		i, j := lo, hi
		for i <= j {
			for ds[i] < pivot {
				i++
			}
			for ds[j] > pivot {
				j--
			}
			if i <= j {
				ds[i], ds[j] = ds[j], ds[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return
		}
	}
}

// loadLocation resolves an IANA time zone name.
func loadLocation(name string) (*time.Location, error) { return time.LoadLocation(name) }

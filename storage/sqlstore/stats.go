package sqlstore

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
)

var _ driver.StatsTx = (*tx)(nil)

// MessageVolume counts the messages created in [q.From, q.To) by period
// (in loc), source, the conversation's current folder and direction.
//
// The message_volume roll-up, kept by triggers on messages and
// conversations (migration 0005), counts messages per UTC hour, folder,
// source and direction, so the database needs no time zone support; Go
// names each hour's period with inbox.PeriodKey.
// Periods therefore come from Go's time zone database, exactly as the
// generic scan names them, whatever the database's own tzdata says. An
// hour is bucketed as a whole only when it cannot straddle two periods: no
// zone transition inside it (time.Time.ZoneBounds) and one period at both
// ends. The other hours (half-hour offsets such as Asia/Kolkata) and the
// partial hours at both ends of the range are counted message by message,
// which reads their created_at only. Whole UTC days
// come from message_volume_day (migration 0019 on SQLite, 0017 on
// PostgreSQL), one row per day and group; a day a period boundary crosses
// counts in the period of its larger part, and the hours of the smaller
// part are moved to their own period (as ConversationGroups does).
func (t *tx) MessageVolume(q inbox.StatsQuery, loc *time.Location) ([]inbox.VolumePoint, error) {
	const op = "message volume"
	if err := t.usable(false); err != nil {
		return nil, err
	}
	if err := t.flushVolume(); err != nil { // this transaction's own messages
		return nil, err
	}
	if loc == nil {
		loc = time.UTC
	}
	if !q.From.Before(q.To) {
		return []inbox.VolumePoint{}, nil
	}
	g := q.Granularity
	counts := map[volumeKey]int{}
	exact := []timeRange{} // counted message by message
	// Whole hours since 1970 come from the message_volume roll-up.
	first := q.From.Truncate(time.Hour)
	if first.Before(q.From) {
		first = first.Add(time.Hour)
	}
	if epoch := time.Unix(0, 0); first.Before(epoch) {
		first = epoch
	}
	last := q.To.Truncate(time.Hour)
	if !first.Before(last) {
		exact = append(exact, timeRange{q.From, q.To})
	} else {
		exact = append(exact, timeRange{q.From, first}, timeRange{last, q.To})
		hours, err := t.dailyVolume(op, timeRange{first, last}, loc, g, counts)
		if err != nil {
			return nil, err
		}
		for _, r := range hours {
			straddling, err := t.hourlyVolume(op, r, loc, g, counts)
			if err != nil {
				return nil, err
			}
			for _, h := range straddling {
				if h.movedFrom == "" {
					exact = append(exact, h.timeRange)
				} else if err := t.countExactly(op, h.timeRange, h.movedFrom, loc, g, counts); err != nil {
					return nil, err
				}
			}
		}
	}
	for _, r := range exact {
		if !r.from.Before(r.to) {
			continue
		}
		if err := t.countExactly(op, r, "", loc, g, counts); err != nil {
			return nil, err
		}
	}
	if err := t.countWithoutFacts(op, q, loc, g, counts); err != nil {
		return nil, err
	}
	volume := make([]inbox.VolumePoint, 0, len(counts))
	for k, n := range counts {
		if n == 0 { // all moved to another period
			continue
		}
		volume = append(volume, inbox.VolumePoint{Period: k.period, Source: k.source, FolderID: k.folder, Direction: k.dir, Count: n})
	}
	inbox.SortVolume(volume)
	return volume, nil
}

// dailyVolume counts the whole UTC days of r (whole hours) from the
// message_volume_day roll-up, and returns the ranges of whole hours left
// to read hour by hour: the ends of r, the days of a zone transition, and
// the smaller part of each day a period boundary crosses (splitDay), whose
// messages the day counted in the period of its larger part (movedFrom).
// By week in Europe/Paris that is the hour or two after local midnight
// one day a week; by day, every day.
func (t *tx) dailyVolume(op string, r timeRange, loc *time.Location, g inbox.Granularity, counts map[volumeKey]int) ([]hourRange, error) {
	const day = 24 * time.Hour
	firstDay := r.from.Truncate(day)
	if firstDay.Before(r.from) {
		firstDay = firstDay.Add(day)
	}
	lastDay := r.to.Truncate(day)
	if !firstDay.Before(lastDay) {
		return []hourRange{{timeRange: r}}, nil
	}
	hours := []hourRange{{timeRange: timeRange{r.from, firstDay}}}
	rows, err := t.query(op, `SELECT day, source, folder_id, direction, n FROM message_volume_day
		WHERE tenant_id = ? AND day >= ? AND day < ? AND n <> 0 ORDER BY day`, string(t.tenant), nanos(firstDay)/int64(day), nanos(lastDay)/int64(day))
	if err != nil {
		return nil, err
	}
	keys := map[int64]string{} // day -> period, "" when read hour by hour
	for rows.Next() {
		var d int64
		var source, folder, direction string
		var n int
		if err := rows.Scan(&d, &source, &folder, &direction, &n); err != nil {
			rows.Close()
			return nil, t.s.wrap(op, err)
		}
		key, ok := keys[d]
		if !ok {
			start := time.Unix(0, d*int64(day)).UTC()
			var smaller timeRange
			key, smaller = splitDay(start, loc, g)
			keys[d] = key
			switch {
			case key == "":
				// Consecutive days are read in one range.
				if last := &hours[len(hours)-1]; last.movedFrom == "" && last.to.Equal(start) {
					last.to = start.Add(day)
				} else {
					hours = append(hours, hourRange{timeRange: timeRange{start, start.Add(day)}})
				}
			case smaller.from.Before(smaller.to):
				// whole hours: an hour a boundary crosses is counted
				// message by message
				from, to := smaller.from.Truncate(time.Hour), smaller.to.Truncate(time.Hour)
				if to.Before(smaller.to) {
					to = to.Add(time.Hour)
				}
				hours = append(hours, hourRange{timeRange{from, to}, key})
			}
		}
		if key != "" {
			counts[volumeKey{key, inbox.Source(source), folder, inbox.Direction(direction)}] += n
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, t.s.wrap(op, err)
	}
	return append(hours, hourRange{timeRange: timeRange{lastDay, r.to}}), nil
}

// hourRange is a range to count: of whole hours for message volume. Its
// records were already counted in period movedFrom, unless "": they are
// moved from there to their own period.
type hourRange struct {
	timeRange
	movedFrom string
}

// hourlyVolume counts the whole hours of r that lie in one period from the
// message_volume roll-up, and returns the hours that straddle two, to be
// counted message by message.
func (t *tx) hourlyVolume(op string, r hourRange, loc *time.Location, g inbox.Granularity, counts map[volumeKey]int) ([]hourRange, error) {
	if !r.from.Before(r.to) {
		return nil, nil
	}
	var exact []hourRange
	rows, err := t.query(op, `SELECT hour, source, folder_id, direction, n FROM message_volume
		WHERE tenant_id = ? AND hour >= ? AND hour < ? AND n <> 0`, string(t.tenant), nanos(r.from)/int64(time.Hour), nanos(r.to)/int64(time.Hour))
	if err != nil {
		return nil, err
	}
	keys := map[int64]string{} // hour -> period, "" when straddling
	for rows.Next() {
		var hour int64
		var source, folder, direction string
		var n int
		if err := rows.Scan(&hour, &source, &folder, &direction, &n); err != nil {
			rows.Close()
			return nil, t.s.wrap(op, err)
		}
		key, ok := keys[hour]
		if !ok {
			start := time.Unix(0, hour*int64(time.Hour)).UTC()
			key = uniformPeriod(start, time.Hour, loc, g)
			keys[hour] = key
			if key == "" {
				exact = append(exact, hourRange{timeRange{start, start.Add(time.Hour)}, r.movedFrom})
			}
		}
		if key != "" {
			if r.movedFrom != "" {
				counts[volumeKey{r.movedFrom, inbox.Source(source), folder, inbox.Direction(direction)}] -= n
			}
			counts[volumeKey{key, inbox.Source(source), folder, inbox.Direction(direction)}] += n
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, t.s.wrap(op, err)
	}
	return exact, nil
}

type volumeKey struct {
	period string
	source inbox.Source
	folder string
	dir    inbox.Direction
}

type timeRange struct{ from, to time.Time }

// uniformPeriod returns the period of every instant of the span starting
// at start, or "" when the span may cross two periods or a zone
// transition.
func uniformPeriod(start time.Time, span time.Duration, loc *time.Location, g inbox.Granularity) string {
	end := start.Add(span - time.Nanosecond)
	if _, zoneEnd := start.In(loc).ZoneBounds(); !zoneEnd.IsZero() && !zoneEnd.After(end) {
		return ""
	}
	key := inbox.PeriodKey(start, loc, g)
	if inbox.PeriodKey(end, loc, g) != key {
		return ""
	}
	return key
}

// countExactly counts the messages of r one by one, moving them from
// period movedFrom unless "".
func (t *tx) countExactly(op string, r timeRange, movedFrom string, loc *time.Location, g inbox.Granularity, counts map[volumeKey]int) error {
	rows, err := t.query(op, `SELECT m.created_at, m.source, c.folder_id, m.direction
		FROM messages m JOIN conversations c ON c.tenant_id = m.tenant_id AND c.id = m.conversation_id
		WHERE m.tenant_id = ? AND m.created_at >= ? AND m.created_at < ? AND m.direction IS NOT NULL`,
		string(t.tenant), nanos(r.from), nanos(r.to))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var created int64
		var source, folder, direction string
		if err := rows.Scan(&created, &source, &folder, &direction); err != nil {
			return t.s.wrap(op, err)
		}
		if movedFrom != "" {
			counts[volumeKey{movedFrom, inbox.Source(source), folder, inbox.Direction(direction)}]--
		}
		counts[volumeKey{inbox.PeriodKey(fromNanos(created), loc, g), inbox.Source(source), folder, inbox.Direction(direction)}]++
	}
	return t.s.wrap(op, rows.Err())
}

// countWithoutFacts counts the messages stored before their source and
// direction were columns (and whose documents the migration could not
// read), from their documents.
func (t *tx) countWithoutFacts(op string, q inbox.StatsQuery, loc *time.Location, g inbox.Granularity, counts map[volumeKey]int) error {
	rows, err := t.query(op, `SELECT m.created_at, c.folder_id, m.doc
		FROM messages m JOIN conversations c ON c.tenant_id = m.tenant_id AND c.id = m.conversation_id
		WHERE m.tenant_id = ? AND m.direction IS NULL AND m.created_at >= ? AND m.created_at < ?`,
		string(t.tenant), nanos(q.From), nanos(q.To))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var created int64
		var folder string
		var doc []byte
		if err := rows.Scan(&created, &folder, &doc); err != nil {
			return t.s.wrap(op, err)
		}
		raw, err := unpackDoc(doc)
		if err != nil {
			return err
		}
		var m struct {
			Source    inbox.Source
			Direction inbox.Direction
		}
		if err := json.Unmarshal(raw, &m); err != nil {
			return fmt.Errorf("%s: decode stored message: %w", op, err)
		}
		counts[volumeKey{inbox.PeriodKey(fromNanos(created), loc, g), m.Source, folder, m.Direction}]++
	}
	return t.s.wrap(op, rows.Err())
}

// ConversationGroups returns the conversations created in [q.From, q.To)
// grouped as inbox.GroupFacts groups them, periods in loc.
//
// Whole UTC days since 1970 come from the conversation_day roll-up
// (migration 0022 on SQLite; PostgreSQL computes its rows when read, see
// ConversationDayReader), a few rows per day with the exact durations of
// the day's conversations. A day that lies in one
// period is counted as a whole. A day one period boundary crosses (every
// day by day outside UTC, one a week by week) is counted in the period of
// its larger part, and the conversations of the smaller part, read from
// conversation_facts, are moved to their own period: in Europe/Paris that
// reads the one or two hours after local midnight. The days of a zone
// transition and the partial days at both ends of the range are read from
// conversation_facts.
func (t *tx) ConversationGroups(q inbox.StatsQuery, loc *time.Location) ([]inbox.ConversationGroup, error) {
	const op = "conversation groups"
	if err := t.usable(false); err != nil {
		return nil, err
	}
	if loc == nil {
		loc = time.UTC
	}
	groups := groupSet{}
	if !q.From.Before(q.To) {
		return groups.list(op)
	}
	const day = 24 * time.Hour
	g := q.Granularity
	firstDay := q.From.Truncate(day)
	if firstDay.Before(q.From) {
		firstDay = firstDay.Add(day)
	}
	if epoch := time.Unix(0, 0); firstDay.Before(epoch) {
		firstDay = epoch
	}
	lastDay := q.To.Truncate(day)
	exact := []timeRange{{q.From, q.To}} // read from conversation_facts
	var moves []hourRange                // counted in movedFrom by the roll-up
	if firstDay.Before(lastDay) {
		exact = []timeRange{{q.From, firstDay}, {lastDay, q.To}}
		days := `SELECT day, source, folder_id, status, assignee, intent, auto_by, auto_folder_id, n, first_waits, resolutions
			FROM conversation_day WHERE tenant_id = ? AND day >= ? AND day < ?`
		if r, ok := t.s.d.(ConversationDayReader); ok {
			days = r.ConversationDays()
		}
		rows, err := t.query(op, days, string(t.tenant), nanos(firstDay)/int64(day), nanos(lastDay)/int64(day))
		if err != nil {
			return nil, err
		}
		plans := map[int64]string{} // day -> period its rows count in, "" read exactly
		for rows.Next() {
			var d int64
			var k inbox.GroupKey
			var n int
			var waits, resolutions string
			if err := rows.Scan(&d, &k.Source, &k.FolderID, &k.Status, &k.Assignee, &k.Intent, &k.AutoBy, &k.AutoFolderID, &n, &waits, &resolutions); err != nil {
				rows.Close()
				return nil, t.s.wrap(op, err)
			}
			period, ok := plans[d]
			if !ok {
				start := time.Unix(0, d*int64(day)).UTC()
				var smaller timeRange
				period, smaller = splitDay(start, loc, g)
				plans[d] = period
				switch {
				case period == "":
					exact = append(exact, timeRange{start, start.Add(day)})
				case smaller.from.Before(smaller.to):
					moves = append(moves, hourRange{smaller, period})
				}
			}
			if period == "" {
				continue
			}
			k.Period = period
			if err := groups.addRolled(k, n, waits, resolutions); err != nil {
				rows.Close()
				return nil, fmt.Errorf("%s: %w", op, err)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, t.s.wrap(op, err)
		}
	}
	// One read for every range: a query per range cost more than its rows.
	ranges := make([]hourRange, 0, len(exact)+len(moves))
	for _, r := range exact {
		if r.from.Before(r.to) {
			ranges = append(ranges, hourRange{timeRange: r})
		}
	}
	ranges = append(ranges, moves...)
	slices.SortFunc(ranges, func(a, b hourRange) int { return a.from.Compare(b.from) })
	facts, err := t.factsIn(op, ranges)
	if err != nil {
		return nil, err
	}
	names := periodCache{loc: loc, g: g}
	for _, f := range facts {
		i, _ := slices.BinarySearchFunc(ranges, f.CreatedAt, func(r hourRange, at time.Time) int {
			if !r.to.After(at) {
				return -1
			}
			return 1
		})
		if i < len(ranges) && ranges[i].movedFrom != "" {
			groups.addFact(f, ranges[i].movedFrom, -1)
		}
		groups.addFact(f, names.key(f.CreatedAt), 1)
	}
	return groups.list(op)
}

// splitDay returns the period the UTC day starting at start is counted in
// from the roll-up and the part of it (the smaller) whose conversations
// belong to another period: empty when the whole day lies in the period.
// The period is "" when the day is to be read conversation by
// conversation: a zone transition falls in it, or more than one period
// boundary.
func splitDay(start time.Time, loc *time.Location, g inbox.Granularity) (string, timeRange) {
	const day = 24 * time.Hour
	end := start.Add(day)
	if key := uniformPeriod(start, day, loc, g); key != "" {
		return key, timeRange{}
	}
	if _, zoneEnd := start.In(loc).ZoneBounds(); !zoneEnd.IsZero() && zoneEnd.Before(end) {
		return "", timeRange{}
	}
	// b is the start of the period the day's last instant is in.
	last := end.Add(-time.Nanosecond)
	lt := last.In(loc)
	y, m, d := lt.Date()
	var b time.Time
	switch g {
	case inbox.ByWeek:
		b = time.Date(y, m, d-(int(lt.Weekday())+6)%7, 0, 0, 0, 0, loc)
	case inbox.ByMonth:
		b = time.Date(y, m, 1, 0, 0, 0, 0, loc)
	default:
		b = time.Date(y, m, d, 0, 0, 0, 0, loc)
	}
	before, after := inbox.PeriodKey(start, loc, g), inbox.PeriodKey(last, loc, g)
	if !start.Before(b) || !b.Before(end) || inbox.PeriodKey(b.Add(-time.Nanosecond), loc, g) != before || inbox.PeriodKey(b, loc, g) != after {
		return "", timeRange{}
	}
	if b.Sub(start) >= end.Sub(b) {
		return before, timeRange{b, end}
	}
	return after, timeRange{start, b}
}

// periodCache names the periods of facts read in creation order.
type periodCache struct {
	loc      *time.Location
	g        inbox.Granularity
	from, to time.Time
	last     string
}

// key is inbox.PeriodKey(t, loc, g), computed once per UTC hour.
func (p *periodCache) key(t time.Time) string {
	if p.last != "" && !t.Before(p.from) && t.Before(p.to) {
		return p.last
	}
	start := t.Truncate(time.Hour)
	if key := uniformPeriod(start, time.Hour, p.loc, p.g); key != "" {
		p.from, p.to, p.last = start, start.Add(time.Hour), key
		return key
	}
	p.last = ""
	return inbox.PeriodKey(t, p.loc, p.g)
}

// groupSet accumulates conversation groups; a group's durations to drop
// are removed when it is listed.
type groupSet map[inbox.GroupKey]*groupAcc

type groupAcc struct {
	n                       int
	first, resolution       []time.Duration
	dropFirst, dropResolved map[time.Duration]int
}

func (s groupSet) get(k inbox.GroupKey) *groupAcc {
	a := s[k]
	if a == nil {
		a = &groupAcc{}
		s[k] = a
	}
	return a
}

// addRolled adds a conversation_day row: n conversations and their
// durations, each followed by a comma.
func (s groupSet) addRolled(k inbox.GroupKey, n int, waits, resolutions string) error {
	a := s.get(k)
	a.n += n
	var err error
	if a.first, err = appendDurations(a.first, waits); err != nil {
		return err
	}
	a.resolution, err = appendDurations(a.resolution, resolutions)
	return err
}

// addFact adds (sign 1) or takes away (sign -1) one conversation.
func (s groupSet) addFact(f inbox.ConversationFacts, period string, sign int) {
	a := s.get(inbox.FactsKey(f, period))
	a.n += sign
	first, resolution, hasFirst, hasResolution := inbox.FactDurations(f)
	if sign > 0 {
		if hasFirst {
			a.first = append(a.first, first)
		}
		if hasResolution {
			a.resolution = append(a.resolution, resolution)
		}
		return
	}
	if hasFirst {
		if a.dropFirst == nil {
			a.dropFirst = map[time.Duration]int{}
		}
		a.dropFirst[first]++
	}
	if hasResolution {
		if a.dropResolved == nil {
			a.dropResolved = map[time.Duration]int{}
		}
		a.dropResolved[resolution]++
	}
}

func (s groupSet) list(op string) ([]inbox.ConversationGroup, error) {
	out := make([]inbox.ConversationGroup, 0, len(s))
	for k, a := range s {
		first, okFirst := dropDurations(a.first, a.dropFirst)
		resolution, okResolution := dropDurations(a.resolution, a.dropResolved)
		if a.n < 0 || !okFirst || !okResolution || (a.n == 0 && len(first)+len(resolution) > 0) {
			return nil, fmt.Errorf("%s: the conversation_day roll-up disagrees with conversation_facts (%+v)", op, k)
		}
		if a.n == 0 {
			continue
		}
		out = append(out, inbox.ConversationGroup{GroupKey: k, Conversations: a.n, FirstResponses: first, Resolutions: resolution})
	}
	return out, nil
}

// dropDurations removes from ds one occurrence of each duration of drop,
// and reports whether each was found.
func dropDurations(ds []time.Duration, drop map[time.Duration]int) ([]time.Duration, bool) {
	if len(drop) == 0 {
		return ds, true
	}
	kept := ds[:0]
	for _, d := range ds {
		if drop[d] > 0 {
			drop[d]--
			continue
		}
		kept = append(kept, d)
	}
	for _, n := range drop {
		if n != 0 {
			return kept, false
		}
	}
	return kept, true
}

// appendDurations appends the comma-terminated nanosecond counts of list.
func appendDurations(ds []time.Duration, list string) ([]time.Duration, error) {
	for list != "" {
		i := strings.IndexByte(list, ',')
		if i < 0 {
			return ds, fmt.Errorf("malformed durations %q", list)
		}
		n, err := strconv.ParseInt(list[:i], 10, 64)
		if err != nil {
			return ds, fmt.Errorf("malformed durations: %w", err)
		}
		ds = append(ds, time.Duration(n))
		list = list[i+1:]
	}
	return ds, nil
}

// factsIn returns the facts of the conversations created in ranges (in
// order, disjoint), in no particular order, from the conversation_facts roll-up
// (no document is decoded). Classification holds what statistics read of
// it: By, FolderID, Error, AutoFolderID and AutoBy.
func (t *tx) factsIn(op string, ranges []hourRange) ([]inbox.ConversationFacts, error) {
	var out []inbox.ConversationFacts
	const batch = 256 // ranges per query
	for len(ranges) > 0 {
		n := min(len(ranges), batch)
		var err error
		if out, err = t.appendFacts(op, out, ranges[:n]); err != nil {
			return nil, err
		}
		ranges = ranges[n:]
	}
	return out, nil
}

func (t *tx) appendFacts(op string, out []inbox.ConversationFacts, ranges []hourRange) ([]inbox.ConversationFacts, error) {
	// The fields of fixed form (names, enums, RFC 3339 times) travel as one
	// column joined by factSep, the free text last: each column read costs
	// a driver call and an allocation.
	// One SELECT per range, joined by UNION ALL: each reads its range of
	// the primary key (an OR of ranges made SQLite walk the whole tenant).
	// The ranges are padded with empty ones to a power of two: a few
	// statement texts, which prepared-statement caches keep. The facts come
	// in no particular order.
	size := 1
	for size < len(ranges) {
		size *= 2
	}
	parts := make([]string, size)
	args := make([]any, 0, 3*size)
	for i := range parts {
		parts[i] = `SELECT id, created_at, folder_id, decided_folder_id, auto_folder_id, assignee, intent, first_inbound_at,
			source || '` + factSep + `' || status || '` + factSep + `' || first_response_at || '` + factSep + `' || resolved_at || '` + factSep + `' ||
			decided_by || '` + factSep + `' || auto_by || '` + factSep + `' || decision_error
		FROM conversation_facts WHERE tenant_id = ? AND created_at >= ? AND created_at < ?`
		if i < len(ranges) {
			args = append(args, string(t.tenant), nanos(ranges[i].from), nanos(ranges[i].to))
		} else {
			args = append(args, string(t.tenant), int64(0), int64(0))
		}
	}
	rows, err := t.query(op, strings.Join(parts, "\nUNION ALL\n"), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		out = append(out, inbox.ConversationFacts{})
		f := &out[len(out)-1]
		var created int64
		var packed string
		d := &f.Classification
		var intent, firstInbound string
		if err := rows.Scan(&f.ID, &created, &f.FolderID, &d.FolderID, &d.AutoFolderID, &f.Assignee, &intent, &firstInbound, &packed); err != nil {
			return nil, t.s.wrap(op, err)
		}
		parts := strings.SplitN(packed, factSep, 7)
		if len(parts) != 7 {
			return nil, fmt.Errorf("%s %q: malformed stored facts", op, f.ID)
		}
		f.Source, f.Status, d.By, d.AutoBy, d.Error = inbox.Source(parts[0]), inbox.Status(parts[1]), parts[4], parts[5], parts[6]
		f.CreatedAt, f.Intent = fromNanos(created), inbox.Intent(intent)
		if f.FirstInboundAt, err = parseDocTime(firstInbound); err != nil {
			return nil, fmt.Errorf("%s %q: first inbound: %w", op, f.ID, err)
		}
		if f.FirstResponseAt, err = parseDocTime(parts[2]); err != nil {
			return nil, fmt.Errorf("%s %q: first response: %w", op, f.ID, err)
		}
		if f.ResolvedAt, err = parseDocTime(parts[3]); err != nil {
			return nil, fmt.Errorf("%s %q: resolution: %w", op, f.ID, err)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, t.s.wrap(op, err)
	}
	return out, nil
}

// factSep joins the packed fields of a conversation_facts row; it never
// occurs in sources, statuses, times or classifier names.
const factSep = "\x1f"

// parseDocTime reads a time as encoding/json wrote it into a document, in
// UTC; "" is the zero time.
func parseDocTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, err
	}
	if v.IsZero() {
		return time.Time{}, nil
	}
	return v.UTC(), nil
}

package sqlstore

import (
	"encoding/json"
	"fmt"
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
// which reads their created_at only. Whole UTC days that lie in one period
// come from message_volume_day (migration 0019 on SQLite, 0017 on
// PostgreSQL), one row per day and group: by week or month only the days
// a period boundary crosses are read hour by hour.
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
			exact = append(exact, straddling...)
		}
	}
	for _, r := range exact {
		if !r.from.Before(r.to) {
			continue
		}
		if err := t.countExactly(op, r, loc, g, counts); err != nil {
			return nil, err
		}
	}
	if err := t.countWithoutFacts(op, q, loc, g, counts); err != nil {
		return nil, err
	}
	volume := make([]inbox.VolumePoint, 0, len(counts))
	for k, n := range counts {
		volume = append(volume, inbox.VolumePoint{Period: k.period, Source: k.source, FolderID: k.folder, Direction: k.dir, Count: n})
	}
	inbox.SortVolume(volume)
	return volume, nil
}

// dailyVolume counts the whole UTC days of r (whole hours) that lie in one
// period from the message_volume_day roll-up, and returns the ranges of
// whole hours left to count hour by hour: the ends of r and the days a
// period boundary or a zone transition crosses (by week in Europe/Paris,
// one day a week).
func (t *tx) dailyVolume(op string, r timeRange, loc *time.Location, g inbox.Granularity, counts map[volumeKey]int) ([]timeRange, error) {
	const day = 24 * time.Hour
	firstDay := r.from.Truncate(day)
	if firstDay.Before(r.from) {
		firstDay = firstDay.Add(day)
	}
	lastDay := r.to.Truncate(day)
	if !firstDay.Before(lastDay) {
		return []timeRange{r}, nil
	}
	hours := []timeRange{{r.from, firstDay}}
	rows, err := t.query(op, `SELECT day, source, folder_id, direction, n FROM message_volume_day
		WHERE tenant_id = ? AND day >= ? AND day < ? AND n <> 0 ORDER BY day`, string(t.tenant), nanos(firstDay)/int64(day), nanos(lastDay)/int64(day))
	if err != nil {
		return nil, err
	}
	keys := map[int64]string{} // day -> period, "" when it spans two
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
			key = uniformPeriod(start, day, loc, g)
			keys[d] = key
			if key == "" {
				// Consecutive days are read in one range.
				if last := &hours[len(hours)-1]; last.to.Equal(start) {
					last.to = start.Add(day)
				} else {
					hours = append(hours, timeRange{start, start.Add(day)})
				}
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
	return append(hours, timeRange{lastDay, r.to}), nil
}

// hourlyVolume counts the whole hours of r that lie in one period from the
// message_volume roll-up, and returns the hours that straddle two, to be
// counted message by message.
func (t *tx) hourlyVolume(op string, r timeRange, loc *time.Location, g inbox.Granularity, counts map[volumeKey]int) ([]timeRange, error) {
	if !r.from.Before(r.to) {
		return nil, nil
	}
	var exact []timeRange
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
				exact = append(exact, timeRange{start, start.Add(time.Hour)})
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

// countExactly counts the messages of r one by one.
func (t *tx) countExactly(op string, r timeRange, loc *time.Location, g inbox.Granularity, counts map[volumeKey]int) error {
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

// ConversationFacts returns the conversations created in [q.From, q.To)
// from the conversation_facts roll-up (no document is decoded).
// Classification holds what statistics read of it: By, FolderID, Error,
// AutoFolderID and AutoBy.
func (t *tx) ConversationFacts(q inbox.StatsQuery) ([]inbox.ConversationFacts, error) {
	const op = "conversation facts"
	// Counting first sizes the result once: growing a slice of 100k facts
	// by appending cost more than the count.
	var n int
	if err := t.queryRow(op, []any{&n}, `SELECT COUNT(*) FROM conversation_facts WHERE tenant_id = ? AND created_at >= ? AND created_at < ?`,
		string(t.tenant), nanos(q.From), nanos(q.To)); err != nil {
		return nil, err
	}
	// The fields of fixed form (names, enums, RFC 3339 times) travel as one
	// column joined by factSep, the free text last: each column read costs
	// a driver call and an allocation.
	rows, err := t.query(op, `SELECT id, created_at, folder_id, decided_folder_id, auto_folder_id, assignee, intent, first_inbound_at,
			source || '`+factSep+`' || status || '`+factSep+`' || first_response_at || '`+factSep+`' || resolved_at || '`+factSep+`' ||
			decided_by || '`+factSep+`' || auto_by || '`+factSep+`' || decision_error
		FROM conversation_facts WHERE tenant_id = ? AND created_at >= ? AND created_at < ? ORDER BY created_at, id`,
		string(t.tenant), nanos(q.From), nanos(q.To))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make([]inbox.ConversationFacts, 0, n)
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

package sqlstore

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/inboxkit/inboxkit/inbox"
)

var _ inbox.StatsTx = (*tx)(nil)

// MessageVolume counts the messages created in [q.From, q.To) by period
// (in loc), source, the conversation's current folder and direction.
//
// The database counts messages per UTC hour (integer arithmetic on the
// created_at column through the messages_by_created index, no time zone
// support needed) and Go names each hour's period with inbox.PeriodKey.
// Periods therefore come from Go's time zone database, exactly as the
// generic scan names them, whatever the database's own tzdata says. An
// hour is bucketed as a whole only when it cannot straddle two periods: no
// zone transition inside it (time.Time.ZoneBounds) and one period at both
// ends. The other hours (half-hour offsets such as Asia/Kolkata) and the
// partial hours at both ends of the range are counted message by message,
// which reads their created_at only.
func (t *tx) MessageVolume(q inbox.StatsQuery, loc *time.Location) ([]inbox.VolumePoint, error) {
	const op = "message volume"
	if err := t.usable(false); err != nil {
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
	first := q.From.Truncate(time.Hour)
	if first.Before(q.From) {
		first = first.Add(time.Hour)
	}
	last := q.To.Truncate(time.Hour)
	if !first.Before(last) {
		exact = append(exact, timeRange{q.From, q.To})
	} else {
		exact = append(exact, timeRange{q.From, first})
		rows, err := t.query(op, `SELECT (m.created_at - ?) / 3600000000000, m.source, c.folder_id, m.direction, COUNT(*)
			FROM messages m JOIN conversations c ON c.tenant_id = m.tenant_id AND c.id = m.conversation_id
			WHERE m.tenant_id = ? AND m.created_at >= ? AND m.created_at < ? AND m.direction IS NOT NULL
			GROUP BY 1, 2, 3, 4`, nanos(first), string(t.tenant), nanos(first), nanos(last))
		if err != nil {
			return nil, err
		}
		keys := map[int64]string{} // hour index -> period, "" when straddling
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
				key = uniformPeriod(first.Add(time.Duration(hour)*time.Hour), loc, g)
				keys[hour] = key
				if key == "" {
					start := first.Add(time.Duration(hour) * time.Hour)
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
		exact = append(exact, timeRange{last, q.To})
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

type volumeKey struct {
	period string
	source inbox.Source
	folder string
	dir    inbox.Direction
}

type timeRange struct{ from, to time.Time }

// uniformPeriod returns the period of every instant of the hour starting
// at start, or "" when the hour may span two periods.
func uniformPeriod(start time.Time, loc *time.Location, g inbox.Granularity) string {
	end := start.Add(time.Hour - time.Nanosecond)
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

// conversationFacts is the part of a stored conversation document that
// statistics read; decoding only these fields skips the rest.
type conversationFacts struct {
	FirstResponseAt time.Time
	ResolvedAt      time.Time
	Classification  inbox.Decision
}

// ConversationFacts returns the conversations created in [q.From, q.To),
// found through the conversations_by_created index.
func (t *tx) ConversationFacts(q inbox.StatsQuery) ([]inbox.ConversationFacts, error) {
	const op = "conversation facts"
	rows, err := t.query(op, `SELECT id, source, folder_id, status, created_at, doc FROM conversations
		WHERE tenant_id = ? AND created_at >= ? AND created_at < ? ORDER BY created_at, id`,
		string(t.tenant), nanos(q.From), nanos(q.To))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []inbox.ConversationFacts
	for rows.Next() {
		var f inbox.ConversationFacts
		var created int64
		var doc []byte
		if err := rows.Scan(&f.ID, &f.Source, &f.FolderID, &f.Status, &created, &doc); err != nil {
			return nil, t.s.wrap(op, err)
		}
		var cf conversationFacts
		if err := decode(doc, &cf); err != nil {
			return nil, err
		}
		f.CreatedAt, f.FirstResponseAt, f.ResolvedAt, f.Classification = fromNanos(created), cf.FirstResponseAt, cf.ResolvedAt, cf.Classification
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, t.s.wrap(op, err)
	}
	return out, nil
}

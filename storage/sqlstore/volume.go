package sqlstore

import (
	"strings"
	"time"
)

// The message_volume roll-up counts messages per UTC hour, folder, source
// and direction. Triggers keep it right when messages are deleted or
// moved and when conversations are refiled or deleted; new messages are
// counted here instead, once per transaction and group: a trigger per
// inserted message updated the same roll-up row over and over (every
// message of a batch lands in the same hour), and on PostgreSQL each
// update of a row already updated in the transaction walks the chain of
// its earlier versions.

// volumeDelta is the pending count of new messages of one conversation,
// hour, source and direction.
type volumeDelta struct {
	conversation string
	hour         int64
	source       string
	direction    string
}

// countMessage records a message inserted in this transaction.
func (t *tx) countMessage(conversation string, created time.Time, source, direction string) {
	ns := nanos(created)
	if ns < 0 {
		return // the roll-up counts messages created since 1970
	}
	if t.volume == nil {
		t.volume = map[volumeDelta]int64{}
	}
	t.volume[volumeDelta{conversation, ns / int64(time.Hour), source, direction}]++
}

// volumeRowsPerStatement bounds the groups written by one statement
// (5 parameters each).
const volumeRowsPerStatement = 400

// flushVolume adds the pending counts to the roll-up under each
// conversation's current folder. It runs before commit and before any
// statement whose triggers read the messages table to adjust the roll-up
// (refiling or deleting a conversation, deleting or moving a message), so
// those triggers and the pending counts never disagree.
func (t *tx) flushVolume() error {
	if len(t.volume) == 0 {
		return nil
	}
	groups := make([]volumeDelta, 0, len(t.volume))
	for k := range t.volume {
		groups = append(groups, k)
	}
	for len(groups) > 0 {
		n := min(len(groups), volumeRowsPerStatement)
		var q strings.Builder
		q.WriteString(`WITH v (conversation_id, hour, source, direction, n) AS (VALUES `)
		args := make([]any, 0, 5*n+2)
		for i, g := range groups[:n] {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString(`(?, CAST(? AS BIGINT), ?, ?, CAST(? AS BIGINT))`)
			args = append(args, g.conversation, g.hour, g.source, g.direction, t.volume[g])
		}
		q.WriteString(`)
			INSERT INTO message_volume (tenant_id, hour, folder_id, source, direction, n)
			SELECT c.tenant_id, v.hour, c.folder_id, v.source, v.direction, SUM(v.n)
			FROM v CROSS JOIN conversations c WHERE c.tenant_id = ? AND c.id = v.conversation_id
			GROUP BY c.tenant_id, v.hour, c.folder_id, v.source, v.direction
			ON CONFLICT (tenant_id, hour, folder_id, source, direction) DO UPDATE SET n = message_volume.n + excluded.n`)
		args = append(args, string(t.tenant))
		if _, err := t.exec("count messages", q.String(), args...); err != nil {
			return err
		}
		for _, g := range groups[:n] {
			delete(t.volume, g)
		}
		groups = groups[n:]
	}
	return nil
}

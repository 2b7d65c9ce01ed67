package memstore

import "github.com/inboxkit/inboxkit/inbox"

// convRef is a conversation's entry in the tenant's scan list. The fields
// lists sort and filter on most are inline, so listing a large inbox
// reads one dense slice instead of chasing a pointer per conversation.
type convRef struct {
	at     int64 // LastMessageAt, Unix microseconds
	id     string
	status inbox.Status
	unread int
	rank   int // inbox.QueueRank
	rec    *conversation
}

func refOf(c *conversation) convRef {
	return convRef{at: c.LastMessageAt.UnixMicro(), id: c.ID, status: c.Status, unread: c.Unread, rank: inbox.QueueRank(&c.Conversation), rec: c}
}

// scanPut adds a conversation record to the scan list or replaces its
// entry.
func (t *tx) scanPut(c *conversation) {
	ts := t.state
	if i, ok := ts.scanPos[c.ID]; ok {
		old := ts.scan[i]
		t.undo = append(t.undo, func() { ts.scan[i] = old })
		ts.scan[i] = refOf(c)
		return
	}
	n := len(ts.scan)
	t.undo = append(t.undo, func() {
		ts.scan[n] = convRef{}
		ts.scan = ts.scan[:n]
	})
	ts.scan = append(ts.scan, refOf(c))
	put(&t.undo, ts.scanPos, c.ID, n)
}

// scanDelete removes a conversation from the scan list, moving the last
// entry into its place.
func (t *tx) scanDelete(id string) {
	ts := t.state
	i, ok := ts.scanPos[id]
	if !ok {
		return
	}
	last := len(ts.scan) - 1
	removed, moved := ts.scan[i], ts.scan[last]
	t.undo = append(t.undo, func() {
		ts.scan = ts.scan[:last+1]
		ts.scan[last] = moved
		ts.scan[i] = removed
	})
	ts.scan[i] = moved
	ts.scan[last] = convRef{}
	ts.scan = ts.scan[:last]
	if i != last {
		put(&t.undo, ts.scanPos, moved.id, i)
	}
	del(&t.undo, ts.scanPos, id)
}

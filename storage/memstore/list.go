package memstore

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/textfold"
)

// Conversation list limits.
const (
	defaultLimit = 50
	maxLimit     = 500
)

// listCursor is the position after the last conversation of a page: the
// sort it belongs to, that conversation's sort key and its id. Lists
// continue from the position, not from the conversation, so inserts and
// deletes between pages never skip or repeat an item.
type listCursor struct {
	Sort   inbox.Sort   `json:"s"`
	Status inbox.Status `json:"st,omitempty"`
	Rank   int          `json:"r,omitempty"` // QueueRank, for SortQueue
	At     int64        `json:"t"`           // LastMessageAt, Unix microseconds
	ID     string       `json:"i"`
}

// compareFunc returns the order of a sort: negative when a comes first.
func compareFunc(s inbox.Sort) (func(a, b convRef) int, error) {
	newest := func(a, b convRef) int {
		if c := cmp.Compare(b.at, a.at); c != 0 {
			return c
		}
		return strings.Compare(b.id, a.id)
	}
	switch s {
	case inbox.SortNewest:
		return newest, nil
	case inbox.SortOldest:
		return func(a, b convRef) int { return newest(b, a) }, nil
	case inbox.SortPriority:
		return func(a, b convRef) int {
			if c := cmp.Compare(a.status.Priority(), b.status.Priority()); c != 0 {
				return c
			}
			return newest(a, b)
		}, nil
	case inbox.SortStatus:
		return func(a, b convRef) int {
			if c := cmp.Compare(a.status.Priority(), b.status.Priority()); c != 0 {
				return c
			}
			return newest(a, b)
		}, nil
	case inbox.SortQueue:
		return func(a, b convRef) int {
			if c := cmp.Compare(a.rank, b.rank); c != 0 {
				return c
			}
			return newest(b, a)
		}, nil
	}
	return nil, inbox.Invalid("sort", fmt.Sprintf("%q is not newest, oldest, priority, status or queue", s))
}

// ListConversations filters, sorts and pages conversations. Candidates
// come from the contact or subject index when the query names one, so the
// engine's threading queries cost the size of the contact's history, not
// of the store.
func (t *tx) ListConversations(q inbox.ConversationQuery) (inbox.ConversationPage, error) {
	if err := t.read(); err != nil {
		return inbox.ConversationPage{}, err
	}
	fail := func(err error) (inbox.ConversationPage, error) {
		return inbox.ConversationPage{}, fmt.Errorf("memstore: list conversations: %w", err)
	}
	order, err := compareFunc(q.Sort)
	if err != nil {
		return fail(err)
	}
	if q.Limit < 0 {
		return fail(inbox.Invalid("limit", "must not be negative"))
	}
	limit := min(limitOr(q.Limit, defaultLimit), maxLimit)
	sq, err := inbox.ParseSearch(q.Search)
	if err != nil {
		return fail(err)
	}
	if sq.Relevance && len(sq.Terms) > 0 {
		return t.ranked(q, sq, limit)
	}
	var after *convRef // the cursor's position
	if q.Cursor != "" {
		var c listCursor
		if err := decodeCursor(q.Cursor, &c); err != nil {
			return fail(err)
		}
		if c.Sort != q.Sort {
			return fail(inbox.Invalid("cursor", "belongs to another sort order"))
		}
		after = &convRef{at: c.At, id: c.ID, status: c.Status, rank: c.Rank}
	}
	folderSets := sq.FolderSets(t.folderList())
	since, until := ts(q.Since), ts(q.Until)
	if !sq.After.IsZero() && (since.IsZero() || sq.After.After(since)) {
		since = sq.After
	}
	if !sq.Before.IsZero() && (until.IsZero() || sq.Before.Before(until)) {
		until = sq.Before
	}

	// Filters on inline fields first; the record is read only when the
	// query filters on something else.
	sinceUS, untilUS := since.UnixMicro(), until.UnixMicro()
	needRecord := q.FolderID != "" || len(q.Sources) > 0 || q.Assignee != "" || q.Tag != "" || q.Intent != "" ||
		q.ContactID != "" || len(q.ContactIDs) > 0 || q.IntegrationID != "" || q.ThreadSubject != "" || q.ProjectID != "" ||
		len(sq.Terms) > 0 || len(folderSets) > 0 || len(sq.Sources) > 0 || sq.HasAttachment
	marks := t.state.readMarks[q.Reader] // nil without a reader
	afterCursor := func(r convRef) bool { return after == nil || order(r, *after) > 0 }
	matchAll := func(r convRef) bool {
		switch {
		case len(q.Statuses) > 0 && !slices.Contains(q.Statuses, r.status),
			len(sq.Statuses) > 0 && !slices.Contains(sq.Statuses, r.status),
			(q.UnreadOnly || sq.Unread) && q.Reader == "" && (r.unread <= 0 || r.status == inbox.StatusSpam || r.status == inbox.StatusArchived),
			(q.UnreadOnly || sq.Unread) && q.Reader != "" && (r.status == inbox.StatusSpam || r.status == inbox.StatusArchived || !unreadFor(r, marks)),
			q.OpenWork && r.rank >= inbox.RankOpenWork,
			!since.IsZero() && r.at < sinceUS,
			!until.IsZero() && r.at >= untilUS:
			return false
		}
		if !needRecord {
			return true
		}
		c := r.rec
		switch {
		case q.FolderID == inbox.Unfiled && c.FolderID != "",
			q.FolderID != "" && q.FolderID != inbox.Unfiled && c.FolderID != q.FolderID,
			len(q.Sources) > 0 && !slices.Contains(q.Sources, c.Source),
			q.Assignee == inbox.Unassigned && c.Assignee != "",
			q.Assignee != "" && q.Assignee != inbox.Unassigned && c.Assignee != q.Assignee,
			q.Tag != "" && !slices.Contains(c.Tags, q.Tag),
			q.Intent != "" && c.Intent != q.Intent,
			q.ContactID != "" && c.ContactID != q.ContactID,
			len(q.ContactIDs) > 0 && !slices.Contains(q.ContactIDs, c.ContactID),
			q.IntegrationID != "" && c.IntegrationID != q.IntegrationID,
			q.ThreadSubject != "" && c.ThreadSubject != q.ThreadSubject,
			len(sq.Sources) > 0 && !slices.Contains(sq.Sources, c.Source):
			return false
		}
		for _, set := range folderSets {
			if !slices.Contains(set, c.FolderID) {
				return false
			}
		}
		if q.ProjectID != "" && !t.inProject(c, q.ProjectID) {
			return false
		}
		if sq.HasAttachment && !t.hasAttachment(c) {
			return false
		}
		return len(sq.Terms) == 0 || t.matchingRows(c, sq, true) > 0
	}

	// Keep only the first limit+1 matches in a bounded heap: a page of a
	// large inbox costs O(n log limit), not a sort of every match.
	top := &topK[convRef]{less: func(a, b convRef) bool { return order(a, b) < 0 }, max: limit + 1}
	total := 0
	visit := func(r convRef) {
		switch {
		case q.WithTotal:
			if matchAll(r) {
				total++
				if afterCursor(r) {
					top.offer(r)
				}
			}
		case afterCursor(r) && matchAll(r): // the cheap cursor test first
			top.offer(r)
		}
	}
	if candidates, ok := t.candidates(q); ok {
		for _, id := range candidates {
			visit(refOf(t.state.conversations[id]))
		}
	} else {
		// The scan list is roughly in creation order, which is roughly
		// LastMessageAt order: visiting the likely first items first lets
		// the heap reject the rest with one comparison each.
		scan := t.state.scan
		for i := range scan {
			r := scan[len(scan)-1-i]
			if q.Sort == inbox.SortOldest {
				r = scan[i]
			}
			visit(r)
		}
	}
	matched := top.sorted()

	var page inbox.ConversationPage
	if q.WithTotal {
		page.Total, page.TotalExact = min(total, inbox.MaxExactTotal), total <= inbox.MaxExactTotal
	}
	if len(matched) > limit {
		matched = matched[:limit]
		last := matched[limit-1]
		page.NextCursor = encodeCursor(listCursor{Sort: q.Sort, Status: last.status, Rank: last.rank, At: last.at, ID: last.id})
	}
	page.Items = make([]inbox.Conversation, len(matched))
	for i, r := range matched {
		page.Items[i] = cloneConversation(r.rec.Conversation)
	}
	return page, nil
}

// candidates returns the smallest index list covering the query; ok is
// false when the query names no indexed field.
func (t *tx) candidates(q inbox.ConversationQuery) (ids []string, ok bool) {
	consider := func(list []string) {
		if !ok || len(list) < len(ids) {
			ids, ok = list, true
		}
	}
	if q.ContactID != "" {
		consider(t.state.byContact[q.ContactID])
	}
	if q.ThreadSubject != "" {
		consider(t.state.bySubject[q.ThreadSubject])
	}
	return ids, ok
}

// matchingRows counts the rows of a conversation that satisfy every
// term of sq: its subject, each message (subject, text, sender) and each
// note (its text). With first set it stops at the first.
func (t *tx) matchingRows(c *conversation, sq inbox.SearchQuery, first bool) int {
	n := 0
	if sq.MatchesRow(textfold.Tokens(c.Subject), nil) {
		if first {
			return 1
		}
		n++
	}
	for _, mid := range t.state.convMessages[c.ID] {
		m := t.state.messages[mid]
		if words, sender := m.searchTokens(); sq.MatchesRow(words, sender) {
			if first {
				return 1
			}
			n++
		}
	}
	for _, nid := range t.state.convNotes[c.ID] {
		note := t.state.notes[nid]
		if sq.MatchesRow(textfold.Tokens(inbox.NoteSearchDocument(&note).Body), nil) {
			if first {
				return 1
			}
			n++
		}
	}
	return n
}

// inProject reports whether c is linked to the project or holds one of
// its tasks.
func (t *tx) inProject(c *conversation, project string) bool {
	if c.ProjectID == project {
		return true
	}
	for id := range t.state.convTasks[c.ID] {
		if t.state.tasks[id].ProjectID == project {
			return true
		}
	}
	return false
}

// hasAttachment reports whether one of c's messages carries a file.
func (t *tx) hasAttachment(c *conversation) bool {
	for _, mid := range t.state.convMessages[c.ID] {
		if len(t.state.messages[mid].Attachments) > 0 {
			return true
		}
	}
	return false
}

// folderList returns the tenant's folders.
func (t *tx) folderList() []inbox.Folder {
	out := make([]inbox.Folder, 0, len(t.state.folders))
	for _, f := range t.state.folders {
		out = append(out, f)
	}
	return out
}

// relevanceSort marks the cursor of a sort:relevance search, whose pages
// are offsets into the ranking.
const relevanceSort inbox.Sort = "~relevance"

// ranked orders the newest RelevanceWindow matching conversations by how
// many of their messages match, then newest first.
func (t *tx) ranked(q inbox.ConversationQuery, sq inbox.SearchQuery, limit int) (inbox.ConversationPage, error) {
	offset := 0
	if q.Cursor != "" {
		var c listCursor
		if err := decodeCursor(q.Cursor, &c); err != nil || c.Sort != relevanceSort || c.At < 0 {
			return inbox.ConversationPage{}, fmt.Errorf("memstore: list conversations: %w", inbox.Invalid("cursor", "does not belong to a sort:relevance search"))
		}
		offset = int(c.At)
	}
	newest := q
	newest.Search, newest.Cursor, newest.Limit, newest.Sort = strings.TrimSpace(q.Search+" sort:newest"), "", inbox.RelevanceWindow, inbox.SortNewest
	page, err := t.ListConversations(newest)
	if err != nil {
		return inbox.ConversationPage{}, err
	}
	items := page.Items
	scores := make(map[string]int, len(items))
	for _, c := range items {
		scores[c.ID] = t.matchingRows(t.state.conversations[c.ID], sq, false)
	}
	slices.SortStableFunc(items, func(a, b inbox.Conversation) int { return cmp.Compare(scores[b.ID], scores[a.ID]) })
	offset = min(offset, len(items))
	out := inbox.ConversationPage{Items: items[offset:min(offset+limit, len(items))], Total: page.Total, TotalExact: page.TotalExact}
	if offset+limit < len(items) {
		out.NextCursor = encodeCursor(listCursor{Sort: relevanceSort, At: int64(offset + limit)})
	}
	return out, nil
}

// topK keeps the max smallest items offered, by less, in a max-heap.
type topK[T any] struct {
	less  func(a, b T) bool
	max   int
	items []T // heap: items[0] is the greatest kept
}

func (h *topK[T]) offer(v T) {
	if len(h.items) < h.max {
		h.items = append(h.items, v)
		h.up(len(h.items) - 1)
		return
	}
	if !h.less(v, h.items[0]) {
		return
	}
	h.items[0] = v
	h.down(0)
}

func (h *topK[T]) up(i int) {
	for i > 0 {
		parent := (i - 1) / 2
		if !h.less(h.items[parent], h.items[i]) {
			return
		}
		h.items[parent], h.items[i] = h.items[i], h.items[parent]
		i = parent
	}
}

func (h *topK[T]) down(i int) {
	for {
		largest, l, r := i, 2*i+1, 2*i+2
		if l < len(h.items) && h.less(h.items[largest], h.items[l]) {
			largest = l
		}
		if r < len(h.items) && h.less(h.items[largest], h.items[r]) {
			largest = r
		}
		if largest == i {
			return
		}
		h.items[i], h.items[largest] = h.items[largest], h.items[i]
		i = largest
	}
}

// sorted returns the kept items in order.
func (h *topK[T]) sorted() []T {
	slices.SortFunc(h.items, func(a, b T) int {
		switch {
		case h.less(a, b):
			return -1
		case h.less(b, a):
			return 1
		}
		return 0
	})
	return h.items
}

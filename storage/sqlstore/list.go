package sqlstore

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/inboxkit/inboxkit/inbox"
)

// Search tuning. A query whose terms match at most rareMatchLimit messages
// is answered from the full-text index; a more frequent one walks the
// filtered list in growing chunks (at most walkChunk) and keeps the
// conversations holding a match, which finds a page quickly precisely
// because matches are frequent.
const (
	rareMatchLimit = 5000
	walkChunk      = 500
)

// RelevanceWindow is inbox.RelevanceWindow: how many of the newest matching conversations
// sort:relevance ranks, which bounds its cost whatever the term.
const RelevanceWindow = inbox.RelevanceWindow

// orderKey is one column of a conversation ordering.
type orderKey struct {
	col     string
	desc    bool
	numeric bool
	value   func(c *inbox.Conversation) string
}

var (
	keyLastMessage = func(desc bool) orderKey {
		return orderKey{col: "last_message_at", desc: desc, numeric: true, value: func(c *inbox.Conversation) string {
			return strconv.FormatInt(nanos(c.LastMessageAt), 10)
		}}
	}
	keyID = func(desc bool) orderKey {
		return orderKey{col: "id", desc: desc, value: func(c *inbox.Conversation) string { return c.ID }}
	}
	keyPriority = orderKey{col: "priority", numeric: true, value: func(c *inbox.Conversation) string {
		return strconv.Itoa(c.Status.Priority())
	}}
	keyQueue = orderKey{col: "queue_rank", numeric: true, value: func(c *inbox.Conversation) string {
		return strconv.Itoa(inbox.QueueRank(c))
	}}
)

func orderFor(s inbox.Sort) ([]orderKey, error) {
	switch s {
	case inbox.SortNewest:
		return []orderKey{keyLastMessage(true), keyID(true)}, nil
	case inbox.SortOldest:
		return []orderKey{keyLastMessage(false), keyID(false)}, nil
	case inbox.SortPriority:
		return []orderKey{keyPriority, keyLastMessage(true), keyID(true)}, nil
	case inbox.SortStatus:
		// workflow order: the priority column is Status.Priority
		return []orderKey{keyPriority, keyLastMessage(true), keyID(true)}, nil
	case inbox.SortQueue:
		return []orderKey{keyQueue, keyLastMessage(false), keyID(false)}, nil
	}
	return nil, inbox.Invalid("sort", fmt.Sprintf("%q is not newest, oldest, priority, status or queue", s))
}

// listPlan is a filtered, ordered conversation query.
type listPlan struct {
	where []string
	args  []any
	order []orderKey
	// counted holds, by index in where, another form of a condition for
	// counting, with the same arguments: a page walks its order's index
	// and tests each row, a count is best driven by the set of rows.
	counted map[int]string
}

func (p *listPlan) add(cond string, args ...any) {
	p.where = append(p.where, cond)
	p.args = append(p.args, args...)
}

// after restricts the plan to rows after the cursor values.
func (p *listPlan) after(values []string) error {
	if len(values) != len(p.order) {
		return inbox.Invalid("cursor", "does not belong to this sort order")
	}
	vals := make([]any, len(values))
	for i, v := range values {
		vals[i] = v
		if p.order[i].numeric {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return inbox.Invalid("cursor", "is not a cursor this store returned")
			}
			vals[i] = n
		}
	}
	sameDir := true
	cols := make([]string, len(p.order))
	for i, k := range p.order {
		cols[i] = k.col
		sameDir = sameDir && k.desc == p.order[0].desc
	}
	if sameDir {
		// A row comparison is a single index range in both databases.
		op := " > "
		if p.order[0].desc {
			op = " < "
		}
		p.add("("+strings.Join(cols, ", ")+")"+op+"("+placeholders(len(vals))+")", vals...)
		return nil
	}
	var ors []string
	var args []any
	for i := range p.order {
		var ands []string
		for j := 0; j < i; j++ {
			ands = append(ands, p.order[j].col+" = ?")
			args = append(args, vals[j])
		}
		op := " > ?"
		if p.order[i].desc {
			op = " < ?"
		}
		ands = append(ands, p.order[i].col+op)
		args = append(args, vals[i])
		ors = append(ors, "("+strings.Join(ands, " AND ")+")")
	}
	p.add("("+strings.Join(ors, " OR ")+")", args...)
	return nil
}

func (p *listPlan) sql(limit int) (string, []any) {
	var order []string
	for _, k := range p.order {
		dir := " ASC"
		if k.desc {
			dir = " DESC"
		}
		order = append(order, k.col+dir)
	}
	q := `SELECT ` + conversationSelect + ` FROM conversations c WHERE ` + strings.Join(p.where, " AND ") +
		` ORDER BY ` + strings.Join(order, ", ") + ` LIMIT ?`
	return q, append(append([]any(nil), p.args...), limit)
}

// clone copies the plan, so conditions added to one stay off the other.
func (p *listPlan) clone() *listPlan {
	return &listPlan{where: slices.Clone(p.where), args: slices.Clone(p.args), order: p.order, counted: p.counted}
}

func (p *listPlan) cursor(c *inbox.Conversation) string {
	vals := make([]string, len(p.order))
	for i, k := range p.order {
		vals[i] = k.value(c)
	}
	raw, _ := json.Marshal(vals)
	return base64.RawURLEncoding.EncodeToString(raw)
}

func decodeCursor(s string) ([]string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	var vals []string
	if err != nil || json.Unmarshal(raw, &vals) != nil {
		return nil, inbox.Invalid("cursor", "is not a cursor this store returned")
	}
	return vals, nil
}

// ListConversations filters, sorts and pages conversations; Search
// accepts the query syntax of inbox.ParseSearch.
func (t *tx) ListConversations(q inbox.ConversationQuery) (inbox.ConversationPage, error) {
	page, err := t.listConversations(q)
	if err != nil {
		return inbox.ConversationPage{}, fmt.Errorf("list conversations: %w", err)
	}
	return page, nil
}

func (t *tx) listConversations(q inbox.ConversationQuery) (inbox.ConversationPage, error) {
	limit := q.Limit
	switch {
	case limit < 0:
		return inbox.ConversationPage{}, inbox.Invalid("limit", "must not be negative")
	case limit == 0:
		limit = 50
	case limit > 500:
		limit = 500
	}
	order, err := orderFor(q.Sort)
	if err != nil {
		return inbox.ConversationPage{}, err
	}
	search, err := inbox.ParseSearch(q.Search)
	if err != nil {
		return inbox.ConversationPage{}, err
	}
	plan := &listPlan{order: order}
	if err := t.filters(plan, q, search); err != nil {
		return inbox.ConversationPage{}, err
	}
	if search.Relevance && len(search.Terms) > 0 {
		return t.ranked(q, search, limit)
	}
	var total *inbox.ConversationPage // Total and TotalExact, once counted
	count := func(p *listPlan, exact bool) (inbox.ConversationPage, error) {
		if !q.WithTotal {
			return inbox.ConversationPage{}, nil
		}
		n, err := t.countPlan(p)
		return inbox.ConversationPage{Total: min(n, inbox.MaxExactTotal), TotalExact: exact && n <= inbox.MaxExactTotal}, err
	}
	withTotal := func(page inbox.ConversationPage, err error) (inbox.ConversationPage, error) {
		if err == nil && total != nil {
			page.Total, page.TotalExact = total.Total, total.TotalExact
		}
		return page, err
	}
	if q.WithTotal && len(search.Terms) == 0 {
		c, err := count(plan, true)
		if err != nil {
			return inbox.ConversationPage{}, err
		}
		total = &c
	}
	uncursored := plan.clone() // the filters alone, for a total
	if q.Cursor != "" {
		vals, err := decodeCursor(q.Cursor)
		if err != nil {
			return inbox.ConversationPage{}, err
		}
		if err := plan.after(vals); err != nil {
			return inbox.ConversationPage{}, err
		}
	}
	if len(search.Terms) == 0 {
		return withTotal(t.runPlan(plan, limit))
	}
	if err := t.flushIndex(); err != nil {
		return inbox.ConversationPage{}, err
	}
	if err := t.prepareSearch(); err != nil {
		return inbox.ConversationPage{}, err
	}
	match := t.s.d.Match(search.Terms)
	ids, complete, err := t.s.d.MatchedConversations(t.ctx, t.tx, string(t.tenant), match, rareMatchLimit)
	if err != nil {
		return inbox.ConversationPage{}, t.s.wrap("search", err)
	}
	if complete {
		if len(ids) == 0 {
			return inbox.ConversationPage{TotalExact: q.WithTotal}, nil
		}
		plan.add("c.id IN ("+placeholders(len(ids))+")", anys(ids)...)
		if q.WithTotal {
			uncursored.add("c.id IN ("+placeholders(len(ids))+")", anys(ids)...)
			c, err := count(uncursored, true)
			if err != nil {
				return inbox.ConversationPage{}, err
			}
			total = &c
		}
		return withTotal(t.runPlan(plan, limit))
	}
	if q.WithTotal {
		// A word too frequent to collect: the conversations the filters
		// keep bound the total; it is an estimate.
		c, err := count(uncursored, false)
		if err != nil {
			return inbox.ConversationPage{}, err
		}
		total = &c
	}
	if f, ok := t.s.d.(MatchFilter); ok {
		cond, args := f.MatchFilter(match)
		plan.add(cond, args...)
		return withTotal(t.runPlan(plan, limit))
	}
	return withTotal(t.walk(plan, match, limit))
}

// prepareSearch runs the dialect's statements before full-text queries,
// once per transaction.
func (t *tx) prepareSearch() error {
	p, ok := t.s.d.(SearchPreparer)
	if !ok || t.searchPrepared {
		return nil
	}
	if err := p.PrepareSearch(t.ctx, t.tx); err != nil {
		return t.s.wrap("prepare search", err)
	}
	t.searchPrepared = true
	return nil
}

// countPlan counts the rows of a plan, up to MaxExactTotal+1, with the
// conditions' forms for counting (listPlan.counted): counting has no
// order to keep.
func (t *tx) countPlan(p *listPlan) (int, error) {
	var n int
	where := slices.Clone(p.where)
	for i, cond := range p.counted {
		where[i] = cond
	}
	err := t.queryRow("count conversations", []any{&n}, `SELECT COUNT(*) FROM (SELECT 1 FROM conversations c WHERE `+
		strings.Join(where, " AND ")+` LIMIT ?) x`, append(append([]any(nil), p.args...), inbox.MaxExactTotal+1)...)
	return n, err
}

func (t *tx) runPlan(plan *listPlan, limit int) (inbox.ConversationPage, error) {
	query, args := plan.sql(limit + 1)
	rows, err := t.query("list conversations", query, args...)
	if err != nil {
		return inbox.ConversationPage{}, err
	}
	items, err := t.scanConversations(rows)
	if err != nil {
		return inbox.ConversationPage{}, err
	}
	page := inbox.ConversationPage{Items: items}
	if len(items) > limit {
		page.Items = items[:limit]
		page.NextCursor = plan.cursor(&page.Items[limit-1])
	}
	return page, nil
}

// walk pages through the filtered list and keeps conversations with a
// matching message, for terms too frequent to collect up front. Chunks
// start at twice the page and double, so a frequent term costs one small
// chunk and a rarer one a few larger ones.
func (t *tx) walk(plan *listPlan, match string, limit int) (inbox.ConversationPage, error) {
	var found []inbox.Conversation
	base := len(plan.where)
	baseArgs := len(plan.args)
	size := 2 * (limit + 1)
	for ; ; size = min(2*size, walkChunk) {
		chunk, err := t.runPlan(plan, size)
		if err != nil {
			return inbox.ConversationPage{}, err
		}
		if len(chunk.Items) == 0 {
			break
		}
		ids := make([]string, len(chunk.Items))
		for i, c := range chunk.Items {
			ids[i] = c.ID
		}
		hits, err := t.s.d.ConversationsMatching(t.ctx, t.tx, string(t.tenant), match, ids)
		if err != nil {
			return inbox.ConversationPage{}, t.s.wrap("search", err)
		}
		for _, c := range chunk.Items {
			if hits[c.ID] {
				found = append(found, c)
			}
		}
		if len(found) > limit || chunk.NextCursor == "" {
			break
		}
		vals, _ := decodeCursor(chunk.NextCursor)
		plan.where, plan.args = plan.where[:base], plan.args[:baseArgs]
		if err := plan.after(vals); err != nil {
			return inbox.ConversationPage{}, err
		}
	}
	page := inbox.ConversationPage{Items: found}
	if len(found) > limit {
		page.Items = found[:limit]
		page.NextCursor = plan.cursor(&page.Items[limit-1])
	}
	return page, nil
}

// filters turns the query's fields and the search's operators into
// conditions. Every value is a bound parameter.
func (t *tx) filters(p *listPlan, q inbox.ConversationQuery, s inbox.SearchQuery) error {
	p.add("c.tenant_id = ?", string(t.tenant))
	switch q.FolderID {
	case "":
	case inbox.Unfiled:
		p.add("c.folder_id = ''")
	default:
		p.add("c.folder_id = ?", q.FolderID)
	}
	for _, st := range q.Statuses {
		if !st.Valid() {
			return inbox.Invalid("statuses", fmt.Sprintf("%q is not a status", st))
		}
	}
	if len(q.Statuses) > 0 {
		p.add("c.status IN ("+placeholders(len(q.Statuses))+")", anys(q.Statuses)...)
	}
	if len(q.Sources) > 0 {
		p.add("c.source IN ("+placeholders(len(q.Sources))+")", anys(q.Sources)...)
	}
	switch q.Assignee {
	case "":
	case inbox.Unassigned:
		p.add("c.assignee = ''")
	default:
		p.add("c.assignee = ?", q.Assignee)
	}
	switch {
	case (q.UnreadOnly || s.Unread) && q.Reader != "":
		// The set ReaderUnreadCounts counts. For a page, SQLite checks
		// each id of its order's index against the set, built once ("+"
		// keeps the set from driving: it would fetch and sort all its
		// rows), without reading rows the index holds the order of;
		// PostgreSQL would join the set and sort it, so it tests each
		// row instead. The set of ids drives a count.
		page := readerUnreadRow
		if t.s.d.Name() == "sqlite" {
			page = "+c.id IN (" + readerUnreadSet + ")"
		}
		p.add(page, t.readerUnreadArgs(q.Reader)...)
		if p.counted == nil {
			p.counted = map[int]string{}
		}
		p.counted[len(p.where)-1] = "c.id IN (" + readerUnreadSet + ")"
	case q.UnreadOnly || s.Unread:
		// the set UnreadCounts counts (the conversations_unread index)
		p.add("c.unread > 0 AND c.status NOT IN ('spam', 'archived')")
	}
	if q.Tag != "" {
		p.add(t.s.d.TagFilter("c.tags"), q.Tag)
	}
	if q.Intent != "" {
		p.add("c.intent = ?", string(q.Intent))
	}
	if q.OpenWork {
		p.add("c.queue_rank < ?", inbox.RankOpenWork)
	}
	if q.ProjectID != "" {
		p.add("(c.project_id = ? OR c.id IN (SELECT k.conversation_id FROM tasks k WHERE k.tenant_id = c.tenant_id AND k.project_id = ?))", q.ProjectID, q.ProjectID)
	}
	if len(q.ContactIDs) > 0 {
		p.add("c.contact_id IN ("+placeholders(len(q.ContactIDs))+")", anys(q.ContactIDs)...)
	}
	if q.ContactID != "" {
		p.add("c.contact_id = ?", q.ContactID)
	}
	if q.IntegrationID != "" {
		p.add("c.integration_id = ?", q.IntegrationID)
	}
	if q.ThreadSubject != "" {
		p.add("c.thread_subject = ?", q.ThreadSubject)
	}
	if !q.Since.IsZero() {
		p.add("c.last_message_at >= ?", nanos(q.Since))
	}
	if !q.Until.IsZero() {
		p.add("c.last_message_at < ?", nanos(q.Until))
	}
	// Search operators.
	if len(s.Folders) > 0 {
		folders, err := t.ListFolders()
		if err != nil {
			return err
		}
		for _, set := range s.FolderSets(folders) {
			if len(set) == 0 {
				p.add("1 = 0")
				continue
			}
			p.add("c.folder_id IN ("+placeholders(len(set))+")", anys(set)...)
		}
	}
	if len(s.Statuses) > 0 {
		p.add("c.status IN ("+placeholders(len(s.Statuses))+")", anys(s.Statuses)...)
	}
	if len(s.Sources) > 0 {
		p.add("c.source IN ("+placeholders(len(s.Sources))+")", anys(s.Sources)...)
	}
	if s.HasAttachment {
		p.add("EXISTS (SELECT 1 FROM messages m WHERE m.tenant_id = c.tenant_id AND m.conversation_id = c.id AND m.has_attachment = ?)", true)
	}
	if !s.After.IsZero() {
		p.add("c.last_message_at >= ?", nanos(s.After))
	}
	if !s.Before.IsZero() {
		p.add("c.last_message_at < ?", nanos(s.Before))
	}
	return nil
}

// relevanceCursor marks an offset cursor of a sort:relevance list.
const relevanceCursor = "~relevance"

// ranked orders the newest RelevanceWindow matching conversations by
// rank; pages are offsets into that ranking.
func (t *tx) ranked(q inbox.ConversationQuery, s inbox.SearchQuery, limit int) (inbox.ConversationPage, error) {
	offset := 0
	if q.Cursor != "" {
		vals, err := decodeCursor(q.Cursor)
		if err != nil {
			return inbox.ConversationPage{}, err
		}
		if len(vals) != 2 || vals[0] != relevanceCursor {
			return inbox.ConversationPage{}, inbox.Invalid("cursor", "does not belong to a sort:relevance search")
		}
		if offset, err = strconv.Atoi(vals[1]); err != nil || offset < 0 {
			return inbox.ConversationPage{}, inbox.Invalid("cursor", "is not a cursor this store returned")
		}
	}
	newest := q
	newest.Search, newest.Cursor, newest.Limit, newest.Sort = strings.TrimSpace(q.Search+" sort:newest"), "", RelevanceWindow, inbox.SortNewest
	page, err := t.listConversations(newest)
	if err != nil {
		return inbox.ConversationPage{}, err
	}
	ids := make([]string, len(page.Items))
	for i, c := range page.Items {
		ids[i] = c.ID
	}
	scores := map[string]float64{}
	if len(ids) > 0 {
		if scores, err = t.s.d.Rank(t.ctx, t.tx, string(t.tenant), t.s.d.Match(s.Terms), ids); err != nil {
			return inbox.ConversationPage{}, t.s.wrap("rank", err)
		}
	}
	items := page.Items
	sort.SliceStable(items, func(i, j int) bool { return scores[items[i].ID] > scores[items[j].ID] })
	if offset > len(items) {
		offset = len(items)
	}
	out := inbox.ConversationPage{Items: items[offset:min(offset+limit, len(items))], Total: page.Total, TotalExact: page.TotalExact}
	if offset+limit < len(items) {
		raw, _ := json.Marshal([]string{relevanceCursor, strconv.Itoa(offset + limit)})
		out.NextCursor = base64.RawURLEncoding.EncodeToString(raw)
	}
	return out, nil
}

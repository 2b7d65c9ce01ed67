package memstore

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/inboxkit/inboxkit/inbox"
)

// requireConversation checks that a child record's conversation exists.
func (t *tx) requireConversation(id string) error {
	if _, ok := t.state.conversations[id]; !ok {
		return notFound("conversation", id)
	}
	return nil
}

func (t *tx) CreateNote(n *inbox.Note) error {
	if err := inbox.CheckText("note", n); err != nil {
		return fmt.Errorf("memstore: create note: %w", err)
	}
	if err := t.begin("create note", &n.TenantID, &n.ID, &n.CreatedAt); err != nil {
		return err
	}
	if _, ok := t.state.notes[n.ID]; ok {
		return conflict("create note", n.ID)
	}
	if err := t.requireConversation(n.ConversationID); err != nil {
		return err
	}
	put(&t.undo, t.state.notes, n.ID, cloneNote(*n))
	appendID(&t.undo, t.state.convNotes, n.ConversationID, n.ID)
	return nil
}

// ListNotes returns a conversation's notes by CreatedAt, then id.
func (t *tx) ListNotes(conversationID string) ([]inbox.Note, error) {
	if err := t.read(); err != nil {
		return nil, err
	}
	if err := t.requireConversation(conversationID); err != nil {
		return nil, err
	}
	ids := t.state.convNotes[conversationID]
	out := make([]inbox.Note, len(ids))
	for i, id := range ids {
		out[i] = cloneNote(t.state.notes[id])
	}
	slices.SortFunc(out, func(a, b inbox.Note) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

func (t *tx) CreateTask(task *inbox.Task) error {
	if err := inbox.CheckText("task", task); err != nil {
		return fmt.Errorf("memstore: create task: %w", err)
	}
	if err := t.begin("create task", &task.TenantID, &task.ID, &task.CreatedAt); err != nil {
		return err
	}
	if _, ok := t.state.tasks[task.ID]; ok {
		return conflict("create task", task.ID)
	}
	if task.ConversationID != "" {
		if err := t.requireConversation(task.ConversationID); err != nil {
			return err
		}
		addTo(&t.undo, t.state.convTasks, task.ConversationID, task.ID)
	}
	task.Version = 1
	put(&t.undo, t.state.tasks, task.ID, cloneTask(*task))
	return nil
}

func (t *tx) UpdateTask(task *inbox.Task) error {
	if err := inbox.CheckText("task", task); err != nil {
		return fmt.Errorf("memstore: update task: %w", err)
	}
	if err := t.write("update task"); err != nil {
		return err
	}
	if err := t.ownExisting("task", task.ID, &task.TenantID); err != nil {
		return err
	}
	cur, ok := t.state.tasks[task.ID]
	if !ok {
		return notFound("task", task.ID)
	}
	if task.Version != cur.Version {
		return staleVersion("task", task.ID, task.Version, cur.Version)
	}
	next := cloneTask(*task)
	next.ConversationID, next.CreatedAt, next.Version = cur.ConversationID, cur.CreatedAt, cur.Version+1
	put(&t.undo, t.state.tasks, task.ID, next)
	task.Version = next.Version
	return nil
}

func (t *tx) GetTask(id string) (inbox.Task, error) {
	if err := t.read(); err != nil {
		return inbox.Task{}, err
	}
	task, ok := t.state.tasks[id]
	if !ok {
		return inbox.Task{}, notFound("task", id)
	}
	return cloneTask(task), nil
}

// ListTasks orders by CreatedAt, then id.
func (t *tx) ListTasks(q inbox.TaskQuery) ([]inbox.Task, error) {
	if err := t.read(); err != nil {
		return nil, err
	}
	var out []inbox.Task
	for _, task := range t.state.tasks {
		if (q.ConversationID == "" || task.ConversationID == q.ConversationID) &&
			(q.Assignee == "" || task.Assignee == q.Assignee) &&
			(q.ProjectID == "" || task.ProjectID == q.ProjectID) &&
			(!q.OpenOnly || task.DoneAt.IsZero()) {
			out = append(out, cloneTask(task))
		}
	}
	slices.SortFunc(out, func(a, b inbox.Task) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

func (t *tx) CreateFollowUp(f *inbox.FollowUp) error {
	if err := inbox.CheckText("follow_up", f); err != nil {
		return fmt.Errorf("memstore: create follow up: %w", err)
	}
	if err := t.begin("create follow-up", &f.TenantID, &f.ID, &f.CreatedAt, &f.UpdatedAt); err != nil {
		return err
	}
	if _, ok := t.state.followUps[f.ID]; ok {
		return conflict("create follow-up", f.ID)
	}
	if err := t.requireConversation(f.ConversationID); err != nil {
		return err
	}
	f.Version = 1
	put(&t.undo, t.state.followUps, f.ID, cloneFollowUp(*f))
	addTo(&t.undo, t.state.convFollowUps, f.ConversationID, f.ID)
	return nil
}

func (t *tx) UpdateFollowUp(f *inbox.FollowUp) error {
	if err := inbox.CheckText("follow_up", f); err != nil {
		return fmt.Errorf("memstore: update follow up: %w", err)
	}
	if err := t.write("update follow-up"); err != nil {
		return err
	}
	if err := t.ownExisting("follow-up", f.ID, &f.TenantID); err != nil {
		return err
	}
	cur, ok := t.state.followUps[f.ID]
	if !ok {
		return notFound("follow-up", f.ID)
	}
	if f.Version != cur.Version {
		return staleVersion("follow-up", f.ID, f.Version, cur.Version)
	}
	next := cloneFollowUp(*f)
	next.ConversationID, next.CreatedAt, next.Version = cur.ConversationID, cur.CreatedAt, cur.Version+1
	put(&t.undo, t.state.followUps, f.ID, next)
	f.Version = next.Version
	return nil
}

func (t *tx) GetFollowUp(id string) (inbox.FollowUp, error) {
	if err := t.read(); err != nil {
		return inbox.FollowUp{}, err
	}
	f, ok := t.state.followUps[id]
	if !ok {
		return inbox.FollowUp{}, notFound("follow-up", id)
	}
	return cloneFollowUp(f), nil
}

// ListFollowUps orders by DueAt, then id; DueBefore is exclusive.
func (t *tx) ListFollowUps(q inbox.FollowUpQuery) ([]inbox.FollowUp, error) {
	if err := t.read(); err != nil {
		return nil, err
	}
	due := ts(q.DueBefore)
	visit := func(f inbox.FollowUp, out []inbox.FollowUp) []inbox.FollowUp {
		if (q.ConversationID == "" || f.ConversationID == q.ConversationID) &&
			(len(q.ConversationIDs) == 0 || slices.Contains(q.ConversationIDs, f.ConversationID)) &&
			(q.Status == "" || f.Status == q.Status) &&
			(due.IsZero() || f.DueAt.Before(due)) {
			out = append(out, cloneFollowUp(f))
		}
		return out
	}
	var out []inbox.FollowUp
	switch {
	case q.ConversationID != "":
		for id := range t.state.convFollowUps[q.ConversationID] {
			out = visit(t.state.followUps[id], out)
		}
	case len(q.ConversationIDs) > 0:
		for _, conv := range slices.Compact(slices.Sorted(slices.Values(q.ConversationIDs))) {
			for id := range t.state.convFollowUps[conv] {
				out = visit(t.state.followUps[id], out)
			}
		}
	default:
		for _, f := range t.state.followUps {
			out = visit(f, out)
		}
	}
	slices.SortFunc(out, func(a, b inbox.FollowUp) int {
		return cmp.Or(a.DueAt.Compare(b.DueAt), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

func (t *tx) CreateDraft(d *inbox.Draft) error {
	if err := inbox.CheckText("draft", d); err != nil {
		return fmt.Errorf("memstore: create draft: %w", err)
	}
	if err := t.begin("create draft", &d.TenantID, &d.ID, &d.CreatedAt, &d.UpdatedAt); err != nil {
		return err
	}
	if _, ok := t.state.drafts[d.ID]; ok {
		return conflict("create draft", d.ID)
	}
	if err := t.requireConversation(d.ConversationID); err != nil {
		return err
	}
	d.Version = 1
	put(&t.undo, t.state.drafts, d.ID, cloneDraft(*d))
	addTo(&t.undo, t.state.convDrafts, d.ConversationID, d.ID)
	return nil
}

func (t *tx) UpdateDraft(d *inbox.Draft) error {
	if err := inbox.CheckText("draft", d); err != nil {
		return fmt.Errorf("memstore: update draft: %w", err)
	}
	if err := t.write("update draft"); err != nil {
		return err
	}
	if err := t.ownExisting("draft", d.ID, &d.TenantID); err != nil {
		return err
	}
	cur, ok := t.state.drafts[d.ID]
	if !ok {
		return notFound("draft", d.ID)
	}
	if d.Version != cur.Version {
		return staleVersion("draft", d.ID, d.Version, cur.Version)
	}
	next := cloneDraft(*d)
	next.ConversationID, next.CreatedAt, next.Version = cur.ConversationID, cur.CreatedAt, cur.Version+1
	put(&t.undo, t.state.drafts, d.ID, next)
	d.Version = next.Version
	return nil
}

func (t *tx) GetDraft(id string) (inbox.Draft, error) {
	if err := t.read(); err != nil {
		return inbox.Draft{}, err
	}
	d, ok := t.state.drafts[id]
	if !ok {
		return inbox.Draft{}, notFound("draft", id)
	}
	return cloneDraft(d), nil
}

// ListDrafts orders by CreatedAt, then id.
func (t *tx) ListDrafts(q inbox.DraftQuery) ([]inbox.Draft, error) {
	if err := t.read(); err != nil {
		return nil, err
	}
	var out []inbox.Draft
	for _, d := range t.state.drafts {
		if (q.ConversationID == "" || d.ConversationID == q.ConversationID) && (q.Status == "" || d.Status == q.Status) {
			out = append(out, cloneDraft(d))
		}
	}
	slices.SortFunc(out, func(a, b inbox.Draft) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

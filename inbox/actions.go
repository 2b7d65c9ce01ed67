package inbox

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// Change says who performs an action and on which version of the
// conversation they saw. A non-zero Version that is no longer current makes
// the action fail with ErrConflict, so two agents never silently overwrite
// each other.
type Change struct {
	Actor string // employee id; required
	// Version is the Conversation.Version the agent acted on; 0 skips the
	// check. The action is refused (ErrConflict) only when the
	// conversation changed since in a way the agent must see (another
	// agent's action, a new message: Conversation.ChangedVersion), never
	// because background work filed it or drafted an answer.
	Version int64
}

// markChanged records that c changes in a way agents must see: the write
// about to happen raises its Version by one.
func markChanged(c *Conversation) { c.ChangedVersion = c.Version + 1 }

// stale reports whether an agent acting on version v missed a change
// they must see.
func stale(c Conversation, v int64) bool {
	return v != 0 && (v < c.ChangedVersion || v > c.Version)
}

// EmployeeDirectory tells the engine which employee ids exist in a tenant,
// so assignments and mentions to unknown people are refused. Hosts back it
// with their user table.
type EmployeeDirectory interface {
	EmployeeExists(ctx context.Context, tenant TenantID, employeeID string) (bool, error)
}

// EmployeeNamer is an optional EmployeeDirectory capability: the name
// people know an employee by, for notification and audit texts shown to
// agents ("Claire Martin mentioned you", not "claire"). Without it, or
// for an unknown id, texts use the id.
type EmployeeNamer interface {
	EmployeeName(ctx context.Context, tenant TenantID, employeeID string) (name string, ok bool)
}

// EmployeeName is the display name of an employee (the id when the
// directory has none).
func (e *Engine) EmployeeName(ctx context.Context, tenant TenantID, id string) string {
	if n, ok := e.employees.(EmployeeNamer); ok {
		if name, ok := n.EmployeeName(ctx, tenant, id); ok && strings.TrimSpace(name) != "" {
			return strings.TrimSpace(name)
		}
	}
	return id
}

// Limits on agent input.
const (
	MaxNoteBytes  = 64 << 10
	MaxReplyBytes = 1 << 20
	MaxTags       = 50
	MaxTagBytes   = 64
)

// transitions lists, for each status, the statuses an agent may set.
var transitions = map[Status][]Status{
	StatusNew:      {StatusOpen, StatusUrgent, StatusResolved, StatusArchived, StatusSpam},
	StatusOpen:     {StatusNew, StatusUrgent, StatusResolved, StatusArchived, StatusSpam},
	StatusUrgent:   {StatusOpen, StatusResolved, StatusArchived, StatusSpam},
	StatusResolved: {StatusOpen, StatusUrgent, StatusArchived, StatusSpam},
	StatusArchived: {StatusOpen, StatusResolved},
	StatusSpam:     {StatusNew, StatusOpen, StatusArchived},
}

// CanTransition reports whether an agent may move a conversation from one
// status to another (reopening a resolved or archived one is allowed;
// leaving spam goes back to new or open).
func CanTransition(from, to Status) bool { return slices.Contains(transitions[from], to) }

// mutate runs one agent action on a conversation in a transaction: it
// checks the actor and expected version, lets fn change the conversation
// (and write related records), saves it, records an audit entry with the
// before and after states, and publishes an event after commit.
func (e *Engine) mutate(ctx context.Context, tenant TenantID, convID string, ch Change, action string,
	fn func(tx storeTx, c *Conversation) (audit any, err error)) (Conversation, error) {
	if strings.TrimSpace(ch.Actor) == "" {
		return Conversation{}, fmt.Errorf("%s: %w", action, Invalid("actor", "is required"))
	}
	if _, err := e.tenant(ctx, tenant); err != nil {
		return Conversation{}, fmt.Errorf("%s: %w", action, err)
	}
	var out Conversation
	err := e.updateTx(ctx, tenant, func(tx storeTx) error {
		c, err := tx.GetConversation(convID)
		if err != nil {
			return fmt.Errorf("conversation %q: %w", convID, err)
		}
		if stale(c, ch.Version) {
			return fmt.Errorf("conversation %q changed since version %d (now %d): %w", convID, ch.Version, c.Version, ErrConflict)
		}
		before := c
		after, err := fn(tx, &c)
		if err != nil {
			return err
		}
		c.UpdatedAt = e.clock.Now()
		markChanged(&c)
		if err := tx.UpdateConversation(&c); err != nil {
			return fmt.Errorf("save conversation %q: %w", convID, err)
		}
		if after == nil {
			after = c
		}
		out = c
		return tx.AppendAudit(AuditEntry{
			TenantID: tenant, Actor: ch.Actor, Action: action, EntityType: "conversation", EntityID: convID,
			ConversationID: convID, Before: mustJSON(auditView(before)), After: mustJSON(auditAfter(after)), At: c.UpdatedAt,
		})
	})
	if err != nil {
		return Conversation{}, fmt.Errorf("%s: %w", action, err)
	}
	e.bus.publish(Event{Type: EventConversationUpdated, TenantID: tenant, ConversationID: convID, Detail: action, At: out.UpdatedAt})
	return out, nil
}

// auditState is the part of a conversation an audit entry shows.
type auditState struct {
	Status    Status            `json:"status"`
	FolderID  string            `json:"folder_id,omitempty"`
	Assignee  string            `json:"assignee,omitempty"`
	Tags      []string          `json:"tags,omitempty"`
	Unread    int               `json:"unread"`
	ProjectID string            `json:"project_id,omitempty"`
	Refs      map[string]string `json:"external_refs,omitempty"`
}

func auditView(c Conversation) auditState {
	return auditState{Status: c.Status, FolderID: c.FolderID, Assignee: c.Assignee, Tags: c.Tags, Unread: c.Unread, ProjectID: c.ProjectID, Refs: c.ExternalRefs}
}

func auditAfter(v any) any {
	if c, ok := v.(Conversation); ok {
		return auditView(c)
	}
	return v
}

// SetStatus changes a conversation's status, refusing transitions that make
// no sense (see CanTransition). Setting the current status is a no-op.
func (e *Engine) SetStatus(ctx context.Context, tenant TenantID, convID string, s Status, ch Change) (Conversation, error) {
	if !s.Valid() {
		return Conversation{}, fmt.Errorf("set status: %w", Invalid("status", fmt.Sprintf("%q is not one of new, open, resolved, archived, spam, urgent", s)))
	}
	c, err := e.mutate(ctx, tenant, convID, ch, "conversation.status", func(tx storeTx, c *Conversation) (any, error) {
		if c.Status == s {
			return nil, nil
		}
		if !CanTransition(c.Status, s) {
			return nil, Invalid("status", fmt.Sprintf("cannot go from %s to %s", c.Status, s))
		}
		c.Status = s
		if s == StatusResolved {
			c.ResolvedAt = e.clock.Now()
		}
		return nil, nil
	})
	if err == nil && s == StatusResolved {
		e.confirm(ctx, tenant, c)
	}
	return c, err
}

// Assign gives a conversation to an employee; "" unassigns it.
func (e *Engine) Assign(ctx context.Context, tenant TenantID, convID, assignee string, ch Change) (Conversation, error) {
	if assignee != "" {
		if err := e.checkEmployee(ctx, tenant, "assignee", assignee); err != nil {
			return Conversation{}, fmt.Errorf("assign: %w", err)
		}
	}
	c, err := e.mutate(ctx, tenant, convID, ch, "conversation.assign", func(tx storeTx, c *Conversation) (any, error) {
		c.Assignee = assignee
		return nil, nil
	})
	if err == nil && assignee != "" && assignee != ch.Actor {
		e.notify(ctx, tenant, assignee, "assigned", convID, e.EmployeeName(ctx, tenant, ch.Actor)+
			" assigned you “"+e.titleOf(ctx, tenant, c)+"”")
	}
	return c, err
}

// Move files a conversation in a folder ("" = unfiled). An agent's move is
// final: classifiers never refile the conversation afterwards, and the
// move counts as a correction in classification accuracy.
func (e *Engine) Move(ctx context.Context, tenant TenantID, convID, folderID string, ch Change) (Conversation, error) {
	c, err := e.moveConversation(ctx, tenant, convID, folderID, ch)
	if err == nil {
		e.learn(ctx, tenant, convID, folderID)
	}
	return c, err
}

func (e *Engine) moveConversation(ctx context.Context, tenant TenantID, convID, folderID string, ch Change) (Conversation, error) {
	return e.mutate(ctx, tenant, convID, ch, "conversation.move", func(tx storeTx, c *Conversation) (any, error) {
		if folderID != "" {
			if _, err := tx.GetFolder(folderID); err != nil {
				if errors.Is(err, ErrNotFound) {
					return nil, Invalid("folder_id", fmt.Sprintf("folder %q does not exist", folderID))
				}
				return nil, err
			}
		}
		prev := c.Classification
		c.FolderID = folderID
		c.Classification = Decision{FolderID: folderID, By: DecidedByManual, Confidence: 1, At: e.clock.Now(),
			Reason: "moved by " + e.EmployeeName(ctx, tenant, ch.Actor), Intent: prev.Intent, Urgency: prev.Urgency,
			AutoFolderID: prev.AutoFolderID, AutoBy: prev.AutoBy}
		if prev.By != DecidedByManual && prev.By != "" && prev.Error == "" {
			c.Classification.AutoFolderID, c.Classification.AutoBy = prev.FolderID, prev.By
		}
		return map[string]any{"folder_id": folderID, "previous_decision": prev}, nil
	})
}

// MarkRead marks every message of a conversation read (read=true) or the
// latest customer message unread, for the whole team: agents' own marks
// (MarkReadFor) are cleared, so everyone sees the new state.
func (e *Engine) MarkRead(ctx context.Context, tenant TenantID, convID string, read bool, ch Change) (Conversation, error) {
	c, err := e.mutate(ctx, tenant, convID, ch, "conversation.read", func(tx storeTx, c *Conversation) (any, error) {
		msgs, err := tx.ListMessages(convID)
		if err != nil {
			return nil, err
		}
		unread := 0
		for i := range msgs {
			m := &msgs[i]
			if m.Direction != DirectionIn {
				continue
			}
			want := read
			if !read {
				// mark only the latest customer message unread
				want = m.Read
			}
			if m.Read != want {
				m.Read = want
				if err := tx.UpdateMessage(m); err != nil {
					return nil, err
				}
			}
			if !m.Read {
				unread++
			}
		}
		if !read {
			for i := len(msgs) - 1; i >= 0; i-- {
				if msgs[i].Direction == DirectionIn {
					if msgs[i].Read {
						msgs[i].Read = false
						if err := tx.UpdateMessage(&msgs[i]); err != nil {
							return nil, err
						}
						unread++
					}
					break
				}
			}
		}
		c.Unread = unread
		return nil, tx.ClearReadMarks([]string{convID})
	})
	if err == nil && read {
		e.confirm(ctx, tenant, c)
	}
	return c, err
}

// SetTags replaces a conversation's tags (trimmed, de-duplicated).
func (e *Engine) SetTags(ctx context.Context, tenant TenantID, convID string, tags []string, ch Change) (Conversation, error) {
	clean := make([]string, 0, len(tags))
	for i, t := range tags {
		t = strings.TrimSpace(t)
		switch {
		case t == "":
			return Conversation{}, fmt.Errorf("set tags: %w", Invalid(fmt.Sprintf("tags[%d]", i), "is empty"))
		case len(t) > MaxTagBytes || !utf8.ValidString(t):
			return Conversation{}, fmt.Errorf("set tags: %w", Invalid(fmt.Sprintf("tags[%d]", i), fmt.Sprintf("must be valid UTF-8 of at most %d bytes", MaxTagBytes)))
		}
		if !slices.Contains(clean, t) {
			clean = append(clean, t)
		}
	}
	if len(clean) > MaxTags {
		return Conversation{}, fmt.Errorf("set tags: %w", Invalid("tags", fmt.Sprintf("at most %d tags", MaxTags)))
	}
	return e.mutate(ctx, tenant, convID, ch, "conversation.tags", func(tx storeTx, c *Conversation) (any, error) {
		c.Tags = clean
		return nil, nil
	})
}

// LinkProject links a conversation to a host project ("" unlinks) and
// merges refs into its external references (a "" value removes a key).
func (e *Engine) LinkProject(ctx context.Context, tenant TenantID, convID, projectID string, refs map[string]string, ch Change) (Conversation, error) {
	return e.mutate(ctx, tenant, convID, ch, "conversation.link", func(tx storeTx, c *Conversation) (any, error) {
		c.ProjectID = projectID
		for k, v := range refs {
			if c.ExternalRefs == nil {
				c.ExternalRefs = map[string]string{}
			}
			if v == "" {
				delete(c.ExternalRefs, k)
			} else {
				c.ExternalRefs[k] = v
			}
		}
		return nil, nil
	})
}

// AddNote adds an internal note, never sent to the customer. "@id"
// mentions of known employees notify them.
func (e *Engine) AddNote(ctx context.Context, tenant TenantID, convID, body string, ch Change) (Note, error) {
	body = strings.TrimSpace(body)
	switch {
	case body == "":
		return Note{}, fmt.Errorf("add note: %w", Invalid("body", "is empty"))
	case len(body) > MaxNoteBytes:
		return Note{}, fmt.Errorf("add note: %w", Invalid("body", fmt.Sprintf("is %d bytes, the limit is %d", len(body), MaxNoteBytes)))
	case !utf8.ValidString(body):
		return Note{}, fmt.Errorf("add note: %w", Invalid("body", "is not valid UTF-8"))
	}
	var mentions []string
	for _, m := range Mentions(body) {
		ok, err := e.employeeExists(ctx, tenant, m)
		if err != nil {
			return Note{}, fmt.Errorf("add note: %w", err)
		}
		if ok && !slices.Contains(mentions, m) {
			mentions = append(mentions, m)
		}
	}
	var note Note
	c, err := e.mutate(ctx, tenant, convID, ch, "conversation.note", func(tx storeTx, c *Conversation) (any, error) {
		note = Note{TenantID: tenant, ConversationID: convID, Author: ch.Actor, Body: body, Mentions: mentions, CreatedAt: e.clock.Now()}
		if err := tx.CreateNote(&note); err != nil {
			return nil, err
		}
		return map[string]any{"note_id": note.ID, "mentions": mentions}, nil
	})
	if err != nil {
		return Note{}, err
	}
	if len(mentions) > 0 {
		text := e.EmployeeName(ctx, tenant, ch.Actor) + " mentioned you in “" + e.titleOf(ctx, tenant, c) + "”: " + excerpt(body, 200)
		for _, m := range mentions {
			if m != ch.Actor {
				e.notify(ctx, tenant, m, "mention", convID, text)
			}
		}
	}
	return note, nil
}

// Mentions returns the "@name" tokens of a note body (letters, digits and
// . _ - after the @, not preceded by a word character, so emails do not
// count).
func Mentions(body string) []string {
	var out []string
	for i := 0; i < len(body); i++ {
		if body[i] != '@' || (i > 0 && isMentionChar(body[i-1])) {
			continue
		}
		j := i + 1
		for j < len(body) && isMentionChar(body[j]) {
			j++
		}
		if name := strings.TrimRight(body[i+1:j], ".-_"); name != "" {
			out = append(out, name)
		}
		i = j - 1
	}
	return out
}

func isMentionChar(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '.' || b == '_' || b == '-'
}

func (e *Engine) employeeExists(ctx context.Context, tenant TenantID, id string) (bool, error) {
	if e.employees == nil {
		return true, nil
	}
	ok, err := e.employees.EmployeeExists(ctx, tenant, id)
	if err != nil {
		return false, fmt.Errorf("employee directory: %w", err)
	}
	return ok, nil
}

func (e *Engine) checkEmployee(ctx context.Context, tenant TenantID, field, id string) error {
	ok, err := e.employeeExists(ctx, tenant, id)
	if err != nil {
		return err
	}
	if !ok {
		return Invalid(field, fmt.Sprintf("employee %q does not exist", id))
	}
	return nil
}

// notify stores a notification for a user and publishes it. Failures are
// logged: a lost notification must not fail the action that caused it.
func (e *Engine) notify(ctx context.Context, tenant TenantID, user, kind, convID, text string) {
	n := Notification{TenantID: tenant, UserID: user, Kind: kind, ConversationID: convID, Text: text, CreatedAt: e.clock.Now()}
	err := e.updateTx(ctx, tenant, func(tx storeTx) error { return tx.CreateNotification(&n) })
	if err != nil {
		e.log.Warn("inbox: store notification", "tenant", string(tenant), "kind", kind, "err", err)
		return
	}
	e.bus.publish(Event{Type: EventNotification, TenantID: tenant, ConversationID: convID, Detail: kind + ":" + user, At: n.CreatedAt})
}

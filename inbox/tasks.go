package inbox

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// TaskRequest describes a task created from a conversation.
type TaskRequest struct {
	Title    string
	Assignee string    // "" = unassigned
	DueAt    time.Time // zero = no due date
	// ProjectID links the task to a host project ("" none).
	ProjectID string
}

// CreateTask creates a task linked to a conversation.
func (e *Engine) CreateTask(ctx context.Context, tenant TenantID, convID string, req TaskRequest, ch Change) (Task, error) {
	title := strings.TrimSpace(req.Title)
	switch {
	case title == "":
		return Task{}, fmt.Errorf("create task: %w", Invalid("title", "is empty"))
	case len(title) > 500:
		return Task{}, fmt.Errorf("create task: %w", Invalid("title", "is longer than 500 bytes"))
	case len(req.ProjectID) > 200:
		return Task{}, fmt.Errorf("create task: %w", Invalid("project_id", "is longer than 200 bytes"))
	}
	if req.Assignee != "" {
		if err := e.checkEmployee(ctx, tenant, "assignee", req.Assignee); err != nil {
			return Task{}, fmt.Errorf("create task: %w", err)
		}
	}
	var t Task
	_, err := e.mutate(ctx, tenant, convID, ch, "task.create", func(tx storeTx, c *Conversation) (any, error) {
		t = Task{TenantID: tenant, ConversationID: convID, ProjectID: strings.TrimSpace(req.ProjectID), Title: title, Assignee: req.Assignee, DueAt: req.DueAt,
			CreatedBy: ch.Actor, CreatedAt: e.clock.Now()}
		if err := tx.CreateTask(&t); err != nil {
			return nil, err
		}
		return map[string]any{"task_id": t.ID, "title": t.Title, "assignee": t.Assignee, "due_at": t.DueAt, "project_id": t.ProjectID}, nil
	})
	if err != nil {
		return Task{}, err
	}
	if t.Assignee != "" && t.Assignee != ch.Actor {
		e.notify(ctx, tenant, t.Assignee, "task", convID, e.EmployeeName(ctx, tenant, ch.Actor)+" gave you a task: "+t.Title)
	}
	return t, nil
}

// CompleteTask marks a task done (done=false reopens it).
func (e *Engine) CompleteTask(ctx context.Context, tenant TenantID, taskID string, done bool, ch Change) (Task, error) {
	var t Task
	if err := e.viewTx(ctx, tenant, func(tx storeTx) error {
		var err error
		t, err = tx.GetTask(taskID)
		return err
	}); err != nil {
		return Task{}, fmt.Errorf("complete task %q: %w", taskID, err)
	}
	_, err := e.mutate(ctx, tenant, t.ConversationID, Change{Actor: ch.Actor}, "task.complete", func(tx storeTx, c *Conversation) (any, error) {
		var err error
		if t, err = tx.GetTask(taskID); err != nil {
			return nil, err
		}
		if ch.Version != 0 && ch.Version != t.Version {
			return nil, fmt.Errorf("task %q changed since version %d: %w", taskID, ch.Version, ErrConflict)
		}
		if done {
			t.DoneAt = e.clock.Now()
		} else {
			t.DoneAt = time.Time{}
		}
		if err := tx.UpdateTask(&t); err != nil {
			return nil, err
		}
		return map[string]any{"task_id": t.ID, "done": done}, nil
	})
	return t, err
}

// FollowUpRequest schedules a reminder ("relance").
type FollowUpRequest struct {
	DueAt    time.Time
	Note     string
	Assignee string
	// IfNoReply cancels the follow-up automatically when the customer
	// writes first.
	IfNoReply bool
}

// ScheduleFollowUp schedules a follow-up on a conversation. DueAt must be
// in the future.
func (e *Engine) ScheduleFollowUp(ctx context.Context, tenant TenantID, convID string, req FollowUpRequest, ch Change) (FollowUp, error) {
	now := e.clock.Now()
	if !req.DueAt.After(now) {
		return FollowUp{}, fmt.Errorf("schedule follow-up: %w", Invalid("due_at", "must be in the future"))
	}
	if len(req.Note) > MaxNoteBytes {
		return FollowUp{}, fmt.Errorf("schedule follow-up: %w", Invalid("note", "is too long"))
	}
	if req.Assignee != "" {
		if err := e.checkEmployee(ctx, tenant, "assignee", req.Assignee); err != nil {
			return FollowUp{}, fmt.Errorf("schedule follow-up: %w", err)
		}
	}
	var f FollowUp
	_, err := e.mutate(ctx, tenant, convID, ch, "followup.schedule", func(tx storeTx, c *Conversation) (any, error) {
		f = FollowUp{TenantID: tenant, ConversationID: convID, DueAt: req.DueAt, Note: strings.TrimSpace(req.Note),
			Assignee: firstNonEmpty(req.Assignee, c.Assignee), IfNoReply: req.IfNoReply, Status: FollowUpPending,
			CreatedBy: ch.Actor, CreatedAt: now, UpdatedAt: now}
		if err := tx.CreateFollowUp(&f); err != nil {
			return nil, err
		}
		return map[string]any{"followup_id": f.ID, "due_at": f.DueAt, "if_no_reply": f.IfNoReply}, nil
	})
	return f, err
}

// CloseFollowUp marks a follow-up done or cancelled.
func (e *Engine) CloseFollowUp(ctx context.Context, tenant TenantID, followUpID string, status FollowUpStatus, ch Change) (FollowUp, error) {
	if status != FollowUpDone && status != FollowUpCancelled {
		return FollowUp{}, fmt.Errorf("close follow-up: %w", Invalid("status", "must be done or cancelled"))
	}
	var f FollowUp
	if err := e.viewTx(ctx, tenant, func(tx storeTx) error {
		var err error
		f, err = tx.GetFollowUp(followUpID)
		return err
	}); err != nil {
		return FollowUp{}, fmt.Errorf("close follow-up %q: %w", followUpID, err)
	}
	_, err := e.mutate(ctx, tenant, f.ConversationID, Change{Actor: ch.Actor}, "followup.close", func(tx storeTx, c *Conversation) (any, error) {
		var err error
		if f, err = tx.GetFollowUp(followUpID); err != nil {
			return nil, err
		}
		if f.Status == FollowUpDone || f.Status == FollowUpCancelled {
			return nil, Invalid("status", fmt.Sprintf("follow-up is already %s", f.Status))
		}
		f.Status, f.UpdatedAt = status, e.clock.Now()
		if err := tx.UpdateFollowUp(&f); err != nil {
			return nil, err
		}
		return map[string]any{"followup_id": f.ID, "status": status}, nil
	})
	return f, err
}

// RaiseDueFollowUps turns a tenant's pending follow-ups whose time has come
// into "due" reminders: a notification for the assignee and an event. It
// returns how many were raised.
func (e *Engine) RaiseDueFollowUps(ctx context.Context, tenant TenantID) (int, error) {
	now := e.clock.Now()
	var due []FollowUp
	err := e.updateTx(ctx, tenant, func(tx storeTx) error {
		fus, err := tx.ListFollowUps(FollowUpQuery{Status: FollowUpPending, DueBefore: now.Add(time.Microsecond)})
		if err != nil {
			return err
		}
		for _, f := range fus {
			f.Status, f.UpdatedAt = FollowUpDue, now
			if err := tx.UpdateFollowUp(&f); err != nil {
				return err
			}
			if err := tx.AppendAudit(AuditEntry{TenantID: tenant, Actor: ActorSystem, Action: "followup.due", EntityType: "followup",
				EntityID: f.ID, ConversationID: f.ConversationID, At: now}); err != nil {
				return err
			}
			due = append(due, f)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("raise due follow-ups: %w", err)
	}
	for _, f := range due {
		e.bus.publish(Event{Type: EventFollowUpDue, TenantID: tenant, ConversationID: f.ConversationID, Detail: f.ID, At: now})
		if f.Assignee != "" {
			e.notify(ctx, tenant, f.Assignee, "followup", f.ConversationID, "Follow-up due: "+firstNonEmpty(f.Note, "no note"))
		}
	}
	return len(due), nil
}

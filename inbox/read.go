package inbox

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// NotFoundError says which record does not exist. It wraps ErrNotFound,
// so errors.Is(err, ErrNotFound) holds; errors.As tells a missing
// conversation from, say, its missing integration.
type NotFoundError struct {
	Entity string // "conversation", "integration", "tenant"...
	ID     string
}

func (e *NotFoundError) Error() string { return fmt.Sprintf("%s %q: %v", e.Entity, e.ID, ErrNotFound) }

// Unwrap makes errors.Is(err, ErrNotFound) true.
func (e *NotFoundError) Unwrap() error { return ErrNotFound }

// notFound names the entity of a store's ErrNotFound; other errors pass.
func notFound(entity, id string, err error) error {
	var nf *NotFoundError
	if errors.Is(err, ErrNotFound) && !errors.As(err, &nf) {
		return &NotFoundError{Entity: entity, ID: id}
	}
	return err
}

// view runs fn in a read transaction of an existing tenant.
func (e *Engine) view(ctx context.Context, op string, tenant TenantID, fn func(tx storeTx) error) error {
	if _, err := e.tenant(ctx, tenant); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if err := e.viewTx(ctx, tenant, fn); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}

// Tenant returns a tenant; a *NotFoundError for an unknown id.
func (e *Engine) Tenant(ctx context.Context, id TenantID) (Tenant, error) {
	return e.tenant(ctx, id)
}

// Tenants lists every tenant, ordered by id.
func (e *Engine) Tenants(ctx context.Context) ([]Tenant, error) {
	ts, err := e.store.ListTenants(ctx)
	if err != nil {
		return nil, fmt.Errorf("list tenants: %w", err)
	}
	return ts, nil
}

// Conversations lists a tenant's conversations: filters, sort, search
// (the syntax of SearchQuery, and phone numbers as SplitPhones reads
// them) and pages (ConversationPage.NextCursor).
func (e *Engine) Conversations(ctx context.Context, tenant TenantID, q ConversationQuery) (ConversationPage, error) {
	rest, phones := SplitPhones(q.Search)
	if _, err := ParseSearch(rest); err != nil {
		return ConversationPage{}, fmt.Errorf("list conversations: %w", err)
	}
	if q.Reader != "" {
		if err := checkReader(q.Reader); err != nil {
			return ConversationPage{}, fmt.Errorf("list conversations: %w", err)
		}
	}
	t, err := e.tenant(ctx, tenant)
	if err != nil {
		return ConversationPage{}, fmt.Errorf("list conversations: %w", err)
	}
	q.Search = rest
	var page ConversationPage
	err = e.view(ctx, "list conversations", tenant, func(tx storeTx) error {
		if len(phones) > 0 {
			ids, ok, err := phoneContacts(tx, phones, t.Settings.PhoneCountryCode)
			if err != nil {
				return err
			}
			if len(q.ContactIDs) > 0 {
				ids = slices.DeleteFunc(ids, func(id string) bool { return !slices.Contains(q.ContactIDs, id) })
			}
			if !ok || len(ids) == 0 {
				page = ConversationPage{Items: []Conversation{}, TotalExact: true}
				return nil // nobody has this number
			}
			q.ContactIDs = ids
		}
		var err error
		if page, err = tx.ListConversations(q); err != nil || q.Reader == "" {
			return err
		}
		page.ReaderUnread, err = readerUnread(tx, q.Reader, page.Items)
		return err
	})
	return page, err
}

// Conversation returns one conversation.
func (e *Engine) Conversation(ctx context.Context, tenant TenantID, id string) (Conversation, error) {
	var c Conversation
	err := e.view(ctx, "get conversation", tenant, func(tx storeTx) error {
		var err error
		c, err = tx.GetConversation(id)
		return notFound("conversation", id, err)
	})
	return c, err
}

// Messages returns a conversation's messages, oldest first.
func (e *Engine) Messages(ctx context.Context, tenant TenantID, conversationID string) ([]Message, error) {
	var msgs []Message
	err := e.view(ctx, "list messages", tenant, func(tx storeTx) error {
		if _, err := tx.GetConversation(conversationID); err != nil {
			return notFound("conversation", conversationID, err)
		}
		var err error
		msgs, err = tx.ListMessages(conversationID)
		return err
	})
	return msgs, err
}

// Message returns one message.
func (e *Engine) Message(ctx context.Context, tenant TenantID, id string) (Message, error) {
	var m Message
	err := e.view(ctx, "get message", tenant, func(tx storeTx) error {
		var err error
		m, err = tx.GetMessage(id)
		return notFound("message", id, err)
	})
	return m, err
}

// Notes returns a conversation's internal notes, oldest first.
func (e *Engine) Notes(ctx context.Context, tenant TenantID, conversationID string) ([]Note, error) {
	var notes []Note
	err := e.view(ctx, "list notes", tenant, func(tx storeTx) error {
		if _, err := tx.GetConversation(conversationID); err != nil {
			return notFound("conversation", conversationID, err)
		}
		var err error
		notes, err = tx.ListNotes(conversationID)
		return err
	})
	return notes, err
}

// Folders lists a tenant's folders in filing order.
func (e *Engine) Folders(ctx context.Context, tenant TenantID) ([]Folder, error) {
	var fs []Folder
	err := e.view(ctx, "list folders", tenant, func(tx storeTx) error {
		var err error
		fs, err = tx.ListFolders()
		return err
	})
	return fs, err
}

// Folder returns one folder.
func (e *Engine) Folder(ctx context.Context, tenant TenantID, id string) (Folder, error) {
	var f Folder
	err := e.view(ctx, "get folder", tenant, func(tx storeTx) error {
		var err error
		f, err = tx.GetFolder(id)
		return notFound("folder", id, err)
	})
	return f, err
}

// UnreadCounts counts, per folder id ("" for unfiled), the conversations
// with unread messages that are neither spam nor archived: the team's
// state (ReaderUnreadCounts is one agent's).
func (e *Engine) UnreadCounts(ctx context.Context, tenant TenantID) (map[string]int, error) {
	var n map[string]int
	err := e.view(ctx, "count unread", tenant, func(tx storeTx) error {
		var err error
		n, err = tx.UnreadCounts()
		return err
	})
	return n, err
}

// Contacts lists a tenant's contacts by name, with search and pages.
func (e *Engine) Contacts(ctx context.Context, tenant TenantID, q ContactQuery) (ContactPage, error) {
	if len(q.Search) > MaxSearchBytes {
		return ContactPage{}, fmt.Errorf("list contacts: %w", Invalid("search", fmt.Sprintf("is longer than %d bytes", MaxSearchBytes)))
	}
	var page ContactPage
	err := e.view(ctx, "list contacts", tenant, func(tx storeTx) error {
		var err error
		page, err = tx.ListContacts(q)
		return err
	})
	return page, err
}

// Tasks lists tasks; OpenOnly keeps those not done.
func (e *Engine) Tasks(ctx context.Context, tenant TenantID, q TaskQuery) ([]Task, error) {
	var out []Task
	err := e.view(ctx, "list tasks", tenant, func(tx storeTx) error {
		var err error
		out, err = tx.ListTasks(q)
		return err
	})
	return out, err
}

// FollowUps lists follow-ups.
func (e *Engine) FollowUps(ctx context.Context, tenant TenantID, q FollowUpQuery) ([]FollowUp, error) {
	var out []FollowUp
	err := e.view(ctx, "list follow-ups", tenant, func(tx storeTx) error {
		var err error
		out, err = tx.ListFollowUps(q)
		return err
	})
	return out, err
}

// Drafts lists reply drafts, such as those awaiting approval.
func (e *Engine) Drafts(ctx context.Context, tenant TenantID, q DraftQuery) ([]Draft, error) {
	var out []Draft
	err := e.view(ctx, "list drafts", tenant, func(tx storeTx) error {
		var err error
		out, err = tx.ListDrafts(q)
		return err
	})
	return out, err
}

// Quarantine lists quarantined messages, newest first.
func (e *Engine) Quarantine(ctx context.Context, tenant TenantID, q QuarantineQuery) ([]QuarantineItem, error) {
	var out []QuarantineItem
	err := e.view(ctx, "list quarantine", tenant, func(tx storeTx) error {
		var err error
		out, err = tx.ListQuarantine(q)
		return err
	})
	return out, err
}

// Audit lists audit entries, newest first.
func (e *Engine) Audit(ctx context.Context, tenant TenantID, q AuditQuery) ([]AuditEntry, error) {
	var out []AuditEntry
	err := e.view(ctx, "list audit", tenant, func(tx storeTx) error {
		var err error
		out, err = tx.ListAudit(q)
		return err
	})
	return out, err
}

// Notifications lists an employee's notifications.
func (e *Engine) Notifications(ctx context.Context, tenant TenantID, q NotificationQuery) ([]Notification, error) {
	var out []Notification
	err := e.view(ctx, "list notifications", tenant, func(tx storeTx) error {
		var err error
		out, err = tx.ListNotifications(q)
		return err
	})
	return out, err
}

// MarkNotificationRead marks one notification read now.
func (e *Engine) MarkNotificationRead(ctx context.Context, tenant TenantID, id string) error {
	if _, err := e.tenant(ctx, tenant); err != nil {
		return fmt.Errorf("mark notification read: %w", err)
	}
	err := e.updateTx(ctx, tenant, func(tx storeTx) error {
		return notFound("notification", id, tx.MarkNotificationRead(id, e.clock.Now().UTC().Truncate(time.Microsecond)))
	})
	if err != nil {
		return fmt.Errorf("mark notification read: %w", err)
	}
	return nil
}

// ContactRecord returns one contact without its conversations (Contact
// returns the client panel with them).
func (e *Engine) ContactRecord(ctx context.Context, tenant TenantID, id string) (Contact, error) {
	var c Contact
	err := e.view(ctx, "get contact", tenant, func(tx storeTx) error {
		var err error
		c, err = tx.GetContact(id)
		return notFound("contact", id, err)
	})
	return c, err
}

// ContactsByID returns the contacts with these ids in one read, as a list
// page shows the contact of each row; an id without a contact is absent.
func (e *Engine) ContactsByID(ctx context.Context, tenant TenantID, ids []string) (map[string]Contact, error) {
	out := make(map[string]Contact, len(ids))
	err := e.view(ctx, "get contacts", tenant, func(tx storeTx) error {
		for _, id := range ids {
			if _, done := out[id]; done || id == "" {
				continue
			}
			c, err := tx.GetContact(id)
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			out[id] = c
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

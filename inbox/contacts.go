package inbox

import (
	"context"
	"errors"
	"fmt"
	"slices"
)

// ContactDirectory connects contacts to the host CRM's client records.
// When the engine creates a contact from a message it asks the directory
// for the matching client (creating one if the host wishes) and stores the
// returned id as Contact.ExternalID.
type ContactDirectory interface {
	// LinkContact returns the host's client id for c ("" to leave it
	// unlinked). It runs after the message is stored, never inside a
	// store transaction.
	LinkContact(ctx context.Context, tenant TenantID, c Contact) (externalID string, err error)
}

// ContactPanel is what the client panel shows: the contact and every
// conversation with them, across channels, newest first.
type ContactPanel struct {
	Contact       Contact
	Conversations []Conversation
}

// Contact returns a contact with its conversations.
func (e *Engine) Contact(ctx context.Context, tenant TenantID, contactID string) (ContactPanel, error) {
	var p ContactPanel
	err := e.viewTx(ctx, tenant, func(tx storeTx) error {
		var err error
		if p.Contact, err = tx.GetContact(contactID); err != nil {
			return err
		}
		cursor := ""
		for {
			page, err := tx.ListConversations(ConversationQuery{ContactID: contactID, Limit: 500, Cursor: cursor})
			if err != nil {
				return err
			}
			p.Conversations = append(p.Conversations, page.Items...)
			if page.NextCursor == "" {
				return nil
			}
			cursor = page.NextCursor
		}
	})
	if err != nil {
		return ContactPanel{}, fmt.Errorf("contact %q: %w", contactID, err)
	}
	return p, nil
}

// UpdateContact changes a contact's name, emails, phones or external id
// (normalized; an email or phone another contact has is refused).
func (e *Engine) UpdateContact(ctx context.Context, tenant TenantID, c Contact, ch Change) (Contact, error) {
	if ch.Actor == "" {
		return Contact{}, fmt.Errorf("update contact: %w", Invalid("actor", "is required"))
	}
	for i, m := range c.Emails {
		c.Emails[i] = NormalizeEmail(m)
	}
	for i, p := range c.Phones {
		c.Phones[i] = NormalizePhone(p)
	}
	err := e.updateTx(ctx, tenant, func(tx storeTx) error {
		before, err := tx.GetContact(c.ID)
		if err != nil {
			return err
		}
		for _, m := range c.Emails {
			if other, err := tx.FindContact(ContactKey{Email: m}); err == nil && other.ID != c.ID {
				return Invalid("emails", fmt.Sprintf("%s belongs to another contact; merge them instead", m))
			}
		}
		for _, p := range c.Phones {
			if other, err := tx.FindContact(ContactKey{Phone: p}); err == nil && other.ID != c.ID {
				return Invalid("phones", "the number belongs to another contact; merge them instead")
			}
		}
		c.TenantID, c.CreatedAt, c.UpdatedAt = tenant, before.CreatedAt, e.clock.Now()
		if c.Version == 0 {
			c.Version = before.Version
		}
		if err := tx.UpdateContact(&c); err != nil {
			return err
		}
		return tx.AppendAudit(AuditEntry{TenantID: tenant, Actor: ch.Actor, Action: "contact.update", EntityType: "contact",
			EntityID: c.ID, Before: mustJSON(before), After: mustJSON(c), At: c.UpdatedAt})
	})
	if err != nil {
		return Contact{}, fmt.Errorf("update contact %q: %w", c.ID, err)
	}
	return c, nil
}

// MergeContacts folds contact dropID into keepID: its emails, phones and
// conversations move to keepID and dropID is deleted.
func (e *Engine) MergeContacts(ctx context.Context, tenant TenantID, keepID, dropID string, ch Change) (Contact, error) {
	if ch.Actor == "" {
		return Contact{}, fmt.Errorf("merge contacts: %w", Invalid("actor", "is required"))
	}
	if keepID == dropID {
		return Contact{}, fmt.Errorf("merge contacts: %w", Invalid("drop", "is the contact to keep"))
	}
	var keep Contact
	var moved []string
	err := e.updateTx(ctx, tenant, func(tx storeTx) error {
		var err error
		if keep, err = tx.GetContact(keepID); err != nil {
			return fmt.Errorf("contact %q: %w", keepID, err)
		}
		drop, err := tx.GetContact(dropID)
		if err != nil {
			return fmt.Errorf("contact %q: %w", dropID, err)
		}
		cursor := ""
		for {
			page, err := tx.ListConversations(ConversationQuery{ContactID: dropID, Limit: 500, Cursor: cursor})
			if err != nil {
				return err
			}
			for _, c := range page.Items {
				c.ContactID = keepID
				c.UpdatedAt = e.clock.Now()
				markChanged(&c)
				if err := tx.UpdateConversation(&c); err != nil {
					return err
				}
				moved = append(moved, c.ID)
			}
			if page.NextCursor == "" {
				break
			}
			cursor = page.NextCursor
		}
		// Free the dropped contact's identities before keep takes them.
		if err := tx.DeleteContact(dropID); err != nil {
			return err
		}
		for _, m := range drop.Emails {
			if !slices.Contains(keep.Emails, m) {
				keep.Emails = append(keep.Emails, m)
			}
		}
		for _, p := range drop.Phones {
			if !slices.Contains(keep.Phones, p) {
				keep.Phones = append(keep.Phones, p)
			}
		}
		if keep.Name == "" {
			keep.Name = drop.Name
		}
		if keep.ExternalID == "" {
			keep.ExternalID = drop.ExternalID
		}
		keep.UpdatedAt = e.clock.Now()
		if err := tx.UpdateContact(&keep); err != nil {
			return err
		}
		return tx.AppendAudit(AuditEntry{TenantID: tenant, Actor: ch.Actor, Action: "contact.merge", EntityType: "contact",
			EntityID: keepID, Before: mustJSON(drop), After: mustJSON(map[string]any{"kept": keep.ID, "conversations": moved}), At: keep.UpdatedAt})
	})
	if err != nil {
		return Contact{}, fmt.Errorf("merge contacts: %w", err)
	}
	for _, id := range moved {
		e.bus.publish(Event{Type: EventConversationUpdated, TenantID: tenant, ConversationID: id, Detail: "contact merged", At: keep.UpdatedAt})
	}
	return keep, nil
}

// linkContact asks the ContactDirectory about a contact created by
// ingest (the WorkLinkContact work) and stores the host's id for it.
func (e *Engine) linkContact(ctx context.Context, tenant TenantID, id string) error {
	if e.directory == nil {
		return nil
	}
	var c Contact
	err := e.viewTx(ctx, tenant, func(tx storeTx) error {
		var err error
		c, err = tx.GetContact(id)
		return err
	})
	if errors.Is(err, ErrNotFound) || err == nil && c.ExternalID != "" {
		return nil // merged away, or linked meanwhile
	}
	if err != nil {
		return fmt.Errorf("link contact %q: %w", id, err)
	}
	ext, err := e.directory.LinkContact(ctx, tenant, c)
	if err != nil {
		return fmt.Errorf("contact directory: link contact %q: %w", id, err)
	}
	if ext == "" {
		return nil
	}
	err = e.updateTx(ctx, tenant, func(tx storeTx) error {
		c, err := tx.GetContact(id)
		if err != nil || c.ExternalID != "" {
			return err
		}
		c.ExternalID, c.UpdatedAt = ext, e.now()
		return tx.UpdateContact(&c)
	})
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("link contact %q: %w", id, err)
	}
	return nil
}

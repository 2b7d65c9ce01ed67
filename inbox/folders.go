package inbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Learner is an optional Classifier capability: it learns from the
// folders agents choose by hand (see package classify's learner).
type Learner interface {
	Learn(tenant TenantID, in ClassifyInput, folderID string)
}

// Confirmer is an optional Classifier capability: the engine calls Confirm
// when an agent keeps an automatic filing (reads the conversation, answers
// it or resolves it where it was filed), so a learner gains examples from
// the filings it got right and not only from corrections. It may be called
// more than once for one conversation; a later Move replaces it.
type Confirmer interface {
	Confirm(tenant TenantID, in ClassifyInput, folderID string)
}

// RuleValidator is an optional Classifier capability: it checks a
// folder's rules before they are saved, naming the invalid condition.
type RuleValidator interface {
	ValidateRules(rules json.RawMessage) error
}

// Limits on folder settings.
const (
	MaxFolderNameBytes = 100
	MaxPromptBytes     = 16 << 10
	MaxRulesBytes      = 64 << 10
)

// SaveFolder creates a folder (empty ID) or updates one (ID and Version of
// the folder the caller edited). Rules are validated by the classifier when
// it can (RuleValidator); an invalid rule set is refused and the previous
// rules stay active. Enabling auto-reply requires the tenant's reply
// prompt. When the rules change, the tenant's conversations are queued for
// reclassification.
func (e *Engine) SaveFolder(ctx context.Context, tenant TenantID, f Folder, ch Change) (Folder, error) {
	if ch.Actor == "" {
		return Folder{}, fmt.Errorf("save folder: %w", Invalid("actor", "is required"))
	}
	t, err := e.tenant(ctx, tenant)
	if err != nil {
		return Folder{}, fmt.Errorf("save folder: %w", err)
	}
	f.Name = strings.TrimSpace(f.Name)
	switch {
	case f.Name == "":
		return Folder{}, fmt.Errorf("save folder: %w", Invalid("name", "is empty"))
	case len(f.Name) > MaxFolderNameBytes || !utf8.ValidString(f.Name):
		return Folder{}, fmt.Errorf("save folder: %w", Invalid("name", fmt.Sprintf("must be valid UTF-8 of at most %d bytes", MaxFolderNameBytes)))
	case len(f.Description) > MaxPromptBytes || len(f.AutoReply.Prompt) > MaxPromptBytes:
		return Folder{}, fmt.Errorf("save folder: %w", Invalid("description", fmt.Sprintf("description and prompt are limited to %d bytes", MaxPromptBytes)))
	case len(f.Rules) > MaxRulesBytes:
		return Folder{}, fmt.Errorf("save folder: %w", Invalid("rules", fmt.Sprintf("are %d bytes, the limit is %d", len(f.Rules), MaxRulesBytes)))
	}
	switch f.AutoReply.Mode {
	case AutoReplyOff, AutoReplyAuto, AutoReplyApproval:
	default:
		return Folder{}, fmt.Errorf("save folder: %w", Invalid("auto_reply.mode", fmt.Sprintf("%q is not off, auto or approve", f.AutoReply.Mode)))
	}
	if f.AutoReply.MinConfidence < 0 || f.AutoReply.MinConfidence > 1 {
		return Folder{}, fmt.Errorf("save folder: %w", Invalid("auto_reply.min_confidence", "must be between 0 and 1"))
	}
	if f.AutoReply.MaxPerContactPerDay < 0 {
		return Folder{}, fmt.Errorf("save folder: %w", Invalid("auto_reply.max_per_contact_per_day", "must not be negative"))
	}
	if f.AutoReply.Mode != AutoReplyOff && strings.TrimSpace(t.Settings.ReplyPrompt) == "" {
		return Folder{}, fmt.Errorf("save folder: %w", Invalid("auto_reply.mode", "configure the reply prompt in the general settings before enabling auto-reply"))
	}
	if len(f.Rules) > 0 {
		if v, ok := e.classifier.(RuleValidator); ok {
			if err := v.ValidateRules(f.Rules); err != nil {
				return Folder{}, fmt.Errorf("save folder %q: %w", f.Name, err)
			}
		} else if !json.Valid(f.Rules) {
			return Folder{}, fmt.Errorf("save folder: %w", Invalid("rules", "is not valid JSON"))
		}
	}

	rulesChanged := false
	err = e.updateTx(ctx, tenant, func(tx storeTx) error {
		now := e.clock.Now()
		f.TenantID, f.UpdatedAt = tenant, now
		if f.ID == "" {
			f.CreatedAt, f.Version = now, 0
			if err := tx.CreateFolder(&f); err != nil {
				return err
			}
			rulesChanged = len(f.Rules) > 0
			return tx.AppendAudit(AuditEntry{TenantID: tenant, Actor: ch.Actor, Action: "folder.create", EntityType: "folder", EntityID: f.ID, After: mustJSON(f), At: now})
		}
		before, err := tx.GetFolder(f.ID)
		if err != nil {
			return err
		}
		if f.Version == 0 {
			f.Version = before.Version
		}
		f.CreatedAt = before.CreatedAt
		if err := tx.UpdateFolder(&f); err != nil {
			return err
		}
		rulesChanged = string(before.Rules) != string(f.Rules) || before.Description != f.Description
		return tx.AppendAudit(AuditEntry{TenantID: tenant, Actor: ch.Actor, Action: "folder.update", EntityType: "folder", EntityID: f.ID, Before: mustJSON(before), After: mustJSON(f), At: now})
	})
	if err != nil {
		return Folder{}, fmt.Errorf("save folder %q: %w", f.Name, err)
	}
	if rulesChanged {
		e.requestReclassify(tenant)
	}
	return f, nil
}

// DeleteFolder deletes a folder; its conversations become unfiled and are
// queued for reclassification.
func (e *Engine) DeleteFolder(ctx context.Context, tenant TenantID, folderID string, ch Change) error {
	if ch.Actor == "" {
		return fmt.Errorf("delete folder: %w", Invalid("actor", "is required"))
	}
	err := e.updateTx(ctx, tenant, func(tx storeTx) error {
		before, err := tx.GetFolder(folderID)
		if err != nil {
			return err
		}
		if err := tx.DeleteFolder(folderID); err != nil {
			return err
		}
		return tx.AppendAudit(AuditEntry{TenantID: tenant, Actor: ch.Actor, Action: "folder.delete", EntityType: "folder", EntityID: folderID, Before: mustJSON(before), At: e.clock.Now()})
	})
	if err != nil {
		return fmt.Errorf("delete folder %q: %w", folderID, err)
	}
	e.requestReclassify(tenant)
	return nil
}

// checkSettings validates settings on their own (the folders they name
// are checked against the store by the caller).
func checkSettings(s TenantSettings) error {
	switch s.Newsletter {
	case NewsletterKeep, NewsletterSkip, NewsletterSpam, NewsletterFolder:
	default:
		return Invalid("newsletter", fmt.Sprintf("%q is not skip, spam or folder", s.Newsletter))
	}
	if len(s.ReplyPrompt) > MaxPromptBytes {
		return Invalid("reply_prompt", fmt.Sprintf("is limited to %d bytes", MaxPromptBytes))
	}
	if s.ReopenWindow < 0 {
		return Invalid("reopen_window", "must not be negative")
	}
	if s.SubjectWindow < 0 {
		return Invalid("subject_window", "must not be negative")
	}
	if s.TimeZone != "" {
		if _, err := loadLocation(s.TimeZone); err != nil {
			return Invalid("time_zone", fmt.Sprintf("unknown time zone %q", s.TimeZone))
		}
	}
	if s.Newsletter == NewsletterFolder && s.NewsletterFolderID == "" {
		return Invalid("newsletter_folder_id", "is required when newsletters go to a folder")
	}
	return nil
}

// UpdateSettings replaces a tenant's settings (validated) and records the
// change in the audit log.
func (e *Engine) UpdateSettings(ctx context.Context, tenant TenantID, s TenantSettings, ch Change) (Tenant, error) {
	if ch.Actor == "" {
		return Tenant{}, fmt.Errorf("update settings: %w", Invalid("actor", "is required"))
	}
	t, err := e.tenant(ctx, tenant)
	if err != nil {
		return Tenant{}, fmt.Errorf("update settings: %w", err)
	}
	if err := checkSettings(s); err != nil {
		return Tenant{}, fmt.Errorf("update settings: %w", err)
	}
	err = e.viewTx(ctx, tenant, func(tx storeTx) error {
		if s.Newsletter == NewsletterFolder {
			if _, err := tx.GetFolder(s.NewsletterFolderID); err != nil {
				if errors.Is(err, ErrNotFound) {
					return Invalid("newsletter_folder_id", "no such folder")
				}
				return err
			}
		}
		if strings.TrimSpace(s.ReplyPrompt) == "" {
			folders, err := tx.ListFolders()
			if err != nil {
				return err
			}
			for _, f := range folders {
				if f.AutoReply.Mode != AutoReplyOff {
					return Invalid("reply_prompt", fmt.Sprintf("folder %q uses auto-reply; turn it off before removing the prompt", f.Name))
				}
			}
		}
		return nil
	})
	if err != nil {
		return Tenant{}, fmt.Errorf("update settings: %w", err)
	}
	before := t
	t.Settings, t.UpdatedAt = s, e.clock.Now()
	if err := e.store.UpdateTenant(ctx, &t); err != nil {
		return Tenant{}, fmt.Errorf("update settings: %w", err)
	}
	if err := e.updateTx(ctx, tenant, func(tx storeTx) error {
		return tx.AppendAudit(AuditEntry{TenantID: tenant, Actor: ch.Actor, Action: "tenant.settings", EntityType: "tenant", EntityID: string(tenant),
			Before: mustJSON(before.Settings), After: mustJSON(t.Settings), At: t.UpdatedAt})
	}); err != nil {
		e.log.Warn("inbox: audit settings change", "tenant", string(tenant), "err", err)
	}
	return t, nil
}

// learn tells a learning classifier which folder an agent chose.
func (e *Engine) learn(ctx context.Context, tenant TenantID, convID, folderID string) {
	l, ok := e.classifier.(Learner)
	if !ok || folderID == "" {
		return
	}
	if in, ok := e.learnInput(ctx, tenant, convID); ok {
		l.Learn(tenant, in, folderID)
	}
}

// confirm tells a Confirmer that an agent kept an automatic filing: they
// read, answered or resolved the conversation where a classifier put it.
// It is called after the agent's action succeeded and cannot fail it.
func (e *Engine) confirm(ctx context.Context, tenant TenantID, conv Conversation) {
	c, ok := e.classifier.(Confirmer)
	if !ok || !autoFiled(conv) {
		return
	}
	in, ok := e.learnInput(ctx, tenant, conv.ID)
	if !ok || !autoFiled(in.Conversation) {
		return
	}
	c.Confirm(tenant, in, in.Conversation.FolderID)
}

// autoFiled reports whether a classifier, not an agent, chose c's folder.
func autoFiled(c Conversation) bool {
	return c.FolderID != "" && c.Classification.By != DecidedByManual && c.Classification.Error == ""
}

// learnInput is what a learning classifier sees of a conversation: the
// conversation, its first inbound message, its history, contact and
// tenant. ok is false when there is no inbound message to learn from.
func (e *Engine) learnInput(ctx context.Context, tenant TenantID, convID string) (in ClassifyInput, ok bool) {
	err := e.viewTx(ctx, tenant, func(tx storeTx) error {
		conv, err := tx.GetConversation(convID)
		if err != nil {
			return err
		}
		msgs, err := tx.ListMessages(convID)
		if err != nil {
			return err
		}
		in = ClassifyInput{Conversation: conv, History: msgs}
		for _, m := range msgs {
			if m.Direction == DirectionIn {
				in.Message = m
				break
			}
		}
		in.Contact, _ = tx.GetContact(conv.ContactID)
		return nil
	})
	if err != nil || in.Message.ID == "" {
		return in, false
	}
	if t, err := e.store.GetTenant(ctx, tenant); err == nil {
		in.Tenant = t
	}
	return in, true
}

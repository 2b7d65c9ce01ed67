package inbox

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Auto-reply guard settings (architecture invariant 6).
const (
	// HumanReplyQuietPeriod: no auto-reply if a person answered this
	// recently; they are on it.
	HumanReplyQuietPeriod = 2 * time.Minute
	// DefaultAutoRepliesPerContactPerDay caps automatic answers to one
	// contact over 24 hours (RFC 3834 spirit).
	DefaultAutoRepliesPerContactPerDay = 3
	generateTimeout                    = 90 * time.Second
)

// noReplyLocalParts are sender mailboxes that never read answers.
var noReplyLocalParts = []string{"noreply", "no-reply", "no_reply", "donotreply", "do-not-reply", "do_not_reply",
	"mailer-daemon", "postmaster", "bounce", "bounces", "notifications", "notification", "nepasrepondre", "ne-pas-repondre"}

// IsNoReplyAddress reports whether an email address belongs to a mailbox
// that does not read replies (no-reply, mailer-daemon, bounces...).
func IsNoReplyAddress(addr string) bool {
	local, _, ok := strings.Cut(NormalizeEmail(addr), "@")
	if !ok {
		return false
	}
	local, _, _ = strings.Cut(local, "+")
	for _, p := range noReplyLocalParts {
		if local == p || strings.HasPrefix(local, p+".") || strings.HasPrefix(local, p+"-") {
			return true
		}
	}
	return false
}

// AutoReplyCheck is everything the auto-reply guard looks at.
type AutoReplyCheck struct {
	Now          time.Time
	Tenant       Tenant
	Folder       Folder
	Conversation Conversation
	Message      Message
	// RecentToContact counts auto-replies sent to this contact in the last
	// 24 hours, across conversations.
	RecentToContact int
}

// AutoReplyBlocked returns why no automatic answer may be sent, or "" when
// one may. It is the single place the anti-loop rules live:
// only customer messages in a folder with auto-reply on; never to
// automated, newsletter, bounce or no-reply senders; not within two
// minutes of a human answer; not twice without a human answer in between;
// at most N per contact per day; a tenant prompt is required.
func AutoReplyBlocked(c AutoReplyCheck) string {
	m, conv := c.Message, c.Conversation
	switch {
	case c.Folder.AutoReply.Mode == AutoReplyOff:
		return "auto-reply is off in this folder"
	case strings.TrimSpace(c.Tenant.Settings.ReplyPrompt) == "":
		return "no reply prompt configured"
	case m.Direction != DirectionIn || m.Author != AuthorCustomer:
		return "not a customer message"
	case m.Automated || m.Newsletter || m.Bounce:
		return "automated message (" + firstNonEmpty(m.AutomatedReason, "flagged") + ")"
	case m.Source == SourceEmail && (IsNoReplyAddress(m.From.Email) || m.From.Email == ""):
		return "sender does not accept replies"
	case conv.Automated || conv.Status == StatusSpam || conv.Status == StatusArchived:
		return "conversation is " + string(conv.Status)
	case !conv.LastHumanReplyAt.IsZero() && c.Now.Sub(conv.LastHumanReplyAt) < HumanReplyQuietPeriod:
		return "a person replied less than 2 minutes ago"
	case !conv.LastAutoReplyAt.IsZero() && !conv.LastHumanReplyAt.After(conv.LastAutoReplyAt):
		return "already auto-replied; waiting for a person to answer"
	}
	limit := c.Folder.AutoReply.MaxPerContactPerDay
	if limit <= 0 {
		limit = DefaultAutoRepliesPerContactPerDay
	}
	if c.RecentToContact >= limit {
		return fmt.Sprintf("limit of %d auto-replies per contact per day reached", limit)
	}
	return ""
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// runAutoReply is the WorkAutoReply handler: it writes an auto-reply (or
// a draft for approval) to messageID when its conversation's folder asks
// for it and the guard allows. Generation happens outside any
// transaction; the guard is checked again when the result is written, so
// a person answering meanwhile wins, and the result is written in the
// transaction that removes the work item, so a crash never sends twice.
// A generation that fails is retried by the worker with backoff; only
// when the attempts run out is a failed draft recorded.
func (e *Engine) runAutoReply(ctx context.Context, tenant Tenant, w WorkItem, finish func(tx Tx) error) error {
	convID, messageID := w.Key, w.Payload
	var (
		in    ReplyInput
		check AutoReplyCheck
		wait  bool
	)
	err := e.store.View(ctx, tenant.ID, func(tx Tx) error {
		var err error
		check, err = e.autoReplyCheck(tx, tenant, convID, messageID)
		if errors.Is(err, ErrNotFound) {
			return nil // the conversation or message went away
		}
		if err != nil {
			return err
		}
		if check.Conversation.FolderID == "" {
			// Not filed yet: a classification still pending decides the
			// folder, and so whether to answer.
			pending, err := tx.ListWork(WorkQuery{Kind: WorkClassify, Key: convID, Limit: 1})
			if err != nil {
				return err
			}
			wait = len(pending) > 0 && !pending[0].Failed
			return nil
		}
		if AutoReplyBlocked(check) != "" {
			return nil
		}
		in = ReplyInput{Tenant: tenant, Conversation: check.Conversation, Folder: check.Folder,
			Prompt: strings.TrimSpace(tenant.Settings.ReplyPrompt + "\n\n" + check.Folder.AutoReply.Prompt)}
		if in.Contact, err = tx.GetContact(check.Conversation.ContactID); err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		in.Messages, err = tx.ListMessages(convID)
		return err
	})
	if err != nil {
		return fmt.Errorf("auto-reply: load conversation %q: %w", convID, err)
	}
	if wait {
		return errNotYet
	}
	if check.Conversation.ID == "" || check.Conversation.FolderID == "" || AutoReplyBlocked(check) != "" {
		if check.Conversation.ID != "" {
			e.log.Debug("inbox: no auto-reply", "tenant", string(tenant.ID), "conversation", convID, "reason", AutoReplyBlocked(check))
		}
		return e.store.Update(context.WithoutCancel(ctx), tenant.ID, finish)
	}

	gctx, cancel := context.WithTimeout(ctx, generateTimeout)
	reply, genErr := e.responder.Respond(gctx, in)
	cancel()
	if genErr == nil && strings.TrimSpace(reply.Text) == "" {
		genErr = errors.New("the model returned an empty answer")
	}
	if genErr != nil && errors.Is(genErr, ErrTemporary) && w.Attempts+1 < maxWorkAttempts && ctx.Err() == nil {
		return fmt.Errorf("generate auto-reply: %w", genErr) // retried with backoff
	}

	var ev Event
	err = e.store.Update(context.WithoutCancel(ctx), tenant.ID, func(tx Tx) error {
		if err := finish(tx); err != nil {
			return err
		}
		now := e.clock.Now()
		check, err := e.autoReplyCheck(tx, tenant, convID, messageID)
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		check.Now = now
		if why := AutoReplyBlocked(check); why != "" && genErr == nil {
			e.log.Debug("inbox: auto-reply dropped", "conversation", convID, "reason", why)
			return nil
		}
		conv := check.Conversation
		d := Draft{TenantID: tenant.ID, ConversationID: convID, InReplyTo: messageID, CreatedAt: now, UpdatedAt: now,
			Text: reply.Text, Confidence: reply.Confidence, Citations: reply.Citations, Status: DraftPending}
		action := "draft.created"
		switch {
		case genErr != nil:
			d.Status, d.Error = DraftFailed, genErr.Error()
			action = "draft.failed"
			ev = Event{Type: EventDraftReady, TenantID: tenant.ID, ConversationID: convID, Detail: "failed", At: now}
		case check.Folder.AutoReply.Mode == AutoReplyAuto && reply.Confidence >= check.Folder.AutoReply.MinConfidence:
			msg, err := e.queueOutbound(tx, &conv, outboundSpec{Text: reply.Text, Author: AuthorAutoReply, AuthorID: "auto-reply"})
			if err != nil {
				return err
			}
			d.Status, d.DecidedBy, d.MessageID = DraftApproved, "auto-reply", msg.ID
			action = "autoreply.sent"
			e.metrics.add("auto_replies", 1)
			ev = Event{Type: EventMessageCreated, TenantID: tenant.ID, ConversationID: convID, MessageID: msg.ID, IntegrationID: msg.IntegrationID, Direction: DirectionOut, Detail: "auto-reply", At: now}
		default:
			ev = Event{Type: EventDraftReady, TenantID: tenant.ID, ConversationID: convID, At: now}
			e.metrics.add("drafts", 1)
		}
		if err := tx.CreateDraft(&d); err != nil {
			return err
		}
		if d.Status == DraftPending || d.Status == DraftFailed {
			// A pending draft counts as this round's automatic answer, so
			// a second customer message does not pile up drafts.
			conv.LastAutoReplyAt = now
		}
		conv.UpdatedAt = now
		if err := tx.UpdateConversation(&conv); err != nil {
			return err
		}
		ev.MessageID = firstNonEmpty(ev.MessageID, d.MessageID)
		return tx.AppendAudit(AuditEntry{TenantID: tenant.ID, Actor: "auto-reply", Action: action, EntityType: "draft",
			EntityID: d.ID, ConversationID: convID, After: mustJSON(map[string]any{"status": d.Status, "error": d.Error, "mode": check.Folder.AutoReply.Mode}), At: now})
	})
	if err != nil {
		return fmt.Errorf("auto-reply: store result: %w", err)
	}
	if ev.Type != "" {
		e.bus.publish(ev)
		e.kickOutbox()
	}
	return nil
}

func (e *Engine) autoReplyCheck(tx Tx, tenant Tenant, convID, messageID string) (AutoReplyCheck, error) {
	c := AutoReplyCheck{Now: e.clock.Now(), Tenant: tenant}
	var err error
	if c.Conversation, err = tx.GetConversation(convID); err != nil {
		return c, err
	}
	if c.Conversation.FolderID == "" {
		return c, nil // Folder zero value: auto-reply off
	}
	if c.Folder, err = tx.GetFolder(c.Conversation.FolderID); err != nil {
		if errors.Is(err, ErrNotFound) {
			return c, nil
		}
		return c, err
	}
	if c.Message, err = tx.GetMessage(messageID); err != nil {
		return c, err
	}
	if c.Folder.AutoReply.Mode == AutoReplyOff {
		return c, nil
	}
	// Count auto-replies to this contact over the last day.
	since := c.Now.Add(-24 * time.Hour)
	page, err := tx.ListConversations(ConversationQuery{ContactID: c.Conversation.ContactID, Since: since, Limit: 100})
	if err != nil {
		return c, err
	}
	for _, conv := range page.Items {
		if conv.LastAutoReplyAt.Before(since) {
			continue
		}
		msgs, err := tx.ListMessages(conv.ID)
		if err != nil {
			return c, err
		}
		for _, m := range msgs {
			if m.Author == AuthorAutoReply && !m.CreatedAt.Before(since) {
				c.RecentToContact++
			}
		}
	}
	return c, nil
}

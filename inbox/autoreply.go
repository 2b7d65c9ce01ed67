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
	// AutoRepliesPerDomainPerDay caps automatic answers to the addresses
	// of one domain over a day (free mail providers aside): a bot that
	// answers from a new address each time is still one domain.
	AutoRepliesPerDomainPerDay = 20
	// AutoRepliesPerDomainBurst caps them over DomainBurstWindow; more in
	// so short a time is a loop with another automaton, and pauses the
	// integration's auto-replies for AutoReplyPause.
	AutoRepliesPerDomainBurst = 3
	DomainBurstWindow         = 15 * time.Minute
	// AutoRepliesPerIntegrationBurst is the circuit breaker of an
	// integration: that many auto-replies within IntegrationBurstWindow
	// pause its auto-replies for AutoReplyPause and notify the admins.
	AutoRepliesPerIntegrationBurst = 30
	IntegrationBurstWindow         = 10 * time.Minute
	AutoReplyPause                 = time.Hour
	generateTimeout                = 90 * time.Second
)

// freeMailDomains are providers whose users are unrelated people: the
// per-domain caps do not apply to them.
var freeMailDomains = map[string]bool{
	"gmail.com": true, "googlemail.com": true, "outlook.com": true, "hotmail.com": true, "hotmail.fr": true, "live.com": true,
	"live.fr": true, "msn.com": true, "yahoo.com": true, "yahoo.fr": true, "icloud.com": true, "me.com": true, "aol.com": true,
	"gmx.de": true, "gmx.net": true, "gmx.fr": true, "web.de": true, "orange.fr": true, "wanadoo.fr": true, "free.fr": true,
	"laposte.net": true, "sfr.fr": true, "proton.me": true, "protonmail.com": true, "t-online.de": true, "libero.it": true,
}

// noReplyWords, found anywhere in a mailbox name once its separators are
// removed, mark mailboxes that never read answers: "noreply",
// "shop-noreply", "account_security.no-reply", "reply-not-monitored",
// "ne-pas-repondre".
var noReplyWords = []string{"noreply", "donotreply", "dontreply", "notmonitored", "unmonitored", "nepasrepondre", "nepasrepondez",
	"bittenichtantworten", "noresponder"}

// noReplyMailboxes are whole mailbox names of systems.
var noReplyMailboxes = map[string]bool{"mailerdaemon": true, "postmaster": true, "bounce": true, "bounces": true,
	"notifications": true, "notification": true, "daemon": true}

// IsNoReplyAddress reports whether an email address belongs to a mailbox
// that does not read replies (no-reply in its many spellings,
// mailer-daemon, bounces...).
func IsNoReplyAddress(addr string) bool {
	local, _, ok := strings.Cut(NormalizeEmail(addr), "@")
	if !ok {
		return false
	}
	local, _, _ = strings.Cut(local, "+")
	var b strings.Builder
	for _, r := range local {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	name := b.String()
	if noReplyMailboxes[name] || strings.HasPrefix(name, "bounce") {
		return true
	}
	for _, w := range noReplyWords {
		if strings.Contains(name, w) {
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
	// ReplyTo is the address (or number) the answer would go to: the
	// message's Reply-To when it has one, else its sender.
	ReplyTo string
	// RecentToContact counts auto-replies sent to this contact today
	// (UTC), across conversations; RecentToMailbox those to ReplyTo.
	RecentToContact, RecentToMailbox int
	// RecentToDomain counts auto-replies to ReplyTo's domain today, and
	// DomainBurst over the last DomainBurstWindow or two (free mail
	// providers count 0).
	RecentToDomain, DomainBurst int
	// Paused is set while the integration's auto-replies are paused by a
	// circuit breaker.
	Paused bool
}

// Reasons of AutoReplyBlocked that suspect a loop with another automaton:
// they pause the integration's auto-replies and notify the admins.
const loopSuspected = "loop suspected: "

// AutoReplyBlocked returns why no automatic answer may be sent, or "" when
// one may. It is the single place the anti-loop rules live:
// only customer messages in a folder with auto-reply on; never to
// automated, newsletter, bounce or no-reply senders; not within two
// minutes of a human answer; not twice without a human answer in between;
// at most N per contact, per address and per domain per day; a burst of
// them to one domain is a loop (see AutoRepliesPerDomainBurst); nothing
// while the integration's auto-replies are paused; a tenant prompt is
// required.
func AutoReplyBlocked(c AutoReplyCheck) string {
	m, conv := c.Message, c.Conversation
	if c.ReplyTo == "" {
		c.ReplyTo = firstNonEmpty(m.From.Email, m.From.Phone)
	}
	switch {
	case c.Folder.AutoReply.Mode == AutoReplyOff:
		return "auto-reply is off in this folder"
	case strings.TrimSpace(c.Tenant.Settings.ReplyPrompt) == "":
		return "no reply prompt configured"
	case m.Direction != DirectionIn || m.Author != AuthorCustomer:
		return "not a customer message"
	case m.Automated || m.Newsletter || m.Bounce:
		return "automated message (" + firstNonEmpty(m.AutomatedReason, "flagged") + ")"
	case m.Source == SourceEmail && (IsNoReplyAddress(m.From.Email) || m.From.Email == "" || IsNoReplyAddress(c.ReplyTo) || c.ReplyTo == ""):
		return "sender does not accept replies"
	case c.Paused:
		return "auto-replies of this integration are paused (too many in a short time)"
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
	switch {
	case c.RecentToContact >= limit:
		return fmt.Sprintf("limit of %d auto-replies per contact per day reached", limit)
	case c.RecentToMailbox >= limit:
		return fmt.Sprintf("limit of %d auto-replies per address per day reached", limit)
	case c.DomainBurst >= AutoRepliesPerDomainBurst:
		return fmt.Sprintf("%s%d auto-replies to %s within %s", loopSuspected, c.DomainBurst, domainOf(c.ReplyTo), DomainBurstWindow)
	case c.RecentToDomain >= AutoRepliesPerDomainPerDay:
		return fmt.Sprintf("limit of %d auto-replies per domain per day reached", AutoRepliesPerDomainPerDay)
	}
	return ""
}

// domainOf is the domain of an address, "" for a phone number or a free
// mail provider.
func domainOf(addr string) string {
	_, d, ok := strings.Cut(NormalizeEmail(addr), "@")
	if !ok || freeMailDomains[d] {
		return ""
	}
	return d
}

// autoReplyCounters are the counter keys and windows an auto-reply to
// c.ReplyTo counts in.
func autoReplyCounters(c AutoReplyCheck) []counter {
	day := c.Now.UTC().Truncate(24 * time.Hour)
	out := []counter{{"contact:" + c.Conversation.ContactID, day}}
	if c.ReplyTo != "" {
		out = append(out, counter{"to:" + c.ReplyTo, day})
	}
	if d := domainOf(c.ReplyTo); d != "" {
		out = append(out, counter{"dom:" + d, day}, counter{"domburst:" + d, c.Now.UTC().Truncate(DomainBurstWindow)})
	}
	if c.Conversation.IntegrationID != "" {
		out = append(out, counter{"intburst:" + c.Conversation.IntegrationID, c.Now.UTC().Truncate(IntegrationBurstWindow)})
	}
	return out
}

// counter is one rate-limit counter window.
type counter struct {
	key    string
	window time.Time
}

// pauseKey is the counter that, set, pauses an integration's auto-replies
// for the AutoReplyPause window it is in.
func pauseKey(integrationID string, now time.Time) counter {
	return counter{"paused:" + integrationID, now.UTC().Truncate(AutoReplyPause)}
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// inlineFilingWait is how long an auto-reply waits for the intake's
// classification of a conversation that was never classified.
const inlineFilingWait = time.Minute

// runAutoReply is the WorkAutoReply handler: it writes an auto-reply (or
// a draft for approval) to messageID when its conversation's folder asks
// for it and the guard allows. Generation happens outside any
// transaction; the guard is checked again when the result is written, so
// a person answering meanwhile wins, and the result is written in the
// transaction that removes the work item, so a crash never sends twice.
// A generation that fails is retried by the worker with backoff; only
// when the attempts run out is a failed draft recorded.
func (e *Engine) runAutoReply(ctx context.Context, tenant Tenant, w WorkItem, finish func(tx storeTx) error) error {
	convID, messageID := w.Key, w.Payload
	var (
		in    ReplyInput
		check AutoReplyCheck
		wait  bool
		loop  string
	)
	err := e.viewTx(ctx, tenant.ID, func(tx storeTx) error {
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
			// The intake's own (inline) classification files the
			// conversation right after its batch commits; the worker
			// may get here first. Wait for it, a while.
			if !wait && e.inlineClassifier() != nil && check.Conversation.Classification.At.IsZero() &&
				e.clock.Now().Sub(w.CreatedAt) < inlineFilingWait {
				wait = true
			}
			return nil
		}
		if why := AutoReplyBlocked(check); why != "" {
			if strings.HasPrefix(why, loopSuspected) {
				loop = why
			}
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
	if loop != "" {
		return e.pauseAutoReplies(ctx, tenant, check.Conversation, loop, finish)
	}
	if check.Conversation.ID == "" || check.Conversation.FolderID == "" || AutoReplyBlocked(check) != "" {
		if check.Conversation.ID != "" {
			e.log.Debug("inbox: no auto-reply", "tenant", string(tenant.ID), "conversation", convID, "reason", AutoReplyBlocked(check))
		}
		return e.updateTx(context.WithoutCancel(ctx), tenant.ID, finish)
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

	var (
		ev      Event
		tripped string // the integration's circuit breaker opened
	)
	err = e.updateTx(context.WithoutCancel(ctx), tenant.ID, func(tx storeTx) error {
		tripped = ""
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
			for _, k := range autoReplyCounters(check) {
				n, err := tx.AddCount(k.key, k.window, 1)
				if err != nil {
					return err
				}
				if strings.HasPrefix(k.key, "intburst:") && n >= AutoRepliesPerIntegrationBurst {
					tripped = fmt.Sprintf("%d auto-replies within %s", n, IntegrationBurstWindow)
				}
			}
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
	if tripped != "" {
		return e.pauseAutoReplies(ctx, tenant, check.Conversation, "circuit breaker: "+tripped, func(storeTx) error { return nil })
	}
	return nil
}

// AdminLister is an optional EmployeeDirectory capability: the employees
// told when the engine pauses something on its own (an integration's
// auto-replies when a loop with another automaton is suspected).
type AdminLister interface {
	TenantAdmins(ctx context.Context, tenant TenantID) ([]string, error)
}

// pauseAutoReplies pauses the auto-replies of conv's integration for
// AutoReplyPause, tells the admins once per pause, and finishes the work
// item, in one transaction.
func (e *Engine) pauseAutoReplies(ctx context.Context, tenant Tenant, conv Conversation, why string, finish func(tx storeTx) error) error {
	integ := conv.IntegrationID
	var admins []string
	if l, ok := e.employees.(AdminLister); ok {
		var err error
		if admins, err = l.TenantAdmins(ctx, tenant.ID); err != nil {
			e.log.Warn("inbox: list admins", "tenant", string(tenant.ID), "err", err)
		}
	}
	now := e.clock.Now()
	first := false
	err := e.updateTx(context.WithoutCancel(ctx), tenant.ID, func(tx storeTx) error {
		if err := finish(tx); err != nil {
			return err
		}
		if integ == "" {
			return nil
		}
		// The pause covers the window it starts in and the next, so it
		// lasts at least AutoReplyPause.
		p := pauseKey(integ, now)
		n, err := tx.AddCount(p.key, p.window, 1)
		if err != nil {
			return err
		}
		if _, err := tx.AddCount(p.key, p.window.Add(AutoReplyPause), 1); err != nil {
			return err
		}
		if first = n == 1; !first {
			return nil
		}
		text := fmt.Sprintf("Auto-replies are paused for an hour on this integration: %s. Check the conversation; another system may be answering automatically.", why)
		for _, a := range admins {
			note := Notification{TenantID: tenant.ID, UserID: a, Kind: "autoreply.paused", ConversationID: conv.ID, Text: text, CreatedAt: now}
			if err := tx.CreateNotification(&note); err != nil {
				return err
			}
		}
		return tx.AppendAudit(AuditEntry{TenantID: tenant.ID, Actor: "auto-reply", Action: "autoreply.paused", EntityType: "integration",
			EntityID: integ, ConversationID: conv.ID, After: mustJSON(map[string]string{"reason": why}), At: now})
	})
	if err != nil {
		return fmt.Errorf("pause auto-replies: %w", err)
	}
	if first {
		e.log.Warn("inbox: auto-replies paused", "tenant", string(tenant.ID), "integration", integ, "reason", why)
		e.bus.publish(Event{Type: EventIntegrationPaused, TenantID: tenant.ID, IntegrationID: integ, ConversationID: conv.ID,
			Detail: "auto-replies paused: " + why, At: now}, Event{Type: EventNotification, TenantID: tenant.ID, ConversationID: conv.ID, Detail: "autoreply.paused", At: now})
	}
	return nil
}

func (e *Engine) autoReplyCheck(tx storeTx, tenant Tenant, convID, messageID string) (AutoReplyCheck, error) {
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
	c.ReplyTo = c.Message.From.Email
	if c.Message.Source == SourceEmail && len(c.Message.ReplyTo) > 0 && c.Message.ReplyTo[0].Email != "" {
		c.ReplyTo = NormalizeEmail(c.Message.ReplyTo[0].Email)
	}
	if c.ReplyTo == "" {
		c.ReplyTo = c.Message.From.Phone
	}
	counts := map[string]int{}
	for _, k := range autoReplyCounters(c) {
		n, err := tx.AddCount(k.key, k.window, 0)
		if err != nil {
			return c, fmt.Errorf("auto-reply counters: %w", err)
		}
		counts[k.key] = n
	}
	c.RecentToContact = counts["contact:"+c.Conversation.ContactID]
	c.RecentToMailbox = counts["to:"+c.ReplyTo]
	if d := domainOf(c.ReplyTo); d != "" {
		c.RecentToDomain = counts["dom:"+d]
		// The burst counts this window and the one before, so a loop
		// straddling a window boundary is still seen.
		prev, err := tx.AddCount("domburst:"+d, c.Now.UTC().Truncate(DomainBurstWindow).Add(-DomainBurstWindow), 0)
		if err != nil {
			return c, fmt.Errorf("auto-reply counters: %w", err)
		}
		c.DomainBurst = counts["domburst:"+d] + prev
	}
	if c.Conversation.IntegrationID != "" {
		p := pauseKey(c.Conversation.IntegrationID, c.Now)
		n, err := tx.AddCount(p.key, p.window, 0)
		if err != nil {
			return c, fmt.Errorf("auto-reply counters: %w", err)
		}
		c.Paused = n > 0
	}
	return c, nil
}

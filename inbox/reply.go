package inbox

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// ReplyRequest is an answer an agent sends to the customer.
type ReplyRequest struct {
	Text string
	// HTML is an optional rich version; it is sanitized by the channel.
	HTML string
	// Attachments were already validated and stored in the BlobStore (see
	// package inbox/attach).
	Attachments []Attachment
	// Cc and Bcc copy an email reply to other addresses (at most
	// MaxReplyCopies each); other channels refuse them.
	Cc, Bcc []Party
	// Template sends one of the integration's approved templates
	// (Integration.Templates) instead of free text, as WhatsApp requires
	// outside its 24-hour window. Text, HTML, Attachments, Cc and Bcc are
	// then empty: the message's text is the rendered template.
	Template *TemplateChoice
}

// MaxReplyCopies bounds the Cc and the Bcc addresses of one reply.
const MaxReplyCopies = 20

// replyCopies checks and normalises the Cc or Bcc addresses of a reply.
func replyCopies(field string, ps []Party) ([]Party, error) {
	if len(ps) > MaxReplyCopies {
		return nil, Invalid(field, fmt.Sprintf("has %d addresses, the limit is %d", len(ps), MaxReplyCopies))
	}
	var out []Party
	seen := map[string]bool{}
	for i, p := range ps {
		email := NormalizeEmail(p.Email)
		if a, err := mail.ParseAddress(email); err != nil || a.Address != email || !strings.Contains(email, "@") {
			return nil, Invalid(fmt.Sprintf("%s[%d]", field, i), "is not an email address")
		}
		if seen[email] {
			continue
		}
		seen[email] = true
		out = append(out, Party{Name: strings.TrimSpace(p.Name), Email: email})
	}
	return out, nil
}

// Reply sends an agent's answer on the conversation's channel. The message
// and its outbox entry are written in one transaction; delivery happens in
// the outbox worker, with retries, so Reply returns as soon as the answer
// is safe. The conversation becomes open and read.
func (e *Engine) Reply(ctx context.Context, tenant TenantID, convID string, req ReplyRequest, ch Change) (Message, error) {
	if req.Template != nil {
		if err := checkTemplateReply(req); err != nil {
			return Message{}, fmt.Errorf("reply: %w", err)
		}
	} else if err := validateReplyText(req.Text, len(req.Attachments)); err != nil {
		return Message{}, fmt.Errorf("reply: %w", err)
	}
	cc, err := replyCopies("cc", req.Cc)
	if err != nil {
		return Message{}, fmt.Errorf("reply: %w", err)
	}
	bcc, err := replyCopies("bcc", req.Bcc)
	if err != nil {
		return Message{}, fmt.Errorf("reply: %w", err)
	}
	var msg Message
	conv, err := e.mutate(ctx, tenant, convID, ch, "conversation.reply", func(tx storeTx, c *Conversation) (any, error) {
		var err error
		if (len(cc) > 0 || len(bcc) > 0) && c.Source != SourceEmail {
			return nil, Invalid("cc", fmt.Sprintf("only email replies can be copied to other addresses, not %s", c.Source))
		}
		msg, err = e.queueOutbound(tx, c, outboundSpec{Text: req.Text, HTML: req.HTML, Attachments: req.Attachments, Author: AuthorAgent, AuthorID: ch.Actor, Cc: cc, Bcc: bcc, Template: req.Template})
		if err != nil {
			return nil, err
		}
		return map[string]any{"message_id": msg.ID}, nil
	})
	if err != nil {
		return Message{}, err
	}
	e.bus.publish(Event{Type: EventMessageCreated, TenantID: tenant, ConversationID: convID, MessageID: msg.ID, IntegrationID: msg.IntegrationID, Direction: DirectionOut, Detail: "outbound", At: msg.CreatedAt})
	e.kickOutbox()
	e.confirm(ctx, tenant, conv)
	return msg, nil
}

// checkTemplateReply refuses what a template message cannot carry.
func checkTemplateReply(req ReplyRequest) error {
	switch {
	case strings.TrimSpace(req.Text) != "" || req.HTML != "":
		return Invalid("text", "must be empty when a template is sent: the message is the template's text")
	case len(req.Attachments) > 0:
		return Invalid("attachments", "cannot be sent with a template")
	case len(req.Cc) > 0 || len(req.Bcc) > 0:
		return Invalid("cc", "only email replies can be copied to other addresses")
	case strings.TrimSpace(req.Template.Name) == "":
		return Invalid("template.name", "is required")
	}
	return nil
}

func validateReplyText(text string, attachments int) error {
	switch {
	case strings.TrimSpace(text) == "" && attachments == 0:
		return Invalid("text", "is empty")
	case len(text) > MaxReplyBytes:
		return Invalid("text", fmt.Sprintf("is %d bytes, the limit is %d", len(text), MaxReplyBytes))
	case !utf8.ValidString(text):
		return Invalid("text", "is not valid UTF-8")
	}
	return nil
}

// outboundSpec describes an outbound message to queue.
type outboundSpec struct {
	Text        string
	HTML        string
	Attachments []Attachment
	Author      AuthorKind
	AuthorID    string
	// Cc and Bcc are checked copies of an email reply.
	Cc, Bcc []Party
	// Template, when set, is rendered with the integration's declared
	// template into the message's text.
	Template *TemplateChoice
}

// queueOutbound writes an outbound message and its outbox entry inside tx
// and updates c (the caller saves it). Email replies get our own
// Message-ID and the thread's In-Reply-To / References, so the customer's
// client threads them and their answer comes back to this conversation.
func (e *Engine) queueOutbound(tx storeTx, c *Conversation, spec outboundSpec) (Message, error) {
	now := e.clock.Now()
	last, err := lastInbound(tx, c.ID)
	if err != nil {
		return Message{}, fmt.Errorf("thread of conversation %q: %w", c.ID, err)
	}
	contact, err := tx.GetContact(c.ContactID)
	if err != nil {
		return Message{}, fmt.Errorf("contact of conversation %q: %w", c.ID, err)
	}
	var integ Integration
	if c.IntegrationID != "" {
		if integ, err = tx.GetIntegration(c.IntegrationID); err != nil {
			return Message{}, fmt.Errorf("integration of conversation %q: %w", c.ID, err)
		}
	}
	if spec.Template != nil {
		if spec.Text, spec.Template, err = renderTemplate(c, integ, *spec.Template); err != nil {
			return Message{}, err
		}
	}
	m := Message{
		ID: NewID(), TenantID: c.TenantID, ConversationID: c.ID, IntegrationID: c.IntegrationID,
		Source: c.Source, Direction: DirectionOut, Author: spec.Author, AuthorID: spec.AuthorID,
		Text: spec.Text, HTML: spec.HTML, Attachments: spec.Attachments,
		Template: spec.Template, SentAt: now, CreatedAt: now, Read: true, Delivery: DeliveryQueued,
	}
	m.To = []Party{replyTarget(c.Source, last, contact)}
	if m.To[0].IsZero() {
		return Message{}, Invalid("to", "the conversation has no address to answer")
	}
	switch c.Source {
	case SourceEmail:
		address := NormalizeEmail(integ.Config["address"])
		m.From = Party{Email: address, Name: integ.Config["display_name"]}
		m.MessageID = m.ID + "@" + messageIDDomain(integ)
		m.Subject = replySubject(c.Subject)
		m.Cc, m.Bcc = spec.Cc, spec.Bcc
		if last != nil && last.MessageID != "" {
			m.InReplyTo = last.MessageID
			m.References = append(append([]string(nil), last.References...), last.MessageID)
		}
		m.DedupeKeys = []string{"m:" + m.MessageID + "|" + address}
		m.ThreadKeys = []string{"m:" + m.MessageID}
	default:
		m.From = Party{Phone: integ.Config["number"]}
	}
	if err := tx.InsertMessage(&m); err != nil {
		return Message{}, fmt.Errorf("insert outbound message: %w", err)
	}
	o := OutboxItem{
		TenantID: c.TenantID, MessageID: m.ID, ConversationID: c.ID, IntegrationID: c.IntegrationID,
		IdempotencyKey: m.ID, Status: OutboxPending, NextAttemptAt: now, CreatedAt: now, UpdatedAt: now,
	}
	if err := tx.EnqueueOutbox(&o); err != nil {
		return Message{}, fmt.Errorf("enqueue outbound message: %w", err)
	}

	c.MessageCount++
	c.LastMessageAt = now
	if spec.Author == AuthorAutoReply {
		c.LastAutoReplyAt = now
	} else {
		c.LastHumanReplyAt = now
		if c.FirstResponseAt.IsZero() {
			c.FirstResponseAt = now
		}
		if c.Status == StatusNew {
			c.Status = StatusOpen
		}
		// Answering means the agent read the thread.
		if c.Unread > 0 {
			msgs, err := tx.ListMessages(c.ID)
			if err != nil {
				return Message{}, fmt.Errorf("thread of conversation %q: %w", c.ID, err)
			}
			for i := range msgs {
				if msgs[i].Direction == DirectionIn && !msgs[i].Read {
					msgs[i].Read = true
					if err := tx.UpdateMessage(&msgs[i]); err != nil {
						return Message{}, fmt.Errorf("mark message read: %w", err)
					}
				}
			}
		}
		c.Unread = 0
		if checkReader(spec.AuthorID) == nil {
			// and read for the replying agent, even one who had marked it unread
			if err := tx.SetReadMark(c.ID, spec.AuthorID, false); err != nil {
				return Message{}, fmt.Errorf("mark read for the replying agent: %w", err)
			}
		}
	}
	return m, nil
}

// renderTemplate checks a template choice against the templates the
// conversation's integration declares and returns the text it sends, with
// the choice completed (its locale filled in).
func renderTemplate(c *Conversation, integ Integration, choice TemplateChoice) (string, *TemplateChoice, error) {
	if c.Source != SourceWhatsApp {
		return "", nil, Invalid("template", fmt.Sprintf("only WhatsApp replies are sent as templates, not %s", c.Source))
	}
	t, err := FindTemplate(integ.Templates, choice)
	if err != nil {
		return "", nil, err
	}
	text, err := t.Render(choice.Parameters)
	if err != nil {
		return "", nil, err
	}
	return text, &TemplateChoice{Name: t.Name, Locale: t.Locale, Parameters: slices.Clone(choice.Parameters)}, nil
}

// lastInbound returns the conversation's latest inbound message, nil if
// it has none.
func lastInbound(tx storeTx, conversationID string) (*Message, error) {
	m, err := tx.LastInbound(conversationID)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &m, nil
}

// replyTarget is where an answer goes: the latest customer message's
// Reply-To, else its sender, else the contact.
func replyTarget(src Source, last *Message, contact Contact) Party {
	if last != nil {
		if src == SourceEmail && len(last.ReplyTo) > 0 && last.ReplyTo[0].Email != "" {
			return last.ReplyTo[0]
		}
		if !last.From.IsZero() {
			return last.From
		}
	}
	p := Party{Name: contact.Name, ID: contact.ExternalID}
	if len(contact.Emails) > 0 {
		p.Email = contact.Emails[0]
	}
	if len(contact.Phones) > 0 {
		p.Phone = contact.Phones[0]
	}
	return p
}

func messageIDDomain(in Integration) string {
	if d := in.Config["message_id_domain"]; d != "" {
		return d
	}
	if _, d, ok := strings.Cut(in.Config["address"], "@"); ok && d != "" {
		return d
	}
	return "inboxkit.invalid"
}

// replySubject prefixes "Re: " unless the subject already is a reply.
func replySubject(s string) string {
	if s == "" {
		return ""
	}
	if NormalizeSubject(s) != strings.TrimSpace(s) {
		return s
	}
	return "Re: " + s
}

// ApproveDraft sends a pending draft, optionally edited, as the approver's
// reply. The draft records who approved it and the message it became.
func (e *Engine) ApproveDraft(ctx context.Context, tenant TenantID, draftID, editedText string, ch Change) (Message, error) {
	var msg Message
	var convID string
	err := e.viewTx(ctx, tenant, func(tx storeTx) error {
		d, err := tx.GetDraft(draftID)
		convID = d.ConversationID
		return err
	})
	if err != nil {
		return Message{}, fmt.Errorf("approve draft %q: %w", draftID, err)
	}
	_, err = e.mutate(ctx, tenant, convID, ch, "draft.approve", func(tx storeTx, c *Conversation) (any, error) {
		d, err := tx.GetDraft(draftID)
		if err != nil {
			return nil, err
		}
		if d.Status != DraftPending {
			return nil, Invalid("draft", fmt.Sprintf("is %s, only pending drafts can be approved", d.Status))
		}
		text := d.Text
		if strings.TrimSpace(editedText) != "" {
			text = editedText
		}
		if err := validateReplyText(text, 0); err != nil {
			return nil, err
		}
		msg, err = e.queueOutbound(tx, c, outboundSpec{Text: text, Author: AuthorAgent, AuthorID: ch.Actor})
		if err != nil {
			return nil, err
		}
		d.Status, d.DecidedBy, d.MessageID, d.UpdatedAt = DraftApproved, ch.Actor, msg.ID, e.clock.Now()
		edited := text != d.Text
		d.Text = text
		if err := tx.UpdateDraft(&d); err != nil {
			return nil, err
		}
		return map[string]any{"draft_id": d.ID, "message_id": msg.ID, "edited": edited}, nil
	})
	if err != nil {
		return Message{}, err
	}
	e.bus.publish(Event{Type: EventMessageCreated, TenantID: tenant, ConversationID: convID, MessageID: msg.ID, IntegrationID: msg.IntegrationID, Direction: DirectionOut, Detail: "outbound", At: msg.CreatedAt})
	e.kickOutbox()
	return msg, nil
}

// RejectDraft discards a pending draft with a reason (counted in
// statistics).
func (e *Engine) RejectDraft(ctx context.Context, tenant TenantID, draftID, reason string, ch Change) (Draft, error) {
	var out Draft
	var convID string
	if err := e.viewTx(ctx, tenant, func(tx storeTx) error {
		d, err := tx.GetDraft(draftID)
		convID = d.ConversationID
		return err
	}); err != nil {
		return Draft{}, fmt.Errorf("reject draft %q: %w", draftID, err)
	}
	_, err := e.mutate(ctx, tenant, convID, ch, "draft.reject", func(tx storeTx, c *Conversation) (any, error) {
		d, err := tx.GetDraft(draftID)
		if err != nil {
			return nil, err
		}
		if d.Status != DraftPending {
			return nil, Invalid("draft", fmt.Sprintf("is %s, only pending drafts can be rejected", d.Status))
		}
		d.Status, d.DecidedBy, d.Error, d.UpdatedAt = DraftRejected, ch.Actor, strings.TrimSpace(reason), e.clock.Now()
		if err := tx.UpdateDraft(&d); err != nil {
			return nil, err
		}
		out = d
		return map[string]any{"draft_id": d.ID, "reason": d.Error}, nil
	})
	return out, err
}

// backoff is the delay before retry number attempt (1-based): 30 s
// doubling up to an hour, with ±20 % jitter so failures do not synchronise.
func backoff(attempt int, jitter float64) time.Duration {
	d := 30 * time.Second
	for i := 1; i < attempt && d < time.Hour; i++ {
		d *= 2
	}
	if d > time.Hour {
		d = time.Hour
	}
	return time.Duration(float64(d) * (1 + 0.4*(jitter-0.5)))
}

package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/inboxkit/inboxkit/inbox"
)

// EventMessageReply is the type of the event a custom webhook integration
// receives when one of its conversations is answered.
const EventMessageReply = "message.reply"

// ReplyPayload is the JSON body of a reply delivered to a custom webhook
// integration's URL, signed like every outgoing webhook (Standard
// Webhooks, with the integration's signing secret). The receiver answers
// 2xx once it has taken the reply, optionally with {"id": "..."}, its own
// id for it; 5xx and timeouts are retried by the outbox with the same
// webhook-id, so the receiver can drop a retry it already took.
type ReplyPayload struct {
	Type      string       `json:"type"` // "message.reply"
	Timestamp time.Time    `json:"timestamp"`
	Data      ReplyMessage `json:"data"`
}

// ReplyMessage is the reply itself.
type ReplyMessage struct {
	// ID is inboxkit's message id; ConversationID its conversation's.
	ID             string `json:"id"`
	ConversationID string `json:"conversation_id"`
	// ThreadKey is the thread_key of the messages the conversation
	// received, when they had one.
	ThreadKey string `json:"thread_key,omitempty"`
	// InReplyTo is the external_id of the customer's latest message.
	InReplyTo string `json:"in_reply_to,omitempty"`
	// To is the customer, as the inbound messages named them.
	To          Sender            `json:"to"`
	Text        string            `json:"text"`
	HTML        string            `json:"html,omitempty"`
	Attachments []ReplyAttachment `json:"attachments,omitempty"`
	// Author is "agent" or "auto_reply".
	Author string `json:"author"`
}

// ReplyAttachment describes a file of a reply; the bytes are inline.
type ReplyAttachment struct {
	Filename    string `json:"filename"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	DataBase64  []byte `json:"data_base64"`
}

// FactoryOptions configure the channels Factory builds.
type FactoryOptions struct {
	// Client sends replies. Nil: a client with a 15-second timeout that
	// does not follow redirects.
	Client *http.Client
	// AllowHTTP lets replies go to http:// URLs on loopback addresses
	// (tests, a host's sidecar). https is required otherwise.
	AllowHTTP bool
	// Clock stamps the requests. Nil: the system clock.
	Clock inbox.Clock
}

// MaxReplyAttachmentBytes bounds the files inlined in one reply.
const MaxReplyAttachmentBytes = 10 << 20

// Factory returns an inbox.ChannelFactory for custom webhook
// integrations: conversations that arrived through one can be answered,
// and the answer is delivered to the integration's URL (ConfigURL) as a
// signed message.reply event. An integration without a URL cannot send.
func Factory(opts FactoryOptions) inbox.ChannelFactory {
	if opts.Client == nil {
		opts.Client = &http.Client{Timeout: 15 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if opts.Clock == nil {
		opts.Clock = inbox.SystemClock{}
	}
	return func(ctx context.Context, in inbox.Integration, secret inbox.SecretFunc) (inbox.Channel, error) {
		ch := &replyChannel{opts: opts, integration: in.ID}
		if raw := strings.TrimSpace(in.Config[ConfigURL]); raw != "" {
			u, err := checkReplyURL(raw, opts.AllowHTTP)
			if err != nil {
				return nil, fmt.Errorf("webhook integration %q: %w", in.ID, err)
			}
			ch.url = u
		}
		plain, err := secret(SecretSigning)
		if err != nil {
			return nil, fmt.Errorf("webhook integration %q: %w", in.ID, err)
		}
		if ch.secret, err = ParseSecret(string(plain)); err != nil {
			return nil, fmt.Errorf("webhook integration %q: %w", in.ID, inbox.Invalid("secrets."+SecretSigning, "is not a whsec_ signing secret"))
		}
		return ch, nil
	}
}

// checkReplyURL accepts https URLs, and http ones on loopback when
// allowHTTP is set.
func checkReplyURL(raw string, allowHTTP bool) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil {
		return "", inbox.Invalid("config."+ConfigURL, "is not an absolute URL without credentials")
	}
	switch u.Scheme {
	case "https":
	case "http":
		ip := net.ParseIP(u.Hostname())
		if !allowHTTP || !(u.Hostname() == "localhost" || ip != nil && ip.IsLoopback()) {
			return "", inbox.Invalid("config."+ConfigURL, "must be an https URL")
		}
	default:
		return "", inbox.Invalid("config."+ConfigURL, "must be an https URL")
	}
	return u.String(), nil
}

type replyChannel struct {
	opts        FactoryOptions
	integration string
	url         string
	secret      Secret
}

var _ inbox.Sender = (*replyChannel)(nil)

func (c *replyChannel) Kind() inbox.Source    { return inbox.SourceWebhook }
func (c *replyChannel) IntegrationID() string { return c.integration }

// Send delivers a reply to the integration's URL.
func (c *replyChannel) Send(ctx context.Context, out inbox.Outbound) (string, error) {
	if c.url == "" {
		return "", fmt.Errorf("webhook integration %q has no reply URL (config.%s): %w", c.integration, ConfigURL, inbox.ErrUnsupported)
	}
	msg, err := c.replyMessage(ctx, out)
	if err != nil {
		return "", err
	}
	now := c.opts.Clock.Now()
	body, err := json.Marshal(ReplyPayload{Type: EventMessageReply, Timestamp: now.UTC(), Data: msg})
	if err != nil {
		return "", fmt.Errorf("encode reply: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return "", fmt.Errorf("reply request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "inboxkit-webhook/1")
	// The idempotency key is stable across the outbox's retries, so the
	// receiver recognises a retry by its webhook-id.
	SignHeaders(req.Header, "msg_"+out.IdempotencyKey, now, body, c.secret)
	res, err := c.opts.Client.Do(req)
	if err != nil {
		return "", fmt.Errorf("deliver reply to %s: %w: %w", hostOf(c.url), inbox.ErrTemporary, scrubURLError(err))
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	switch {
	case res.StatusCode >= 200 && res.StatusCode < 300:
		var ack struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(raw, &ack) == nil && ack.ID != "" && len(ack.ID) <= 256 {
			return ack.ID, nil
		}
		return out.Message.ID, nil
	case res.StatusCode == http.StatusUnauthorized || res.StatusCode == http.StatusForbidden:
		return "", fmt.Errorf("deliver reply to %s: refused with %d: %w", hostOf(c.url), res.StatusCode, inbox.ErrUnauthorized)
	case res.StatusCode == http.StatusTooManyRequests || res.StatusCode >= 500 || res.StatusCode == http.StatusRequestTimeout:
		return "", fmt.Errorf("deliver reply to %s: answered %d: %w", hostOf(c.url), res.StatusCode, inbox.ErrTemporary)
	default:
		return "", fmt.Errorf("deliver reply to %s: answered %d: %s", hostOf(c.url), res.StatusCode, bytes.TrimSpace(raw[:min(len(raw), 200)]))
	}
}

func (c *replyChannel) replyMessage(ctx context.Context, out inbox.Outbound) (ReplyMessage, error) {
	m := out.Message
	msg := ReplyMessage{ID: m.ID, ConversationID: m.ConversationID, Text: m.Text, HTML: m.HTML, Author: string(m.Author)}
	if len(m.To) > 0 {
		p := m.To[0]
		msg.To = Sender{ID: p.ID, Name: p.Name, Email: p.Email, Phone: p.Phone}
	} else {
		msg.To = Sender{Name: out.Contact.Name}
	}
	prefix := "k:" + c.integration + ":"
	for i := len(out.Thread) - 1; i >= 0; i-- {
		t := out.Thread[i]
		if t.Direction != inbox.DirectionIn {
			continue
		}
		if msg.InReplyTo == "" && t.IntegrationID == c.integration {
			msg.InReplyTo = t.ProviderID
			if msg.To == (Sender{Name: out.Contact.Name}) {
				msg.To = Sender{ID: t.From.ID, Name: t.From.Name, Email: t.From.Email, Phone: t.From.Phone}
			}
		}
		for _, k := range t.ThreadKeys {
			if msg.ThreadKey == "" && strings.HasPrefix(k, prefix) {
				msg.ThreadKey = strings.TrimPrefix(k, prefix)
			}
		}
	}
	var total int64
	for _, a := range m.Attachments {
		if a.BlobKey == "" || out.Blobs == nil {
			continue
		}
		total += a.Size
		if total > MaxReplyAttachmentBytes {
			return ReplyMessage{}, fmt.Errorf("reply attachments exceed %d bytes: %w", MaxReplyAttachmentBytes, inbox.ErrInvalid)
		}
		r, err := out.Blobs.Get(ctx, a.BlobKey)
		if err != nil {
			return ReplyMessage{}, fmt.Errorf("read attachment %q: %w", a.Filename, err)
		}
		data, err := io.ReadAll(io.LimitReader(r, MaxReplyAttachmentBytes+1))
		r.Close()
		if err != nil {
			return ReplyMessage{}, fmt.Errorf("read attachment %q: %w: %w", a.Filename, inbox.ErrTemporary, err)
		}
		msg.Attachments = append(msg.Attachments, ReplyAttachment{Filename: a.Filename, ContentType: a.ContentType, Size: int64(len(data)), DataBase64: data})
	}
	return msg, nil
}

func hostOf(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Host
	}
	return "the reply URL"
}

// scrubURLError keeps the cause of a transport error without the URL,
// whose query may hold a token.
func scrubURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

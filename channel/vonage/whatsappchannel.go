package vonage

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/inboxkit/inboxkit/inbox"
)

// DefaultMessagesBaseURL is the Messages API host.
const DefaultMessagesBaseURL = "https://api.nexmo.com"

// CareWindow is WhatsApp's customer care window: free-form messages may
// be sent only this long after the customer's last message.
const CareWindow = 24 * time.Hour

// ErrTemplateRequired is wrapped by Send when the customer care window is
// closed: WhatsApp then accepts only pre-approved template messages. It
// wraps inbox.ErrInvalid, so the outbox does not retry.
var ErrTemplateRequired = fmt.Errorf("whatsapp customer care window closed: a template message is required: %w", inbox.ErrInvalid)

// AppJWT returns an application JWT for the Messages API (and for
// downloading secure inbound media): RS256 with the application's private
// key, valid for 15 minutes from now.
func AppJWT(applicationID string, key *rsa.PrivateKey, now time.Time) (string, error) {
	if applicationID == "" || key == nil {
		return "", fmt.Errorf("vonage: application jwt: %w", inbox.Invalid("application_id", "and the private key are required"))
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{
		"application_id": applicationID,
		"iat":            now.Unix(),
		"exp":            now.Add(15 * time.Minute).Unix(),
		"jti":            inbox.NewID(),
	})
	s, err := tok.SignedString(key)
	if err != nil {
		return "", fmt.Errorf("vonage: sign application jwt: %w", err)
	}
	return s, nil
}

// WhatsAppChannelOptions configure a WhatsAppChannel.
type WhatsAppChannelOptions struct {
	IntegrationID string
	// From is our WhatsApp number. Required.
	From string
	// ApplicationID and PrivateKey authenticate as the Vonage application.
	// Required.
	ApplicationID string
	PrivateKey    *rsa.PrivateKey
	// BaseURL is the Messages API host. "": DefaultMessagesBaseURL.
	BaseURL string
	// Client carries API requests. Nil: a client with a 30-second timeout.
	Client *http.Client
	// Clock tells the time for the care window and tokens. Nil: the system
	// clock.
	Clock inbox.Clock
	// MediaURL returns a URL the Messages API can fetch an outbound
	// attachment from (the host serves its BlobStore through signed links).
	// Nil: messages with attachments fail with inbox.ErrUnsupported.
	MediaURL func(ctx context.Context, tenant inbox.TenantID, a inbox.Attachment) (string, error)
	// Templates are the integration's approved templates: a message with a
	// Template must name one of them (inbox.FindTemplate).
	Templates []inbox.Template
}

// WhatsAppChannel sends WhatsApp text and media through the Messages API.
type WhatsAppChannel struct {
	opts WhatsAppChannelOptions
}

var (
	_ inbox.Channel = (*WhatsAppChannel)(nil)
	_ inbox.Sender  = (*WhatsAppChannel)(nil)
)

// NewWhatsAppChannel validates opts and returns the channel.
func NewWhatsAppChannel(opts WhatsAppChannelOptions) (*WhatsAppChannel, error) {
	switch {
	case strings.TrimSpace(opts.From) == "":
		return nil, fmt.Errorf("vonage: whatsapp channel %q: %w", opts.IntegrationID, inbox.Invalid("config.from", "is required"))
	case opts.ApplicationID == "":
		return nil, fmt.Errorf("vonage: whatsapp channel %q: %w", opts.IntegrationID, inbox.Invalid("config.application_id", "is required"))
	case opts.PrivateKey == nil:
		return nil, fmt.Errorf("vonage: whatsapp channel %q: %w", opts.IntegrationID, inbox.Invalid("private_key", "is required"))
	}
	if opts.BaseURL == "" {
		opts.BaseURL = DefaultMessagesBaseURL
	}
	opts.BaseURL = strings.TrimRight(opts.BaseURL, "/")
	if opts.Client == nil {
		opts.Client = &http.Client{Timeout: 30 * time.Second}
	}
	if opts.Clock == nil {
		opts.Clock = inbox.SystemClock{}
	}
	return &WhatsAppChannel{opts: opts}, nil
}

// Kind implements inbox.Channel.
func (c *WhatsAppChannel) Kind() inbox.Source { return inbox.SourceWhatsApp }

// IntegrationID implements inbox.Channel.
func (c *WhatsAppChannel) IntegrationID() string { return c.opts.IntegrationID }

// outMessage is a Messages API send request.
type outMessage struct {
	MessageType string       `json:"message_type"`
	Channel     string       `json:"channel"`
	To          string       `json:"to"`
	From        string       `json:"from"`
	ClientRef   string       `json:"client_ref,omitempty"`
	Text        string       `json:"text,omitempty"`
	Template    *outTemplate `json:"template,omitempty"`
	WhatsApp    *outWhatsApp `json:"whatsapp,omitempty"`
	Image       *outMedia    `json:"image,omitempty"`
	Video       *outMedia    `json:"video,omitempty"`
	Audio       *outMedia    `json:"audio,omitempty"`
	File        *outMedia    `json:"file,omitempty"`
}

// outTemplate names an approved template and fills its placeholders.
type outTemplate struct {
	Name       string   `json:"name"`
	Parameters []string `json:"parameters,omitempty"`
}

// outWhatsApp is the WhatsApp part of a template message: "deterministic"
// delivers the template in exactly this locale or fails.
type outWhatsApp struct {
	Policy string `json:"policy"`
	Locale string `json:"locale"`
}

type outMedia struct {
	URL     string `json:"url"`
	Caption string `json:"caption,omitempty"`
	Name    string `json:"name,omitempty"`
}

// Send implements inbox.Sender. A message with a Template is sent as that
// approved template, at any time. Otherwise, within the customer care
// window it sends the text, and each attachment as a media message (the
// text becomes the caption of a single image, video or file); outside the
// window it fails with ErrTemplateRequired. The returned id is the first
// message's uuid.
func (c *WhatsAppChannel) Send(ctx context.Context, out inbox.Outbound) (string, error) {
	to := recipientPhone(out)
	if to == "" {
		return "", fmt.Errorf("vonage whatsapp: %w", inbox.Invalid("to", "the conversation's contact has no phone number"))
	}
	if out.Message.Template != nil {
		return c.sendTemplate(ctx, out, to, *out.Message.Template)
	}
	now := c.opts.Clock.Now()
	last := out.Conversation.LastInboundAt
	if last.IsZero() {
		return "", fmt.Errorf("vonage whatsapp to %s: the customer never wrote on this conversation: %w", MaskPhone(to), ErrTemplateRequired)
	}
	if closed := last.Add(CareWindow); !now.Before(closed) {
		return "", fmt.Errorf("vonage whatsapp to %s: the window closed at %s: %w", MaskPhone(to), closed.UTC().Format(time.RFC3339), ErrTemplateRequired)
	}
	msgs, err := c.build(ctx, out, to)
	if err != nil {
		return "", err
	}
	var first string
	for i, m := range msgs {
		id, err := c.post(ctx, m)
		if err != nil {
			if i > 0 {
				// Retrying would send the earlier parts twice.
				return "", fmt.Errorf("vonage whatsapp to %s: sent %d of %d parts, then: %w", MaskPhone(to), i, len(msgs), permanent(err))
			}
			return "", fmt.Errorf("vonage whatsapp to %s: %w", MaskPhone(to), err)
		}
		if first == "" {
			first = id
		}
	}
	return first, nil
}

// sendTemplate sends one of the declared templates, checked here too so a
// host calling Send directly cannot send what WhatsApp would refuse.
func (c *WhatsAppChannel) sendTemplate(ctx context.Context, out inbox.Outbound, to string, choice inbox.TemplateChoice) (string, error) {
	t, err := inbox.FindTemplate(c.opts.Templates, choice)
	if err != nil {
		return "", fmt.Errorf("vonage whatsapp template: %w", err)
	}
	if _, err := t.Render(choice.Parameters); err != nil {
		return "", fmt.Errorf("vonage whatsapp template %q: %w", t.Name, err)
	}
	m := outMessage{
		MessageType: "template", Channel: "whatsapp", To: to, From: inbox.NormalizePhone(c.opts.From), ClientRef: clientRef(out),
		Template: &outTemplate{Name: t.Name, Parameters: choice.Parameters},
		WhatsApp: &outWhatsApp{Policy: "deterministic", Locale: t.Locale},
	}
	id, err := c.post(ctx, m)
	if errors.Is(err, ErrTemplateRequired) {
		// The template itself was refused (not approved, wrong locale or
		// parameters): asking for a template would mislead.
		return "", fmt.Errorf("vonage whatsapp template %q (%s) to %s: refused: %w: %s", t.Name, t.Locale, MaskPhone(to), inbox.ErrInvalid, err.Error())
	}
	if err != nil {
		return "", fmt.Errorf("vonage whatsapp template %q to %s: %w", t.Name, MaskPhone(to), err)
	}
	return id, nil
}

// permanent strips the retryable mark of err.
func permanent(err error) error {
	if errors.Is(err, inbox.ErrTemporary) {
		return fmt.Errorf("%w: %s", inbox.ErrInvalid, err.Error())
	}
	return err
}

func (c *WhatsAppChannel) build(ctx context.Context, out inbox.Outbound, to string) ([]outMessage, error) {
	base := outMessage{Channel: "whatsapp", To: to, From: inbox.NormalizePhone(c.opts.From), ClientRef: clientRef(out)}
	text := strings.TrimSpace(out.Message.Text)
	atts := out.Message.Attachments
	if text == "" && len(atts) == 0 {
		return nil, fmt.Errorf("vonage whatsapp: %w", inbox.Invalid("text", "is empty"))
	}
	if len(atts) > 0 && c.opts.MediaURL == nil {
		return nil, fmt.Errorf("vonage whatsapp: %w: attachments need WhatsAppChannelOptions.MediaURL", inbox.ErrUnsupported)
	}
	var msgs []outMessage
	captioned := len(atts) == 1 && !strings.HasPrefix(atts[0].ContentType, "audio/") && len(text) <= 1024
	if text != "" && !captioned {
		m := base
		m.MessageType, m.Text = "text", text
		msgs = append(msgs, m)
	}
	for _, a := range atts {
		u, err := c.opts.MediaURL(ctx, out.Message.TenantID, a)
		if err != nil {
			return nil, fmt.Errorf("vonage whatsapp: media url for %q: %w", a.Filename, err)
		}
		m := base
		media := &outMedia{URL: u}
		if captioned {
			media.Caption = text
		}
		switch top, _, _ := strings.Cut(a.ContentType, "/"); top {
		case "image":
			m.MessageType, m.Image = "image", media
		case "video":
			m.MessageType, m.Video = "video", media
		case "audio":
			media.Caption = ""
			m.MessageType, m.Audio = "audio", media
		default:
			media.Name = a.Filename
			m.MessageType, m.File = "file", media
		}
		msgs = append(msgs, m)
	}
	return msgs, nil
}

// problem is an RFC 7807 error reply of the Messages API.
type problem struct {
	Type   string          `json:"type"`
	Title  json.RawMessage `json:"title"`
	Detail string          `json:"detail"`
}

func (c *WhatsAppChannel) post(ctx context.Context, m outMessage) (string, error) {
	body, err := json.Marshal(m)
	if err != nil {
		return "", fmt.Errorf("encode message: %w", err)
	}
	tok, err := AppJWT(c.opts.ApplicationID, c.opts.PrivateKey, c.opts.Clock.Now())
	if err != nil {
		return "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.opts.BaseURL+"/v1/messages", bytes.NewReader(body))
	if err != nil {
		return "", fmt.Errorf("messages api: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := c.opts.Client.Do(req)
	if err != nil {
		return "", fmt.Errorf("messages api: network: %w: %v", inbox.ErrTemporary, redactURL(err))
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return "", fmt.Errorf("messages api: read reply: %w: %v", inbox.ErrTemporary, err)
	}
	if resp.StatusCode == http.StatusAccepted || resp.StatusCode == http.StatusOK {
		var ok struct {
			MessageUUID string `json:"message_uuid"`
		}
		if err := json.Unmarshal(raw, &ok); err != nil || ok.MessageUUID == "" {
			return "", fmt.Errorf("messages api: reply without message_uuid: %w", inbox.ErrTemporary)
		}
		return ok.MessageUUID, nil
	}
	return "", messagesError(resp.StatusCode, raw)
}

// messagesError maps a Messages API error reply.
func messagesError(status int, raw []byte) error {
	var p problem
	_ = json.Unmarshal(raw, &p)
	detail := strings.TrimSpace(strings.Trim(string(p.Title), `"`) + ": " + p.Detail)
	detail = strings.Trim(detail, ": ")
	if detail == "" {
		detail = http.StatusText(status)
	}
	if len(detail) > 300 {
		detail = detail[:300]
	}
	msg := fmt.Sprintf("messages api: HTTP %d: %s", status, detail)
	lower := strings.ToLower(detail + " " + p.Type)
	switch {
	case status == http.StatusTooManyRequests || status >= 500:
		return fmt.Errorf("%s: %w", msg, inbox.ErrTemporary)
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return fmt.Errorf("%s: %w", msg, inbox.ErrUnauthorized)
	case strings.Contains(lower, "window") || strings.Contains(lower, "1340") || strings.Contains(lower, "template"):
		return fmt.Errorf("%s: %w", msg, ErrTemplateRequired)
	}
	return fmt.Errorf("%s: %w", msg, inbox.ErrInvalid)
}

// WhatsAppFactoryOptions configure WhatsAppFactory.
type WhatsAppFactoryOptions struct {
	// BaseURL is the Messages API host. "": DefaultMessagesBaseURL.
	BaseURL string
	// Client carries API requests. Nil: a client with a 30-second timeout.
	Client *http.Client
	// Clock tells the time. Nil: the system clock.
	Clock inbox.Clock
	// MediaURL publishes outbound attachments (see WhatsAppChannelOptions).
	MediaURL func(ctx context.Context, tenant inbox.TenantID, a inbox.Attachment) (string, error)
}

// WhatsAppFactory returns the inbox.ChannelFactory for WhatsApp
// integrations. It reads Config "from" and "application_id" and the sealed
// secret "private_key" (PEM).
func WhatsAppFactory(opts WhatsAppFactoryOptions) inbox.ChannelFactory {
	return func(ctx context.Context, in inbox.Integration, secret inbox.SecretFunc) (inbox.Channel, error) {
		pemKey, err := secret(SecretPrivateKey)
		if errors.Is(err, inbox.ErrNotFound) && in.Config[ConfigApplicationID] == "" {
			// No application: the integration receives only.
			return receiveOnly{kind: inbox.SourceWhatsApp, id: in.ID}, nil
		}
		if err != nil {
			return nil, fmt.Errorf("vonage: whatsapp integration %q: %w", in.ID, err)
		}
		key, err := jwt.ParseRSAPrivateKeyFromPEM(pemKey)
		if err != nil {
			return nil, fmt.Errorf("vonage: whatsapp integration %q: %w", in.ID, inbox.Invalid("private_key", "is not an RSA private key in PEM"))
		}
		return NewWhatsAppChannel(WhatsAppChannelOptions{
			IntegrationID: in.ID, From: in.Config[ConfigFrom], ApplicationID: in.Config[ConfigApplicationID],
			PrivateKey: key, BaseURL: opts.BaseURL, Client: opts.Client, Clock: opts.Clock, MediaURL: opts.MediaURL,
			Templates: in.Templates,
		})
	}
}

package vonage

import (
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/inboxkit/inboxkit/inbox"
)

// SMS is an inbound SMS as the SMS API delivers it.
type SMS struct {
	MessageID string // Vonage's id, unique per part
	From      string // msisdn, the sender
	To        string // our virtual number
	Type      string // text, unicode or binary
	Text      string
	Keyword   string
	// SentAt is message-timestamp (UTC), when Vonage received the message.
	SentAt time.Time
	// Concat is set for one part of a concatenated (multipart) SMS.
	Concat *Concat
	// Data and UDH are the hex payload and user data header of a binary SMS.
	Data, UDH string
}

// Concat identifies one part of a concatenated SMS.
type Concat struct {
	Ref   string // concat-ref, shared by the parts of one message
	Total int    // concat-total
	Part  int    // concat-part, from 1
}

// DeliveryReceipt is an SMS API delivery receipt for a message we sent.
type DeliveryReceipt struct {
	MessageID string // the id Vonage returned when the message was sent
	To        string // msisdn, the recipient
	Status    string // delivered, expired, failed, rejected, accepted, buffered, unknown
	ErrorCode string // err-code, "0" on success
	ClientRef string
	At        time.Time
}

// SMSWebhook is a parsed SMS API webhook: exactly one of Message and
// Receipt is set.
type SMSWebhook struct {
	Message *SMS
	Receipt *DeliveryReceipt
}

// vonageTimeLayout is the layout of message-timestamp.
const vonageTimeLayout = "2006-01-02 15:04:05"

// maxSMSText bounds one part's text; real parts are at most a few hundred
// bytes, so anything longer is not an SMS.
const maxSMSText = 16 << 10

// ParseSMS reads the parameters of a verified SMS API webhook. A
// parameter set with a status and no type is a delivery receipt; anything
// else must be an inbound message with msisdn, to and messageId. Errors
// are *inbox.FieldError naming the parameter.
func ParseSMS(p SMSParams) (SMSWebhook, error) {
	for k, v := range p {
		if !utf8.ValidString(v) {
			return SMSWebhook{}, inbox.Invalid(k, "is not valid UTF-8")
		}
	}
	if _, isReceipt := p["status"]; isReceipt && p["type"] == "" {
		r, err := parseReceipt(p)
		return SMSWebhook{Receipt: r}, err
	}
	m := &SMS{
		MessageID: p["messageId"],
		From:      p["msisdn"],
		To:        p["to"],
		Type:      strings.ToLower(p["type"]),
		Text:      p["text"],
		Keyword:   p["keyword"],
		Data:      p["data"],
		UDH:       p["udh"],
	}
	switch {
	case m.MessageID == "":
		return SMSWebhook{}, inbox.Invalid("messageId", "is required")
	case len(m.MessageID) > 64:
		return SMSWebhook{}, inbox.Invalid("messageId", "is longer than 64 characters")
	case inbox.NormalizePhone(m.From) == "":
		return SMSWebhook{}, inbox.Invalid("msisdn", "is required and must be a phone number")
	case len(m.Text) > maxSMSText:
		return SMSWebhook{}, inbox.Invalid("text", fmt.Sprintf("is longer than %d bytes", maxSMSText))
	}
	switch m.Type {
	case "", "text", "unicode":
	case "binary":
		if _, err := hex.DecodeString(m.Data); err != nil {
			return SMSWebhook{}, inbox.Invalid("data", "is not hexadecimal")
		}
		if _, err := hex.DecodeString(m.UDH); err != nil {
			return SMSWebhook{}, inbox.Invalid("udh", "is not hexadecimal")
		}
	default:
		return SMSWebhook{}, inbox.Invalid("type", fmt.Sprintf("%.20q is not text, unicode or binary", m.Type))
	}
	if ts := p["message-timestamp"]; ts != "" {
		t, err := time.Parse(vonageTimeLayout, ts)
		if err != nil {
			return SMSWebhook{}, inbox.Invalid("message-timestamp", "is not YYYY-MM-DD HH:MM:SS")
		}
		m.SentAt = t.UTC()
	}
	if p["concat"] == "true" {
		c, err := parseConcat(p)
		if err != nil {
			return SMSWebhook{}, err
		}
		m.Concat = c
	}
	return SMSWebhook{Message: m}, nil
}

func parseConcat(p SMSParams) (*Concat, error) {
	c := &Concat{Ref: p["concat-ref"]}
	if c.Ref == "" || len(c.Ref) > 64 {
		return nil, inbox.Invalid("concat-ref", "is required for a concatenated message")
	}
	var err error
	if c.Total, err = strconv.Atoi(p["concat-total"]); err != nil || c.Total < 1 || c.Total > 255 {
		return nil, inbox.Invalid("concat-total", "must be a number from 1 to 255")
	}
	if c.Part, err = strconv.Atoi(p["concat-part"]); err != nil || c.Part < 1 || c.Part > c.Total {
		return nil, inbox.Invalid("concat-part", "must be a number from 1 to concat-total")
	}
	return c, nil
}

func parseReceipt(p SMSParams) (*DeliveryReceipt, error) {
	r := &DeliveryReceipt{
		MessageID: p["messageId"],
		To:        p["msisdn"],
		Status:    strings.ToLower(p["status"]),
		ErrorCode: p["err-code"],
		ClientRef: p["client-ref"],
	}
	if r.MessageID == "" {
		return nil, inbox.Invalid("messageId", "is required")
	}
	if r.Status == "" {
		return nil, inbox.Invalid("status", "is required")
	}
	if ts := p["message-timestamp"]; ts != "" {
		t, err := time.Parse(vonageTimeLayout, ts)
		if err != nil {
			return nil, inbox.Invalid("message-timestamp", "is not YYYY-MM-DD HH:MM:SS")
		}
		r.At = t.UTC()
	}
	return r, nil
}

// body is the text a message shows in the inbox.
func (m *SMS) body() string {
	if m.Type == "binary" {
		return fmt.Sprintf("[binary SMS, %d bytes]", len(m.Data)/2)
	}
	return m.Text
}

// Inbound converts a single-part SMS for Engine.Ingest.
func (m *SMS) Inbound(integrationID string) inbox.Inbound {
	return inbox.Inbound{
		IntegrationID: integrationID,
		Source:        inbox.SourceSMS,
		ProviderID:    m.MessageID,
		From:          inbox.Party{Phone: m.From},
		To:            []inbox.Party{{Phone: m.To}},
		Text:          m.body(),
		SentAt:        m.SentAt,
	}
}

// deliveryFromSMSStatus maps an SMS API receipt status to a delivery state;
// ok is false for interim statuses that change nothing.
func deliveryFromSMSStatus(status string) (inbox.DeliveryState, bool) {
	switch status {
	case "delivered":
		return inbox.DeliveryDelivered, true
	case "expired", "failed", "rejected":
		return inbox.DeliveryFailed, true
	case "accepted", "buffered":
		return inbox.DeliverySent, true
	}
	return "", false
}

package webhook

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/inboxkit/inboxkit/inbox"
)

// Limits of the inbound message format, also stated in
// message.schema.json.
const (
	maxExternalID  = 256
	maxChannel     = 64
	maxShortField  = 320
	maxSubject     = 998
	maxAttachments = 20
	maxFilename    = 255
)

// Message is the generic inbound message any external service can post
// (schema custom-inbound-message/v1, see message.schema.json). Null JSON
// values read as empty strings.
type Message struct {
	// ExternalID is the sender's unique id for the message: posting the
	// same id twice stores one message. Required.
	ExternalID string `json:"external_id"`
	// Channel names where the message came from ("email", "webchat",
	// "form"...). Required.
	Channel string `json:"channel"`
	// From is the customer. At least one of id, email and phone is
	// required.
	From Sender `json:"from"`
	// To is the recipient as the sender names it (an address, a team).
	To      string `json:"to"`
	Subject string `json:"subject"`
	Text    string `json:"text"`
	// HTML is sanitized before storage.
	HTML        string              `json:"html"`
	Attachments []MessageAttachment `json:"attachments"`
	// SentAt is RFC 3339; empty means now.
	SentAt string `json:"sent_at"`
	// ThreadKey groups messages into one conversation: messages with the
	// same key join the same conversation.
	ThreadKey string `json:"thread_key"`
}

// Sender identifies the customer who wrote a Message.
type Sender struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
	Phone string `json:"phone"`
}

// MessageAttachment is a file given by URL (fetched from allowed hosts
// only) or inline as base64. Exactly one of URL and DataBase64 is set.
type MessageAttachment struct {
	Filename    string `json:"filename"`
	ContentType string `json:"content_type"`
	URL         string `json:"url"`
	DataBase64  string `json:"data_base64"`

	data []byte // decoded DataBase64
}

// ParseMessage decodes and validates an inbound message body. Errors are
// *inbox.FieldError naming the JSON field ("from.email",
// "attachments[1].data_base64").
func ParseMessage(body []byte) (Message, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return Message{}, inbox.Invalid("body", "is empty")
	}
	if !utf8.Valid(body) {
		return Message{}, inbox.Invalid("body", "is not valid UTF-8")
	}
	var m Message
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&m); err != nil {
		return Message{}, jsonFieldError(err)
	}
	if dec.More() {
		return Message{}, inbox.Invalid("body", "holds more than one JSON value")
	}
	return m, m.validate()
}

func jsonFieldError(err error) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			field = "body"
		}
		return inbox.Invalid(field, "must be a JSON "+te.Type.Kind().String()+", not "+te.Value)
	case errors.As(err, &se):
		return inbox.Invalid("body", fmt.Sprintf("is not valid JSON (syntax error at byte %d)", se.Offset))
	}
	return inbox.Invalid("body", "is not a JSON object")
}

func (m *Message) validate() error {
	m.ExternalID = strings.TrimSpace(m.ExternalID)
	switch {
	case m.ExternalID == "":
		return inbox.Invalid("external_id", "is required")
	case len(m.ExternalID) > maxExternalID:
		return inbox.Invalid("external_id", fmt.Sprintf("is longer than %d bytes", maxExternalID))
	case strings.TrimSpace(m.Channel) == "":
		return inbox.Invalid("channel", "is required")
	case len(m.Channel) > maxChannel:
		return inbox.Invalid("channel", fmt.Sprintf("is longer than %d bytes", maxChannel))
	case m.From.ID == "" && m.From.Email == "" && m.From.Phone == "":
		return inbox.Invalid("from", "needs an id, an email or a phone")
	case len(m.From.ID) > maxShortField:
		return inbox.Invalid("from.id", fmt.Sprintf("is longer than %d bytes", maxShortField))
	case len(m.From.Name) > maxShortField:
		return inbox.Invalid("from.name", fmt.Sprintf("is longer than %d bytes", maxShortField))
	case len(m.To) > maxShortField:
		return inbox.Invalid("to", fmt.Sprintf("is longer than %d bytes", maxShortField))
	case len(m.Subject) > maxSubject:
		return inbox.Invalid("subject", fmt.Sprintf("is longer than %d bytes", maxSubject))
	case len(m.ThreadKey) > maxExternalID:
		return inbox.Invalid("thread_key", fmt.Sprintf("is longer than %d bytes", maxExternalID))
	case strings.TrimSpace(m.Text) == "" && strings.TrimSpace(m.HTML) == "" && len(m.Attachments) == 0:
		return inbox.Invalid("text", "a message needs text, html or attachments")
	case len(m.Attachments) > maxAttachments:
		return inbox.Invalid("attachments", fmt.Sprintf("has more than %d items", maxAttachments))
	}
	if m.From.Email != "" {
		if len(m.From.Email) > maxShortField {
			return inbox.Invalid("from.email", fmt.Sprintf("is longer than %d bytes", maxShortField))
		}
		if a, err := mail.ParseAddress(m.From.Email); err != nil || a.Address != strings.TrimSpace(m.From.Email) {
			return inbox.Invalid("from.email", "is not an email address")
		}
	}
	if m.From.Phone != "" {
		if d := inbox.NormalizePhone(m.From.Phone); len(d) < 3 || len(d) > 20 {
			return inbox.Invalid("from.phone", "is not a phone number")
		}
	}
	if m.SentAt != "" {
		if _, err := time.Parse(time.RFC3339Nano, m.SentAt); err != nil {
			return inbox.Invalid("sent_at", "is not an RFC 3339 time")
		}
	}
	for i := range m.Attachments {
		if err := m.Attachments[i].validate(fmt.Sprintf("attachments[%d]", i)); err != nil {
			return err
		}
	}
	return nil
}

func (a *MessageAttachment) validate(field string) error {
	switch {
	case strings.TrimSpace(a.Filename) == "":
		return inbox.Invalid(field+".filename", "is required")
	case len(a.Filename) > maxFilename:
		return inbox.Invalid(field+".filename", fmt.Sprintf("is longer than %d bytes", maxFilename))
	case (a.URL == "") == (a.DataBase64 == ""):
		return inbox.Invalid(field, "needs exactly one of url and data_base64")
	}
	if a.DataBase64 != "" {
		data, err := base64.StdEncoding.DecodeString(a.DataBase64)
		if err != nil {
			data, err = base64.RawStdEncoding.DecodeString(a.DataBase64)
		}
		if err != nil {
			return inbox.Invalid(field+".data_base64", "is not base64")
		}
		if len(data) == 0 {
			return inbox.Invalid(field+".data_base64", "is empty")
		}
		a.data = data
	}
	return nil
}

// Inbound converts the message for Engine.Ingest, without attachments
// (the receiver stores them first). sanitize cleans the HTML.
func (m Message) Inbound(integrationID string, sanitize func(string) string) inbox.Inbound {
	in := inbox.Inbound{
		IntegrationID: integrationID,
		Source:        inbox.SourceWebhook,
		Channel:       strings.TrimSpace(m.Channel),
		ProviderID:    m.ExternalID,
		ThreadKey:     strings.TrimSpace(m.ThreadKey),
		From:          inbox.Party{ID: m.From.ID, Name: m.From.Name, Email: m.From.Email, Phone: m.From.Phone},
		Subject:       m.Subject,
		Text:          m.Text,
	}
	if m.HTML != "" && sanitize != nil {
		in.HTML = sanitize(m.HTML)
	}
	if m.To != "" {
		to := inbox.Party{ID: m.To}
		if strings.Contains(m.To, "@") {
			to = inbox.Party{Email: m.To}
		}
		in.To = []inbox.Party{to}
	}
	if t, err := time.Parse(time.RFC3339Nano, m.SentAt); err == nil {
		in.SentAt = t.UTC()
	}
	return in
}

package vonage

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/inboxkit/inboxkit/inbox"
)

// MessagesWebhook is a parsed Messages API webhook: exactly one of Inbound
// and Status is set.
type MessagesWebhook struct {
	Inbound *InboundMessage
	Status  *MessageStatus
}

// InboundMessage is a message a customer sent through the Messages API
// (WhatsApp, or SMS routed through the Messages API).
type InboundMessage struct {
	UUID        string
	Channel     string // whatsapp, sms
	From        string
	To          string
	ProfileName string
	SentAt      time.Time
	Type        string // text, image, file, audio, video, location, reply, ...
	Text        string
	// Media is set for image, file, audio, video and sticker messages.
	Media *Media
	// Location is set for location messages.
	Location *Location
	// Reply is set for interactive button and list replies.
	Reply *Reply
	// ContextUUID is the message this one quotes or answers, if any.
	ContextUUID string
}

// Media is a file attached to an inbound message, to be downloaded from
// Vonage's media server.
type Media struct {
	URL     string
	Caption string
	Name    string // file name, for files
}

// Location is a shared place.
type Location struct {
	Lat, Long     float64
	Name, Address string
}

// Reply is the choice a customer made in an interactive message.
type Reply struct {
	ID, Title, Description string
}

// MessageStatus is a status callback for a message we sent.
type MessageStatus struct {
	UUID      string
	Channel   string
	To        string
	Status    string // submitted, delivered, read, rejected, undeliverable, failed
	At        time.Time
	ClientRef string
	// Error describes a rejection or failure ("1330: The message could not
	// be delivered…").
	Error string
}

// wireMessage is the JSON of a Messages API v1 webhook.
type wireMessage struct {
	Channel     string                 `json:"channel"`
	MessageUUID string                 `json:"message_uuid"`
	To          string                 `json:"to"`
	From        string                 `json:"from"`
	Timestamp   string                 `json:"timestamp"`
	Status      string                 `json:"status"`
	ClientRef   string                 `json:"client_ref"`
	MessageType string                 `json:"message_type"`
	Text        string                 `json:"text"`
	Profile     *struct{ Name string } `json:"profile"`
	Image       *wireMedia             `json:"image"`
	File        *wireMedia             `json:"file"`
	Audio       *wireMedia             `json:"audio"`
	Video       *wireMedia             `json:"video"`
	Sticker     *wireMedia             `json:"sticker"`
	Location    *struct {
		Lat     json.Number `json:"lat"`
		Long    json.Number `json:"long"`
		Name    string      `json:"name"`
		Address string      `json:"address"`
	} `json:"location"`
	Reply *struct {
		ID          string `json:"id"`
		Title       string `json:"title"`
		Description string `json:"description"`
	} `json:"reply"`
	Button *struct {
		Payload string `json:"payload"`
		Text    string `json:"text"`
	} `json:"button"`
	Context *struct {
		MessageUUID string `json:"message_uuid"`
	} `json:"context"`
	Error *struct {
		Type   string          `json:"type"`
		Title  json.RawMessage `json:"title"`
		Detail string          `json:"detail"`
	} `json:"error"`
}

type wireMedia struct {
	URL     string `json:"url"`
	Caption string `json:"caption"`
	Name    string `json:"name"`
}

// ParseMessagesWebhook reads the JSON body of a verified Messages API
// webhook: a status callback when it has a status, an inbound message
// otherwise. Errors are *inbox.FieldError naming the field.
func ParseMessagesWebhook(body []byte) (MessagesWebhook, error) {
	if !utf8.Valid(body) {
		return MessagesWebhook{}, inbox.Invalid("body", "is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var w wireMessage
	if err := dec.Decode(&w); err != nil {
		return MessagesWebhook{}, inbox.Invalid("body", "is not a Messages API JSON object: "+jsonProblem(err))
	}
	if w.MessageUUID == "" {
		return MessagesWebhook{}, inbox.Invalid("message_uuid", "is required")
	}
	if len(w.MessageUUID) > 64 {
		return MessagesWebhook{}, inbox.Invalid("message_uuid", "is longer than 64 characters")
	}
	at, err := parseMessagesTime(w.Timestamp)
	if err != nil {
		return MessagesWebhook{}, err
	}
	if w.Status != "" {
		s := &MessageStatus{UUID: w.MessageUUID, Channel: w.Channel, To: w.To, Status: strings.ToLower(w.Status), At: at, ClientRef: w.ClientRef}
		if w.Error != nil {
			title := strings.Trim(string(w.Error.Title), `"`)
			s.Error = strings.TrimSpace(title + ": " + w.Error.Detail)
		}
		return MessagesWebhook{Status: s}, nil
	}

	m := &InboundMessage{UUID: w.MessageUUID, Channel: w.Channel, From: w.From, To: w.To, SentAt: at, Type: w.MessageType, Text: w.Text}
	if inbox.NormalizePhone(m.From) == "" {
		return MessagesWebhook{}, inbox.Invalid("from", "is required and must be a phone number")
	}
	if w.Profile != nil {
		m.ProfileName = w.Profile.Name
	}
	if w.Context != nil {
		m.ContextUUID = w.Context.MessageUUID
	}
	media := func(field string, wm *wireMedia) error {
		if wm == nil || wm.URL == "" {
			return inbox.Invalid(field+".url", "is required for a "+field+" message")
		}
		m.Media = &Media{URL: wm.URL, Caption: wm.Caption, Name: wm.Name}
		return nil
	}
	switch m.Type {
	case "text":
	case "image":
		err = media("image", w.Image)
	case "file":
		err = media("file", w.File)
	case "audio":
		err = media("audio", w.Audio)
	case "video":
		err = media("video", w.Video)
	case "sticker":
		err = media("sticker", w.Sticker)
	case "location":
		if w.Location == nil {
			return MessagesWebhook{}, inbox.Invalid("location", "is required for a location message")
		}
		lat, err1 := w.Location.Lat.Float64()
		long, err2 := w.Location.Long.Float64()
		if err1 != nil || err2 != nil || lat < -90 || lat > 90 || long < -180 || long > 180 {
			return MessagesWebhook{}, inbox.Invalid("location", "lat and long must be coordinates")
		}
		m.Location = &Location{Lat: lat, Long: long, Name: w.Location.Name, Address: w.Location.Address}
	case "reply":
		if w.Reply == nil {
			return MessagesWebhook{}, inbox.Invalid("reply", "is required for a reply message")
		}
		m.Reply = &Reply{ID: w.Reply.ID, Title: w.Reply.Title, Description: w.Reply.Description}
	case "button":
		if w.Button != nil {
			m.Reply = &Reply{ID: w.Button.Payload, Title: w.Button.Text}
		}
	case "":
		return MessagesWebhook{}, inbox.Invalid("message_type", "is required")
	}
	if err != nil {
		return MessagesWebhook{}, err
	}
	return MessagesWebhook{Inbound: m}, nil
}

func parseMessagesTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, inbox.Invalid("timestamp", "is not an RFC 3339 time")
	}
	return t.UTC(), nil
}

// jsonProblem describes a JSON decoding error without quoting input.
func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return "syntax error at byte " + strconv.FormatInt(se.Offset, 10)
	case errors.As(err, &te):
		return "field " + te.Field + " has the wrong type"
	}
	return "malformed JSON"
}

// Source is the inbox source of the message's channel.
func (m *InboundMessage) Source() (inbox.Source, error) {
	switch m.Channel {
	case "whatsapp":
		return inbox.SourceWhatsApp, nil
	case "sms":
		return inbox.SourceSMS, nil
	}
	return "", inbox.Invalid("channel", fmt.Sprintf("%.20q is not whatsapp or sms", m.Channel))
}

// body is the text the message shows in the inbox.
func (m *InboundMessage) body() string {
	switch {
	case m.Location != nil:
		l := m.Location
		label := strings.TrimSpace(strings.Join(nonEmpty(l.Name, l.Address), ", "))
		coords := strconv.FormatFloat(l.Lat, 'f', -1, 64) + "," + strconv.FormatFloat(l.Long, 'f', -1, 64)
		if label == "" {
			return "Location: " + coords
		}
		return "Location: " + label + " (" + coords + ")"
	case m.Reply != nil:
		return strings.Join(nonEmpty(m.Reply.Title, m.Reply.Description), " — ")
	case m.Media != nil:
		return m.Media.Caption
	case m.Type == "text" || m.Type == "":
		return m.Text
	}
	if m.Text != "" {
		return m.Text
	}
	return "[" + m.Type + " message]"
}

func nonEmpty(ss ...string) []string {
	out := ss[:0:0]
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Inbound converts the message for Engine.Ingest, without its media (the
// receiver downloads it and adds the attachment).
func (m *InboundMessage) Inbound(integrationID string) (inbox.Inbound, error) {
	src, err := m.Source()
	if err != nil {
		return inbox.Inbound{}, err
	}
	return inbox.Inbound{
		IntegrationID: integrationID,
		Source:        src,
		ProviderID:    m.UUID,
		InReplyTo:     m.ContextUUID,
		From:          inbox.Party{Phone: m.From, Name: m.ProfileName},
		To:            []inbox.Party{{Phone: m.To}},
		Text:          m.body(),
		SentAt:        m.SentAt,
	}, nil
}

// deliveryFromMessagesStatus maps a Messages API status to a delivery
// state; ok is false for statuses that change nothing.
func deliveryFromMessagesStatus(status string) (inbox.DeliveryState, bool) {
	switch status {
	case "submitted":
		return inbox.DeliverySent, true
	case "delivered":
		return inbox.DeliveryDelivered, true
	case "read":
		return inbox.DeliveryRead, true
	case "rejected", "undeliverable", "failed":
		return inbox.DeliveryFailed, true
	}
	return "", false
}

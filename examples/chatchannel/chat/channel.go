// Package chat is an example of a host's own channel kind: a website
// chat service connected to inboxkit with the same contract as the
// shipped channels. It pulls visitors' messages with a cursor, watches
// for new ones with a long poll, and sends agents' answers. Register it
// with
//
//	inbox.New(inbox.Options{
//		Channels: map[inbox.Source]inbox.ChannelFactory{chat.Kind: chat.Factory(chat.FactoryOptions{})},
//		Schemas:  map[inbox.Source]inbox.IntegrationSchema{chat.Kind: chat.Schema},
//	})
//
// and create integrations of kind "chat" with the service's URL and
// token. It passes channel/channeltest like the shipped channels.
package chat

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/inboxkit/inboxkit/inbox"
)

// Kind is the channel kind this package registers.
const Kind inbox.Source = "chat"

// Integration settings.
const (
	ConfigURL   = "url"   // the chat service's base URL
	SecretToken = "token" // its API token
)

// Schema declares the settings of chat integrations.
var Schema = inbox.IntegrationSchema{Fields: []inbox.IntegrationField{
	{Name: ConfigURL, Label: "Chat service URL", Required: true, Check: func(v string) error {
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return fmt.Errorf("is not an http(s) URL")
		}
		return nil
	}},
	{Name: SecretToken, Label: "API token", Secret: true, Required: true},
}}

// FactoryOptions configure Factory.
type FactoryOptions struct {
	// Client carries the API requests. Nil: a 30-second timeout client.
	Client *http.Client
}

// Factory opens chat channels from integration settings.
func Factory(opts FactoryOptions) inbox.ChannelFactory {
	return func(ctx context.Context, in inbox.Integration, secret inbox.SecretFunc) (inbox.Channel, error) {
		token, err := secret(SecretToken)
		if err != nil {
			return nil, fmt.Errorf("chat integration %q: %w", in.ID, err)
		}
		return New(in.ID, in.Config[ConfigURL], string(token), opts.Client)
	}
}

// Channel is a chat service account.
type Channel struct {
	integration string
	base        string
	token       string
	client      *http.Client
}

var (
	_ inbox.Puller  = (*Channel)(nil)
	_ inbox.Watcher = (*Channel)(nil)
	_ inbox.Sender  = (*Channel)(nil)
)

// New returns a channel on the service at baseURL.
func New(integrationID, baseURL, token string, client *http.Client) (*Channel, error) {
	if baseURL == "" || token == "" {
		return nil, fmt.Errorf("chat integration %q: %w", integrationID, inbox.Invalid("config", "url and token are required"))
	}
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	return &Channel{integration: integrationID, base: strings.TrimRight(baseURL, "/"), token: token, client: client}, nil
}

// Kind implements inbox.Channel.
func (c *Channel) Kind() inbox.Source { return Kind }

// IntegrationID implements inbox.Channel.
func (c *Channel) IntegrationID() string { return c.integration }

// Pull delivers the visitors' messages after cursor (the last sequence
// number delivered), a page per batch, each with the cursor covering it.
func (c *Channel) Pull(ctx context.Context, cursor string, deliver inbox.DeliverFunc) error {
	after, _ := strconv.ParseInt(cursor, 10, 64)
	for {
		var page struct {
			Messages []json.RawMessage `json:"messages"`
		}
		if err := c.call(ctx, http.MethodGet, "/v1/messages?limit=100&after="+strconv.FormatInt(after, 10), nil, &page); err != nil {
			return err
		}
		if len(page.Messages) == 0 {
			return nil
		}
		batch := inbox.Batch{IntegrationID: c.integration}
		for _, raw := range page.Messages {
			in, seq := c.inbound(raw)
			batch.Messages = append(batch.Messages, in)
			after = max(after, seq)
		}
		next := strconv.FormatInt(after, 10)
		batch.Cursor = &next
		if _, err := deliver(ctx, batch); err != nil {
			return err
		}
	}
}

// inbound converts one wire message; an unreadable one comes back with
// ParseError, to be quarantined, and the pull moves on.
func (c *Channel) inbound(raw json.RawMessage) (inbox.Inbound, int64) {
	var m WireMessage
	err := json.Unmarshal(raw, &m)
	in := inbox.Inbound{Source: Kind, IntegrationID: c.integration, ProviderID: m.ID}
	switch {
	case err != nil:
		in.ParseError = "malformed chat message: " + err.Error()
	case m.ID == "":
		in.ParseError = "chat message without id"
	case m.VisitorID == "":
		in.ParseError = "chat message without visitor id"
	default:
		in.From = inbox.Party{ID: m.VisitorID, Name: m.Name, Email: m.Email}
		in.Text, in.SentAt = m.Text, m.SentAt
	}
	if in.ProviderID == "" {
		in.ProviderID = "seq-" + strconv.FormatInt(m.Seq, 10)
	}
	return in, m.Seq
}

// Watch long-polls the service and signals when messages arrive.
func (c *Channel) Watch(ctx context.Context, notify func()) error {
	var latest int64
	for ctx.Err() == nil {
		var w struct {
			Latest int64 `json:"latest"`
		}
		if err := c.call(ctx, http.MethodGet, "/v1/wait?after="+strconv.FormatInt(latest, 10), nil, &w); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if errors.Is(err, inbox.ErrUnauthorized) {
				return err
			}
			select { // back off, then reconnect
			case <-time.After(time.Second):
			case <-ctx.Done():
			}
			continue
		}
		if w.Latest > latest {
			latest = w.Latest
			notify()
		}
	}
	return nil
}

// Send delivers an agent's answer to the visitor.
func (c *Channel) Send(ctx context.Context, out inbox.Outbound) (string, error) {
	visitor := ""
	for _, h := range out.Contact.Handles {
		if id, ok := strings.CutPrefix(h, c.integration+"/"); ok {
			visitor = id
		}
	}
	if len(out.Message.To) > 0 && out.Message.To[0].ID != "" {
		visitor = out.Message.To[0].ID
	}
	if visitor == "" {
		return "", fmt.Errorf("chat: no visitor to answer: %w", inbox.ErrInvalid)
	}
	body, _ := json.Marshal(Reply{VisitorID: visitor, Text: out.Message.Text, Ref: out.IdempotencyKey})
	var res struct {
		ID string `json:"id"`
	}
	if err := c.call(ctx, http.MethodPost, "/v1/replies", body, &res); err != nil {
		return "", err
	}
	return res.ID, nil
}

// call runs one API request and decodes its JSON answer into out.
func (c *Channel) call(ctx context.Context, method, path string, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("chat: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	res, err := c.client.Do(req)
	if err != nil {
		return fmt.Errorf("chat: %s %s: %w: %w", method, strings.SplitN(path, "?", 2)[0], inbox.ErrTemporary, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(res.Body, 4<<20))
	switch {
	case res.StatusCode == http.StatusUnauthorized || res.StatusCode == http.StatusForbidden:
		return fmt.Errorf("chat: the service refused the token: %w", inbox.ErrUnauthorized)
	case res.StatusCode >= 500 || res.StatusCode == http.StatusTooManyRequests:
		return fmt.Errorf("chat: the service answered %d: %w", res.StatusCode, inbox.ErrTemporary)
	case res.StatusCode >= 300:
		return fmt.Errorf("chat: the service answered %d: %s", res.StatusCode, bytes.TrimSpace(raw))
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("chat: unreadable answer: %w: %w", inbox.ErrTemporary, err)
	}
	return nil
}

package webhook_test

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/inboxkit/inboxkit/channel/channeltest"
	"github.com/inboxkit/inboxkit/channel/webhook"
	"github.com/inboxkit/inboxkit/inbox"
)

// The custom webhook channel sends replies (inbound messages reach the
// Receiver); its receiver refuses requests signed with another secret.
func TestReplyChannelConformance(t *testing.T) {
	sink := &replySink{}
	srv := httptest.NewServer(sink)
	t.Cleanup(srv.Close)
	factory := webhook.Factory(webhook.FactoryOptions{AllowHTTP: true})
	channeltest.Run(t, channeltest.Harness{
		Open: func(t *testing.T, bad bool) inbox.Channel {
			secret := replySecret
			if bad {
				secret = "whsec_hq6pcE47n7vKIX1iBovRBizGcDppO/1roWnrn1kWkP0="
			}
			in := inbox.Integration{ID: "hook-1", Kind: inbox.SourceWebhook, Config: map[string]string{webhook.ConfigURL: srv.URL}}
			ch, err := factory(context.Background(), in, func(string) ([]byte, error) { return []byte(secret), nil })
			if err != nil {
				t.Fatal(err)
			}
			return ch
		},
		Outbound: func(text string) inbox.Outbound {
			return inbox.Outbound{
				Message:        inbox.Message{ID: "m-1", ConversationID: "c-1", Text: text, Author: inbox.AuthorAgent},
				Contact:        inbox.Contact{Name: "Ada"},
				IdempotencyKey: "o-1",
			}
		},
		Delivered: func(t *testing.T) []string {
			sink.mu.Lock()
			defer sink.mu.Unlock()
			var out []string
			for _, p := range sink.got {
				out = append(out, p.Data.Text)
			}
			return out
		},
	})
}

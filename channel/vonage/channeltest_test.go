package vonage_test

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/inboxkit/inboxkit/channel/channeltest"
	"github.com/inboxkit/inboxkit/channel/vonage"
	"github.com/inboxkit/inboxkit/inbox"
)

// The SMS and WhatsApp channels send only (inbound messages reach the
// webhook receivers); the suite checks delivery and refused credentials
// against fakes of the documented APIs.

func TestSMSChannelConformance(t *testing.T) {
	fake := &fakeSMSAPI{}
	fake.reply = func(form map[string]string) (int, string) {
		if form["api_key"] != "a1b2c3d4" || form["api_secret"] != "s3cr3t-api-secret" {
			return 200, `{"message-count":"1","messages":[{"status":"4","error-text":"Bad Credentials"}]}`
		}
		return 200, `{"message-count":"1","messages":[{"to":"` + form["to"] + `","message-id":"0A0000000123ABCD1","status":"0"}]}`
	}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	channeltest.Run(t, channeltest.Harness{
		Open: func(t *testing.T, bad bool) inbox.Channel {
			secret := "s3cr3t-api-secret"
			if bad {
				secret = "wrong"
			}
			ch, err := vonage.NewSMSChannel("int-sms", "447700900000", vonage.NewSDKSMSAPI("a1b2c3d4", secret, vonage.SDKOptions{BaseURL: srv.URL + "/sms"}))
			if err != nil {
				t.Fatal(err)
			}
			return ch
		},
		Outbound: smsOutbound,
		Delivered: func(t *testing.T) []string {
			fake.mu.Lock()
			defer fake.mu.Unlock()
			var out []string
			for _, r := range fake.requests {
				if r["api_secret"] == "s3cr3t-api-secret" {
					out = append(out, r["text"])
				}
			}
			return out
		},
	})
}

func TestWhatsAppChannelConformance(t *testing.T) {
	key := newRSAKey(t)
	fake := &fakeMessagesAPI{t: t, key: &key.PublicKey, appID: "app-1"}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	channeltest.Run(t, channeltest.Harness{
		Open: func(t *testing.T, bad bool) inbox.Channel {
			k := key
			if bad {
				k = newRSAKey(t)
			}
			ch, err := vonage.NewWhatsAppChannel(vonage.WhatsAppChannelOptions{IntegrationID: "int-wa", From: "447700900000", ApplicationID: "app-1", PrivateKey: k, BaseURL: srv.URL})
			if err != nil {
				t.Fatal(err)
			}
			return ch
		},
		Outbound: func(text string) inbox.Outbound {
			out := waOutbound(time.Now().Add(-time.Hour))
			out.Message.Text = text
			return out
		},
		Delivered: func(t *testing.T) []string {
			fake.mu.Lock()
			defer fake.mu.Unlock()
			var out []string
			for _, r := range fake.requests {
				if s, ok := r["text"].(string); ok {
					out = append(out, s)
				}
			}
			return out
		},
	})
}

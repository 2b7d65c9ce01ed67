package chat_test

import (
	"net/http/httptest"
	"testing"

	"github.com/inboxkit/inboxkit/channel/channeltest"
	"github.com/inboxkit/inboxkit/examples/chatchannel/chat"
	"github.com/inboxkit/inboxkit/inbox"
)

// The example channel passes the suite every shipped channel passes.
func TestChannelConformance(t *testing.T) {
	backend := chat.NewBackend("tok-1")
	srv := httptest.NewServer(backend)
	t.Cleanup(srv.Close)
	n := 0
	channeltest.Run(t, channeltest.Harness{
		Open: func(t *testing.T, bad bool) inbox.Channel {
			token := "tok-1"
			if bad {
				token = "stolen"
			}
			ch, err := chat.New("chat-1", srv.URL, token, nil)
			if err != nil {
				t.Fatal(err)
			}
			return ch
		},
		Arrive: func(t *testing.T, k int) {
			for range k {
				n++
				backend.Post("visitor-"+string(rune('a'+n%26)), "Visitor", "Bonjour, une question")
			}
		},
		ArrivePoison: func(t *testing.T) { backend.Post("", "", "no visitor id") },
		Outbound: func(text string) inbox.Outbound {
			return inbox.Outbound{
				Message:        inbox.Message{ID: "m1", Text: text, To: []inbox.Party{{ID: "visitor-a"}}},
				IdempotencyKey: "o1",
			}
		},
		Delivered: func(t *testing.T) []string {
			var out []string
			for _, r := range backend.Replies() {
				out = append(out, r.Text)
			}
			return out
		},
	})
}

package email

import (
	"fmt"
	"sync"
	"testing"

	"github.com/inboxkit/inboxkit/channel/channeltest"
	"github.com/inboxkit/inboxkit/inbox"
)

// TestChannelConformance runs the channel suite against a real Dovecot
// account (pull, IDLE, poison mail) and go-smtp's server (send).
func TestChannelConformance(t *testing.T) {
	mb := startDovecot(t)
	smtpSrv := startSMTP(t)
	u := mb.srv.Users[0]
	var mu sync.Mutex
	seq := 0
	channeltest.Run(t, channeltest.Harness{
		Open: func(t *testing.T, bad bool) inbox.Channel {
			pw, smtpPw := u.Password, smtpPassword
			if bad {
				pw, smtpPw = "wrong-"+pw, "wrong-"+smtpPw
			}
			ch, err := New(Options{
				IntegrationID: "mail1", Tenant: "t1",
				IMAP:      Server{Addr: mb.srv.Addr, Security: SecurityPlain},
				SMTP:      Server{Addr: smtpSrv.addr, Security: SecurityPlain},
				Auth:      Auth{Username: u.Name, Password: Secret(pw)},
				SMTPAuth:  &Auth{Username: smtpUser, Password: Secret(smtpPw)},
				Addresses: []string{"support@maison-lumiere.example"},
			})
			if err != nil {
				t.Fatal(err)
			}
			return ch
		},
		Arrive: func(t *testing.T, n int) {
			for range n {
				mu.Lock()
				seq++
				i := seq
				mu.Unlock()
				mb.appendFile(t, "INBOX", fmt.Sprint("mail-", i), testMail(i))
			}
		},
		ArrivePoison: func(t *testing.T) {
			mb.appendFile(t, "INBOX", "garbage", []byte("\x00\x01\x02 this is not a mail header\r\n\r\nbody\r\n"))
		},
		Outbound: func(text string) inbox.Outbound {
			out := sampleOutbound(nil)
			out.Message.Text, out.Message.HTML = text, ""
			return out
		},
		Delivered: func(t *testing.T) []string {
			var out []string
			for _, m := range smtpSrv.received() {
				out = append(out, string(m.data))
			}
			return out
		},
	})
}

package vonage_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/inboxkit/inboxkit/channel/vonage"
	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
	"github.com/inboxkit/inboxkit/internal/loadgen"
	"github.com/inboxkit/inboxkit/storage/memstore"
	"github.com/inboxkit/inboxkit/storage/sqlite"
)

func BenchmarkVerifySMS(b *testing.B) {
	secret := []byte("qnc4gagRqktr9Gag8BdKqEgiteo5Mm218C9YQd8RBI1l8XnVHC")
	now := time.Unix(1735732800, 0)
	p := vonage.SMSParams{"msisdn": "447700900123", "to": "447700900000", "messageId": "0D89D649725C3EFF",
		"text": "Hello, is my order 1234 on its way?", "type": "text", "keyword": "HELLO", "api-key": "a1b2c3d4",
		"message-timestamp": "2025-01-01 11:59:56", "timestamp": "1735732797", "nonce": "1021d1f8-8604-4b07-b636-f27ca1da4491"}
	for _, m := range []vonage.SignatureMethod{vonage.MD5Hash, vonage.HMACSHA256, vonage.HMACSHA512} {
		sig, _ := vonage.SignSMS(p, secret, m)
		p["sig"] = sig
		b.Run(string(m), func(b *testing.B) {
			for b.Loop() {
				if err := vonage.VerifySMS(p, secret, m, now, 0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSMSIntake measures durable intake of signed inbound SMS over
// loopback HTTP (verify, replay check, dedupe, persist) with 32 requests
// in flight. Run with -benchtime=5000x for a bounded run.
func BenchmarkSMSIntake(b *testing.B) {
	stores := []struct {
		name string
		open func(b *testing.B) driver.Store
	}{
		{"memstore", func(*testing.B) driver.Store { return memstore.New() }},
		{"sqlite", func(b *testing.B) driver.Store {
			s, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "inbox.db"), sqlite.Options{})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = s.Close() })
			return s
		}},
	}
	for _, st := range stores {
		b.Run(st.name, func(b *testing.B) {
			store := st.open(b)
			ctx := context.Background()
			if err := store.CreateTenant(ctx, &inbox.Tenant{ID: "acme"}); err != nil {
				b.Fatal(err)
			}
			eng, err := inbox.New(inbox.Options{Store: store})
			if err != nil {
				b.Fatal(err)
			}
			defer eng.Close()
			secret := []byte("sms-signature-secret")
			receiver, err := vonage.NewSMSReceiver(eng, vonage.SMSOptions{Resolve: vonage.StaticResolver(vonage.Target{
				Tenant: "acme", Integration: inbox.Integration{ID: "sms-1", Config: map[string]string{vonage.ConfigSignatureMethod: "sha256"}}, Secret: secret,
			})})
			if err != nil {
				b.Fatal(err)
			}
			srv := httptest.NewServer(receiver)
			defer srv.Close()
			run := strconv.FormatInt(time.Now().UnixNano(), 36)
			b.ResetTimer()
			res, err := loadgen.Run(ctx, loadgen.Options{Requests: b.N, Workers: 32, NewRequest: func(i int) (*http.Request, error) {
				p := vonage.SMSParams{"msisdn": fmt.Sprintf("4477009%05d", i%500), "to": "447700900000",
					"messageId": fmt.Sprintf("%s-%d", run, i), "text": fmt.Sprintf("Where is order %d?", i), "type": "text",
					"message-timestamp": time.Now().UTC().Format("2006-01-02 15:04:05"),
					"timestamp":         strconv.FormatInt(time.Now().Unix(), 10), "nonce": fmt.Sprintf("%s-n-%d", run, i)}
				sig, err := vonage.SignSMS(p, secret, vonage.HMACSHA256)
				if err != nil {
					return nil, err
				}
				form := url.Values{"sig": {sig}}
				for k, v := range p {
					form.Set(k, v)
				}
				return http.NewRequest(http.MethodGet, srv.URL+"/?"+form.Encode(), nil)
			}})
			b.StopTimer()
			if err != nil {
				b.Fatal(err)
			}
			if res.OK() != b.N {
				b.Fatalf("only %d of %d requests stored: %s", res.OK(), b.N, res)
			}
			b.ReportMetric(res.Throughput, "req/s")
			b.ReportMetric(float64(res.P99.Microseconds())/1000, "p99-ms")
			b.Logf("%s", res)
		})
	}
}

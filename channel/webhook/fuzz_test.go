package webhook

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/inboxkit/inboxkit/internal/httpintake/intaketest"
)

// seedVectors passes add the shared Standard Webhooks vectors, to seed a
// fuzz corpus.
func seedVectors(f *testing.F, add func(v vector)) {
	intaketest.SeedVectors(f, "standard-webhooks", add)
}

func FuzzParseMessage(f *testing.F) {
	seedVectors(f, func(v vector) { f.Add(v.Body()) })
	f.Add([]byte(`{"external_id":"x","channel":"c","from":{"id":"u"},"attachments":[{"filename":"a","data_base64":"aGk="}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		m, err := ParseMessage(body)
		if err != nil {
			return
		}
		in := m.Inbound("int", func(s string) string { return s })
		if in.ProviderID == "" || in.From.IsZero() {
			t.Fatalf("accepted message without id or sender: %+v", in)
		}
	})
}

func FuzzVerifyStandard(f *testing.F) {
	seedVectors(f, func(v vector) {
		h := v.Request.Headers
		f.Add(h["webhook-id"], h["webhook-timestamp"], h["webhook-signature"], v.Body(), v.Now)
	})
	secret, err := ParseSecret("whsec_hq6pcE47n7vKIX1iBovRBizGcDppO/1roWnrn1kWkP0=")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, id, ts, sig string, body []byte, now int64) {
		h := http.Header{}
		h.Set(HeaderID, id)
		h.Set(HeaderTimestamp, ts)
		h.Set(HeaderSignature, sig)
		v, err := VerifyStandard(h, body, []Secret{secret}, time.Unix(now, 0), 0)
		if err == nil && v.ID != id {
			t.Fatalf("verified id %q, header %q", v.ID, id)
		}
		if err != nil && CodeOf(err) == "" {
			t.Fatalf("error without a code: %v", err)
		}
	})
}

func FuzzParseSecret(f *testing.F) {
	for _, s := range []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_", "whsec_!!", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sec, err := ParseSecret(s)
		if err != nil {
			if CodeOf(err) != CodeInvalidSecret {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		again, err := ParseSecret(sec.Encode())
		if err != nil || !bytes.Equal(again.key, sec.key) {
			t.Fatalf("encode does not round-trip")
		}
		if value := sec.Encode()[len("whsec_"):]; len(value) > 12 && strings.Contains(fmt.Sprint(sec), value) {
			t.Fatal("a secret prints its value")
		}
	})
}

package vonage

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/inboxkit/inboxkit/internal/httpintake/intaketest"
)

func seedVectors(f *testing.F, kind string, add func(v vector)) {
	intaketest.SeedVectors(f, kind, add)
}

func contentType(v vector) string {
	if v.Request.ContentType == nil {
		return ""
	}
	return *v.Request.ContentType
}

func FuzzParseSMS(f *testing.F) {
	seedVectors(f, "vonage-sms", func(v vector) { f.Add(v.Request.Query, contentType(v), v.Body()) })
	f.Fuzz(func(t *testing.T, query, ct string, body []byte) {
		p, err := ReadSMSParams(query, ct, body)
		if err != nil {
			return
		}
		_ = p.SignedString()
		hook, err := ParseSMS(p)
		if err != nil {
			return
		}
		if (hook.Message == nil) == (hook.Receipt == nil) {
			t.Fatal("exactly one of Message and Receipt must be set")
		}
		if m := hook.Message; m != nil {
			in := m.Inbound("int")
			if in.ProviderID == "" || !utf8.ValidString(in.Text) {
				t.Fatalf("bad inbound: %+v", in)
			}
			if m.Concat != nil {
				_ = AssembleSMS([]SMSPart{smsPart("t", "int", m)})
			}
		}
	})
}

func FuzzVerifySMS(f *testing.F) {
	seedVectors(f, "vonage-sms", func(v vector) { f.Add(v.Request.Query, v.Method, v.Now) })
	f.Fuzz(func(t *testing.T, query, method string, now int64) {
		p, err := ReadSMSParams(query, "", nil)
		if err != nil {
			return
		}
		m := SignatureMethod(method)
		err = VerifySMS(p, []byte("qnc4gagRqktr9Gag8BdKqEgiteo5Mm218C9YQd8RBI1l8XnVHC"), m, time.Unix(now, 0), 0)
		if err != nil && CodeOf(err) == "" {
			t.Fatalf("error without a code: %v", err)
		}
		if err == nil {
			sig, serr := SignSMS(p, []byte("qnc4gagRqktr9Gag8BdKqEgiteo5Mm218C9YQd8RBI1l8XnVHC"), m)
			if serr != nil || !strings.EqualFold(sig, p["sig"]) {
				t.Fatalf("accepted a signature SignSMS does not produce")
			}
		}
	})
}

func FuzzVerifyJWT(f *testing.F) {
	seedVectors(f, "vonage-messages-jwt", func(v vector) { f.Add(v.Request.Headers["Authorization"], v.Body(), v.Now) })
	f.Fuzz(func(t *testing.T, auth string, body []byte, now int64) {
		c, err := VerifyJWT(auth, body, []byte("eT8I108NqrFbK5dvh5kD1LFBgJg0PkLA5wJA0eEdlwQElYBW"), time.Unix(now, 0), 0)
		if err != nil && CodeOf(err) == "" {
			t.Fatalf("error without a code: %v", err)
		}
		if err == nil && c.PayloadHash == "" {
			t.Fatal("accepted a token without payload_hash")
		}
	})
}

func FuzzParseMessagesWebhook(f *testing.F) {
	seedVectors(f, "vonage-messages-jwt", func(v vector) { f.Add(v.Body()) })
	f.Fuzz(func(t *testing.T, body []byte) {
		hook, err := ParseMessagesWebhook(body)
		if err != nil {
			return
		}
		if (hook.Inbound == nil) == (hook.Status == nil) {
			t.Fatal("exactly one of Inbound and Status must be set")
		}
		if m := hook.Inbound; m != nil {
			if in, err := m.Inbound("int"); err == nil && (in.ProviderID == "" || in.From.Phone == "") {
				t.Fatalf("bad inbound: %+v", in)
			}
		}
	})
}

package app

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// FuzzPeekTo feeds arbitrary webhook bodies to the recipient lookup: it
// must never panic and must hand the receiver the very bytes it read, so
// the signature is verified over what Vonage sent.
func FuzzPeekTo(f *testing.F) {
	f.Add("application/json", []byte(`{"to":"33757000000","from":"33612345678","text":"Bonjour"}`))
	f.Add("application/json", []byte(`{"to":{"type":"whatsapp","number":"33757000000"},"message":{"content":{"type":"text","text":"hi"}}}`))
	f.Add("application/x-www-form-urlencoded", []byte("msisdn=33612345678&to=33757000000&text=Bonjour&sig=abc"))
	f.Add("application/json", []byte(`{"to":12}`))
	f.Add("", []byte("%zz&to="))
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		r := httptest.NewRequest(http.MethodPost, "/inbox/webhooks/sms", bytes.NewReader(body))
		r.Header.Set("Content-Type", contentType)
		if _, err := peekTo(r); err != nil {
			return
		}
		again, err := io.ReadAll(r.Body)
		if err != nil {
			t.Fatal(err)
		}
		if len(body) <= maxPeekBytes && !bytes.Equal(again, body) {
			t.Fatalf("the receiver would see %q instead of %q", again, body)
		}
	})
}

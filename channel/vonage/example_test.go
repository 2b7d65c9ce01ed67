package vonage_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"time"

	"github.com/inboxkit/inboxkit/channel/vonage"
	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/storage/memstore"
)

// The signature Vonage's own SDKs publish for a=1, b=2 and the secret
// "secret".
func ExampleVerifySMS() {
	params := vonage.SMSParams{"a": "1", "b": "2", "timestamp": "1461605396", "sig": "6af838ef94998832dbfc29020b564830"}
	err := vonage.VerifySMS(params, []byte("secret"), vonage.MD5Hash, time.Unix(1461605396, 0), 0)
	fmt.Println("valid:", err == nil)

	err = vonage.VerifySMS(params, []byte("secret"), vonage.MD5Hash, time.Unix(1461605396+600, 0), 0)
	fmt.Println(vonage.CodeOf(err))
	// Output:
	// valid: true
	// timestamp_too_old
}

// A host mounts the SMS receiver on its mux; Vonage then posts inbound SMS
// to it.
func ExampleNewSMSReceiver() {
	ctx := context.Background()
	store := memstore.New()
	_ = store.CreateTenant(ctx, &inbox.Tenant{ID: "acme"})
	eng, _ := inbox.New(inbox.Options{Store: store})
	defer eng.Close()

	secret := []byte("signature-secret-from-the-dashboard")
	receiver, err := vonage.NewSMSReceiver(eng, vonage.SMSOptions{
		// A real host looks the integration up from the path and opens
		// its sealed signature secret.
		Resolve: vonage.StaticResolver(vonage.Target{
			Tenant:      "acme",
			Integration: inbox.Integration{ID: "sms-1", Config: map[string]string{vonage.ConfigSignatureMethod: "sha256"}},
			Secret:      secret,
		}),
	})
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/inbox/webhooks/sms", receiver)

	// What Vonage sends for an inbound SMS.
	params := vonage.SMSParams{
		"msisdn": "447700900123", "to": "447700900000", "messageId": "0D89D649725C3EFF",
		"text": "Is my order on its way?", "type": "text",
		"timestamp": fmt.Sprint(time.Now().Unix()), "nonce": "9c1b1c52",
	}
	sig, _ := vonage.SignSMS(params, secret, vonage.HMACSHA256)
	q := url.Values{"sig": {sig}}
	for k, v := range params {
		q.Set(k, v)
	}
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/inbox/webhooks/sms?"+q.Encode(), nil))
	fmt.Println(rec.Code)

	// The same request with the text changed on the way.
	q.Set("text", "Refund me now")
	rec = httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/inbox/webhooks/sms?"+q.Encode(), nil))
	fmt.Println(rec.Code)
	// Output:
	// 200
	// 401
}

func ExampleMaskPhone() {
	fmt.Println(vonage.MaskPhone("+44 7700 900123"))
	// Output: 4477******23
}

package webhook_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/inboxkit/inboxkit/channel/webhook"
	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/storage/memstore"
)

// The value the Standard Webhooks reference libraries publish.
func ExampleVerifyStandard() {
	secret, _ := webhook.ParseSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	h := http.Header{}
	h.Set("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek")
	h.Set("webhook-timestamp", "1614265330")
	h.Set("webhook-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
	body := []byte(`{"test": 2432232314}`)

	v, err := webhook.VerifyStandard(h, body, []webhook.Secret{secret}, time.Unix(1614265330, 0), 0)
	fmt.Println(v.ID, err)

	_, err = webhook.VerifyStandard(h, []byte(`{"test": 1}`), []webhook.Secret{secret}, time.Unix(1614265330, 0), 0)
	fmt.Println(webhook.CodeOf(err))
	// Output:
	// msg_p5jXN8AQM9LWM0D4loKWxJek <nil>
	// bad_signature
}

// A host mounts the receiver for its custom integrations; any service
// holding the integration's secret can post messages.
func ExampleNewReceiver() {
	ctx := context.Background()
	store := memstore.New()
	_ = store.CreateTenant(ctx, &inbox.Tenant{ID: "acme"})
	eng, _ := inbox.New(inbox.Options{Store: store})
	defer eng.Close()

	secret, _ := webhook.NewSecret() // shown once to the administrator: secret.Encode()
	receiver, err := webhook.NewReceiver(eng, webhook.Options{
		Resolve: func(ctx context.Context, r *http.Request) (webhook.Target, error) {
			if r.PathValue("id") != "form-1" {
				return webhook.Target{}, inbox.ErrNotFound
			}
			return webhook.Target{Tenant: "acme", Integration: inbox.Integration{ID: "form-1"}, Secrets: []string{secret.Encode()}}, nil
		},
	})
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.Handle("POST /inbox/webhooks/custom/{id}", receiver)

	body := `{"external_id":"lead-42","channel":"form","from":{"name":"Seán","email":"sean@example.ie"},"subject":"Callback request","text":"Please call me back."}`
	post := func(path string) int {
		r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		webhook.SignHeaders(r.Header, "msg_1", time.Now(), []byte(body), secret)
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, r)
		return rec.Code
	}
	fmt.Println(post("/inbox/webhooks/custom/form-1"))
	fmt.Println(post("/inbox/webhooks/custom/form-1")) // a retry: acknowledged, stored once
	fmt.Println(post("/inbox/webhooks/custom/other"))
	// Output:
	// 200
	// 200
	// 404
}

package vonage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/inboxkit/inboxkit/inbox"
)

// receiveOnly is the channel of an SMS or WhatsApp integration saved
// without the credentials to send: its messages arrive through the
// webhook, and it cannot answer.
type receiveOnly struct {
	kind inbox.Source
	id   string
}

func (c receiveOnly) Kind() inbox.Source    { return c.kind }
func (c receiveOnly) IntegrationID() string { return c.id }

// accountURL is the Vonage account API's balance endpoint next to the SMS
// API prefix base ("https://rest.nexmo.com/sms" →
// "https://rest.nexmo.com/account/get-balance").
func accountURL(base string) string {
	if base == "" {
		base = DefaultSMSBaseURL
	}
	base = strings.TrimSuffix(strings.TrimRight(base, "/"), "/sms")
	return base + "/account/get-balance"
}

// checkCredentials asks the Vonage account API for the balance, which
// needs a valid API key and secret and changes nothing.
func checkCredentials(ctx context.Context, client *http.Client, endpoint, apiKey, apiSecret string) error {
	q := url.Values{"api_key": {apiKey}, "api_secret": {apiSecret}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint+"?"+q.Encode(), nil)
	if err != nil {
		return fmt.Errorf("vonage: account check: %w", inbox.Invalid("base_url", "is not a URL"))
	}
	req.Header.Set("Accept", "application/json")
	res, err := client.Do(req)
	if err != nil {
		// The URL carries the secret: report the host only.
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, context.DeadlineExceeded) {
			return inbox.Plainly(fmt.Errorf("vonage: account check at %s: %w: %w", req.URL.Host, inbox.ErrTemporary, context.DeadlineExceeded),
				"Vonage did not answer in time; try again in a moment.")
		}
		return inbox.Plainly(fmt.Errorf("vonage: account check at %s: %w: connection failed", req.URL.Host, inbox.ErrTemporary),
			"Vonage could not be reached from the server; check its network access and try again.")
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	switch {
	case res.StatusCode == http.StatusUnauthorized || res.StatusCode == http.StatusForbidden:
		return inbox.Plainly(fmt.Errorf("vonage: account check: HTTP %d: %w", res.StatusCode, inbox.ErrUnauthorized),
			"Vonage refused the API key and secret: copy them again from the Vonage dashboard.")
	case res.StatusCode >= 500 || res.StatusCode == http.StatusTooManyRequests:
		return inbox.Plainly(fmt.Errorf("vonage: account check: HTTP %d: %w", res.StatusCode, inbox.ErrTemporary),
			"Vonage is not available at the moment; try again in a few minutes.")
	case res.StatusCode != http.StatusOK:
		return inbox.Plainly(fmt.Errorf("vonage: account check: HTTP %d: %w", res.StatusCode, inbox.ErrInvalid),
			"Vonage did not accept the check of these credentials.")
	}
	var balance struct {
		Value *float64 `json:"value"`
	}
	if err := json.Unmarshal(body, &balance); err != nil || balance.Value == nil {
		return inbox.Plainly(fmt.Errorf("vonage: account check: the answer has no balance: %w", inbox.ErrInvalid),
			"The Vonage address configured on the server did not answer like Vonage.")
	}
	return nil
}

// defaultClient carries account checks when the factory has no client.
var defaultClient = &http.Client{Timeout: 20 * time.Second}

package vonage

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	sdk "github.com/vonage/vonage-go-sdk"

	"github.com/inboxkit/inboxkit/inbox"
)

// DefaultSMSBaseURL is the SMS API endpoint prefix.
const DefaultSMSBaseURL = "https://rest.nexmo.com/sms"

// SMSRequest is one SMS to send.
type SMSRequest struct {
	From, To, Text string
	// Unicode sends the text as UCS-2 (type=unicode); needed for
	// characters outside the GSM 03.38 alphabet.
	Unicode bool
	// ClientRef travels with the message and its delivery receipts.
	ClientRef string
}

// SMSAPI sends SMS through the Vonage SMS API. The production
// implementation (NewSDKSMSAPI) confines vonage-go-sdk behind it; tests and
// hosts may supply their own.
type SMSAPI interface {
	// SendSMS sends req and returns the ids of the parts Vonage created.
	// Errors wrap inbox.ErrTemporary when a retry may succeed,
	// inbox.ErrUnauthorized for rejected credentials, and inbox.ErrInvalid
	// otherwise.
	SendSMS(ctx context.Context, req SMSRequest) ([]string, error)
}

// SDKOptions configure NewSDKSMSAPI.
type SDKOptions struct {
	// BaseURL is the SMS API prefix. "": DefaultSMSBaseURL.
	BaseURL string
	// Client carries the requests. Nil: a client with a 30-second timeout.
	Client *http.Client
}

// sdkSMSAPI is SMSAPI over vonage-go-sdk v0.14.
type sdkSMSAPI struct {
	apiKey, apiSecret string
	opts              SDKOptions
}

// NewSDKSMSAPI returns an SMSAPI that sends through vonage-go-sdk with the
// account's API key and secret.
func NewSDKSMSAPI(apiKey, apiSecret string, opts SDKOptions) SMSAPI {
	if opts.BaseURL == "" {
		opts.BaseURL = DefaultSMSBaseURL
	}
	if opts.Client == nil {
		opts.Client = &http.Client{Timeout: 30 * time.Second}
	}
	return &sdkSMSAPI{apiKey: apiKey, apiSecret: apiSecret, opts: opts}
}

// ctxTransport gives the SDK's requests (made with context.Background) the
// caller's context, so cancellation and deadlines reach the network.
type ctxTransport struct {
	ctx  context.Context
	base http.RoundTripper
}

func (t ctxTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return t.base.RoundTrip(r.WithContext(t.ctx))
}

// SendSMS implements SMSAPI.
func (a *sdkSMSAPI) SendSMS(ctx context.Context, req SMSRequest) (ids []string, err error) {
	// The SDK indexes its reply without checking it (an empty messages
	// array panics): turn any panic into a retryable error.
	defer func() {
		if r := recover(); r != nil {
			ids, err = nil, fmt.Errorf("sms api: unexpected reply (sdk panic: %v): %w", r, inbox.ErrTemporary)
		}
	}()
	base := a.opts.Client.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	client := sdk.NewSMSClient(sdk.CreateAuthFromKeySecret(a.apiKey, a.apiSecret))
	client.Config.BasePath = a.opts.BaseURL
	client.Config.HTTPClient = &http.Client{Transport: ctxTransport{ctx: ctx, base: base}, Timeout: a.opts.Client.Timeout}
	opts := sdk.SMSOpts{ClientRef: req.ClientRef, Type: "text"}
	if req.Unicode {
		opts.Type = "unicode"
	}
	res, errResp, err := client.Send(req.From, req.To, req.Text, opts)
	if err != nil {
		return nil, classifySDKError(ctx, err)
	}
	for i, m := range res.Messages {
		if m.Status == "0" {
			ids = append(ids, m.MessageId)
			continue
		}
		text := ""
		if i < len(errResp.Messages) {
			text = errResp.Messages[i].ErrorText
		}
		return nil, smsStatusError(m.Status, text)
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("sms api: reply without messages: %w", inbox.ErrTemporary)
	}
	return ids, nil
}

// classifySDKError maps a transport or HTTP error of the SDK.
func classifySDKError(ctx context.Context, err error) error {
	var ue *url.Error
	var ne net.Error
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("sms api: %w: %w", inbox.ErrTemporary, ctx.Err())
	case errors.As(err, &ue), errors.As(err, &ne):
		return fmt.Errorf("sms api: network: %w: %v", inbox.ErrTemporary, redactURL(err))
	}
	// HTTP errors read "<code> <status text>".
	msg := err.Error()
	code, _ := strconv.Atoi(strings.SplitN(msg, " ", 2)[0])
	switch {
	case code == http.StatusTooManyRequests || code >= 500:
		return fmt.Errorf("sms api: HTTP %s: %w", msg, inbox.ErrTemporary)
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		return fmt.Errorf("sms api: HTTP %s: %w", msg, inbox.ErrUnauthorized)
	case code >= 400:
		return fmt.Errorf("sms api: HTTP %s: %w", msg, inbox.ErrInvalid)
	}
	return fmt.Errorf("sms api: %w: %s", inbox.ErrInvalid, msg)
}

// redactURL keeps the host of a url.Error and drops its query, where
// credentials may travel.
func redactURL(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		host := ue.URL
		if u, perr := url.Parse(ue.URL); perr == nil {
			host = u.Host
		}
		return ue.Op + " " + host + ": " + ue.Err.Error()
	}
	return err.Error()
}

// smsStatusError maps an SMS API status code
// (https://developer.vonage.com/api-errors/sms) to an error.
func smsStatusError(status, text string) error {
	detail := "status " + status
	if text != "" {
		detail += " (" + text + ")"
	}
	switch status {
	case "1", "5", "10": // throttled, internal error, too many binds
		return fmt.Errorf("sms api: %s: %w", detail, inbox.ErrTemporary)
	case "4", "8", "14": // invalid credentials, account barred, invalid signature
		return fmt.Errorf("sms api: %s: %w", detail, inbox.ErrUnauthorized)
	}
	return fmt.Errorf("sms api: %s: %w", detail, inbox.ErrInvalid)
}

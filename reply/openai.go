package reply

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/logmask"
)

// Secret is an API key. It prints and logs as "[redacted]", so it cannot
// leak through a log line or an error message.
type Secret string

// String redacts the secret.
func (Secret) String() string { return "[redacted]" }

// LogValue redacts the secret in slog output.
func (Secret) LogValue() slog.Value { return slog.StringValue("[redacted]") }

// ClientOptions say how to reach an OpenAI-compatible API. Either Client,
// or BaseURL and/or APIKey.
type ClientOptions struct {
	// Client is a configured go-openai client; when set, the other fields
	// are ignored.
	Client *openai.Client
	// BaseURL is the API root, e.g. "https://api.openai.com/v1" or a
	// compatible server's. Empty: OpenAI's.
	BaseURL string
	// APIKey authenticates to the API. It may be empty for a local server
	// reached through BaseURL.
	APIKey Secret
	// HTTPClient carries the requests. Nil: http.DefaultClient.
	HTTPClient *http.Client
	// Metrics receives ai_request_seconds{use} ("reply", "summary"), the
	// time of each model call with its retries, and
	// ai_errors_total{use,reason} for the calls that failed
	// (inbox.ErrorReason). Nil: not reported.
	Metrics inbox.Metrics
}

// metrics is o.Metrics or a no-op.
func (o ClientOptions) metrics() inbox.Metrics {
	if o.Metrics == nil {
		return inbox.NopMetrics{}
	}
	return o.Metrics
}

func (o ClientOptions) client(field string) (*openai.Client, error) {
	if o.Client != nil {
		return o.Client, nil
	}
	if o.BaseURL == "" && o.APIKey == "" {
		return nil, inbox.Invalid(field, "set Client, or BaseURL and/or APIKey")
	}
	cfg := openai.DefaultConfig(string(o.APIKey))
	if o.BaseURL != "" {
		cfg.BaseURL = strings.TrimRight(o.BaseURL, "/")
	}
	if o.HTTPClient != nil {
		cfg.HTTPClient = o.HTTPClient
	}
	return openai.NewClientWithConfig(cfg), nil
}

// RetryOptions bound retries of rate-limited (429) and failing (5xx,
// network) API calls. Other errors are not retried.
type RetryOptions struct {
	// MaxAttempts counts the first try. 0 means 3; 1 disables retries.
	MaxAttempts int
	// Backoff is the first delay, doubled after each attempt with ±20 %
	// jitter. 0 means one second.
	Backoff time.Duration
	// MaxBackoff caps one delay. 0 means 20 seconds.
	MaxBackoff time.Duration
}

func (r RetryOptions) normalized() RetryOptions {
	if r.MaxAttempts <= 0 {
		r.MaxAttempts = 3
	}
	if r.Backoff <= 0 {
		r.Backoff = time.Second
	}
	if r.MaxBackoff <= 0 {
		r.MaxBackoff = 20 * time.Second
	}
	return r
}

// do runs call until it succeeds, fails for good, attempts run out or ctx
// ends. The returned error never contains the API's raw message unmasked.
func (r RetryOptions) do(ctx context.Context, masker *logmask.Masker, call func(ctx context.Context) error) error {
	r = r.normalized()
	delay := r.Backoff
	for attempt := 1; ; attempt++ {
		err := call(ctx)
		if err == nil {
			return nil
		}
		apiErr := classifyAPIError(ctx, err, masker)
		if !apiErr.retryable || attempt >= r.MaxAttempts {
			apiErr.attempts = attempt
			return apiErr
		}
		wait := time.Duration(float64(delay) * (0.8 + 0.4*rand.Float64()))
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			apiErr.attempts = attempt
			return apiErr
		case <-t.C:
		}
		delay = min(delay*2, r.MaxBackoff)
	}
}

// APIError is a failed call to the model's API, with the provider's
// message masked (no keys, no personal data).
type APIError struct {
	// StatusCode is the HTTP status, 0 for network errors and timeouts.
	StatusCode int
	// Message describes the failure.
	Message  string
	attempts int
	// retryable is set for 429, 5xx and network errors.
	retryable bool
	cause     error // a context error, kept for errors.Is
}

// Error describes the failure and how many attempts were made.
func (e *APIError) Error() string {
	var b strings.Builder
	if e.StatusCode != 0 {
		fmt.Fprintf(&b, "status %d: ", e.StatusCode)
	}
	b.WriteString(e.Message)
	if e.attempts > 1 {
		fmt.Fprintf(&b, " (after %d attempts)", e.attempts)
	}
	return b.String()
}

// Unwrap makes errors.Is(err, inbox.ErrTemporary) true for rate limits,
// server and network errors, and exposes context errors.
func (e *APIError) Unwrap() []error {
	var out []error
	if e.retryable {
		out = append(out, inbox.ErrTemporary)
	}
	if e.cause != nil {
		out = append(out, e.cause)
	}
	return out
}

func classifyAPIError(ctx context.Context, err error, masker *logmask.Masker) *APIError {
	var (
		apiErr *openai.APIError
		reqErr *openai.RequestError
	)
	switch {
	case ctx.Err() != nil:
		msg := "cancelled"
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			msg = "timed out"
		}
		return &APIError{Message: msg, cause: ctx.Err()}
	case errors.As(err, &apiErr):
		return &APIError{StatusCode: apiErr.HTTPStatusCode, Message: masker.String(apiErr.Message),
			retryable: apiErr.HTTPStatusCode == http.StatusTooManyRequests || apiErr.HTTPStatusCode >= 500}
	case errors.As(err, &reqErr):
		msg := http.StatusText(reqErr.HTTPStatusCode)
		if reqErr.Err != nil {
			msg = masker.String(reqErr.Err.Error())
		}
		return &APIError{StatusCode: reqErr.HTTPStatusCode, Message: msg,
			retryable: reqErr.HTTPStatusCode == http.StatusTooManyRequests || reqErr.HTTPStatusCode >= 500}
	}
	// Transport errors (connection refused, reset, EOF) are worth another
	// try; the message may contain the URL but never the key.
	return &APIError{Message: masker.String(err.Error()), retryable: true}
}

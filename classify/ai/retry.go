package ai

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

// retryingDoer sends a request with a timeout per attempt and retries
// rate limits (429), server errors (5xx) and attempts that timed out or
// failed on the network, with exponential backoff and full jitter; a
// Retry-After header (seconds or an HTTP date) sets the wait instead.
// go-openai has no retries of its own, so they live at this layer.
type retryingDoer struct {
	next       openai.HTTPDoer
	timeout    time.Duration // per attempt
	maxRetries int
	minBackoff time.Duration
	maxBackoff time.Duration
	now        func() time.Time
	sleep      func(ctx context.Context, d time.Duration) error
}

// maxRetryAfter caps a server's Retry-After, so a misbehaving proxy
// cannot park a classification for an hour.
const maxRetryAfter = time.Minute

func (r *retryingDoer) Do(req *http.Request) (*http.Response, error) {
	for attempt := 0; ; attempt++ {
		try := req
		if attempt > 0 {
			if req.Body != nil && req.GetBody == nil {
				return nil, fmt.Errorf("retry %s: request body cannot be replayed", req.URL.Path)
			}
			try = req.Clone(req.Context())
			if req.GetBody != nil {
				body, err := req.GetBody()
				if err != nil {
					return nil, err
				}
				try.Body = body
			}
		}
		ctx, cancel := context.WithTimeout(req.Context(), r.timeout)
		resp, err := r.next.Do(try.WithContext(ctx))
		if err == nil && notAPI(resp) {
			ct := resp.Header.Get("Content-Type")
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
			cancel()
			return nil, &notAPIError{status: resp.StatusCode, contentType: ct}
		}
		retry, wait := r.classify(req.Context(), resp, err, attempt)
		if !retry || attempt >= r.maxRetries {
			if resp != nil {
				resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
			} else {
				cancel()
			}
			return resp, err
		}
		if resp != nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
		}
		cancel()
		if d, ok := req.Context().Deadline(); ok && r.now().Add(wait).After(d) {
			// The retry would start after the caller gave up: say so now.
			return nil, fmt.Errorf("next attempt in %s is past the deadline: %w", wait.Round(time.Millisecond), context.DeadlineExceeded)
		}
		if err := r.sleep(req.Context(), wait); err != nil {
			return nil, err
		}
	}
}

// notAPIError is a successful status whose body is not the API's JSON:
// an HTML page from a proxy, a captive portal or a misconfigured base URL.
type notAPIError struct {
	status      int
	contentType string
}

func (e *notAPIError) Error() string {
	return fmt.Sprintf("provider answered HTTP %d with %q instead of JSON (a proxy or a wrong base URL?)", e.status, e.contentType)
}

// notAPI reports whether a 2xx response carries HTML (or another
// non-JSON text type) where the API answers JSON or an event stream.
func notAPI(resp *http.Response) bool {
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return false
	}
	ct := strings.ToLower(resp.Header.Get("Content-Type"))
	return strings.HasPrefix(ct, "text/html") || strings.HasPrefix(ct, "application/xhtml")
}

// classify decides whether an attempt is worth repeating and after how
// long.
func (r *retryingDoer) classify(parent context.Context, resp *http.Response, err error, attempt int) (bool, time.Duration) {
	if parent.Err() != nil {
		return false, 0 // the caller gave up
	}
	if err != nil {
		return true, r.backoff(attempt) // network failure or attempt timeout
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests, resp.StatusCode >= 500:
		if d, ok := retryAfter(resp.Header.Get("Retry-After"), r.now()); ok {
			return true, d
		}
		return true, r.backoff(attempt)
	}
	return false, 0
}

// backoff is exponential with full jitter: a random wait in
// [0, min(max, min·2^attempt)].
func (r *retryingDoer) backoff(attempt int) time.Duration {
	ceiling := r.minBackoff << min(attempt, 20)
	if ceiling <= 0 || ceiling > r.maxBackoff {
		ceiling = r.maxBackoff
	}
	return time.Duration(rand.Int64N(int64(ceiling) + 1))
}

// retryAfter parses a Retry-After value: delay-seconds or an HTTP date.
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.Atoi(v); err == nil {
		if secs < 0 {
			return 0, false
		}
		return min(time.Duration(secs)*time.Second, maxRetryAfter), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return min(max(t.Sub(now), 0), maxRetryAfter), true
	}
	return 0, false
}

func sleepContext(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// cancelOnClose releases an attempt's timeout once the response body has
// been read and closed.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}

// isTimeout reports whether err is an attempt or caller timeout.
func isTimeout(err error) bool {
	var netErr interface{ Timeout() bool }
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &netErr) && netErr.Timeout())
}

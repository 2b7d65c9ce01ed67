package app

import (
	"errors"
	"io"
	"net/http"
	"time"
)

// Deadlines bound how long a client may take to send a request body. The
// HTTP server's own timeouts cover the headers and idle connections; a
// body is bounded per request, so an upload may take long while it
// progresses but a silent one is cut.
type Deadlines struct {
	// BodyIdle is how long a request body may stay silent: each read that
	// receives data pushes the read deadline this far. 0 means 15 seconds.
	BodyIdle time.Duration
	// Body bounds the whole body, however steadily it arrives (a reply
	// with 25 MiB attachments over a slow line). 0 means 10 minutes.
	Body time.Duration
}

func (d Deadlines) withDefaults() Deadlines {
	if d.BodyIdle <= 0 {
		d.BodyIdle = 15 * time.Second
	}
	if d.Body <= 0 {
		d.Body = 10 * time.Minute
	}
	return d
}

// bodyDeadlines sets each request's read deadline: a request with a body
// gets a deadline that moves with the data (a client that sends its
// headers and a byte, then nothing, loses the connection after BodyIdle);
// a request without one has nothing left to read, so its deadline is
// lifted and a long answer such as the event stream is not cut by the
// server's ReadTimeout (which would cancel its context).
func bodyDeadlines(h http.Handler, d Deadlines) http.Handler {
	d = d.withDefaults()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		if r.Body == nil || r.Body == http.NoBody {
			_ = rc.SetReadDeadline(time.Time{})
		} else {
			now := time.Now()
			b := &deadlineBody{ReadCloser: r.Body, rc: rc, idle: d.BodyIdle, end: now.Add(d.Body)}
			b.extend(now)
			r.Body = b
		}
		h.ServeHTTP(w, r)
	})
}

// deadlineBody pushes the connection's read deadline forward as the body
// arrives, up to end, and lifts it once the body is read: the server then
// only waits for the connection to close, which must not cancel the
// request while its handler works. A read past the deadline fails with an
// error wrapping os.ErrDeadlineExceeded (the API answers 408).
type deadlineBody struct {
	io.ReadCloser
	rc       *http.ResponseController
	idle     time.Duration
	end      time.Time
	extended time.Time
}

func (b *deadlineBody) extend(now time.Time) {
	b.extended = now
	d := now.Add(b.idle)
	if d.After(b.end) {
		d = b.end
	}
	_ = b.rc.SetReadDeadline(d)
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	switch {
	case errors.Is(err, io.EOF):
		_ = b.rc.SetReadDeadline(time.Time{})
	case n > 0:
		// Setting a deadline is cheap, not free: a fast upload moves it a
		// few times per idle period, not on every read.
		if now := time.Now(); now.Sub(b.extended) >= b.idle/4 {
			b.extend(now)
		}
	}
	return n, err
}

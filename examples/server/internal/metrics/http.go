package metrics

import (
	"net/http"
	"strconv"
	"time"
)

// RouteOf names the route a request will take: a pattern such as
// "/inbox/conversations/{id}", never the raw path.
type RouteOf func(r *http.Request) string

// Handler measures next's requests as
// inboxkit_http_request_seconds{method,route,code}, the route named by
// route before next runs.
func (p *Prometheus) Handler(next http.Handler, route RouteOf) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		name := route(r)
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			code := sw.status
			if code == 0 {
				code = http.StatusOK
			}
			p.Observe("http_request_seconds", time.Since(start).Seconds(),
				"method", method(r.Method), "route", name, "code", strconv.Itoa(code))
		}()
		next.ServeHTTP(sw, r)
	})
}

// method keeps the label's values to the methods the server knows.
func method(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions:
		return m
	}
	return "other"
}

// statusWriter remembers the status code. It flushes (the event
// stream) and unwraps for http.ResponseController.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Package metrics exports inboxkit's measurements to Prometheus: a
// Prometheus value implements inbox.Metrics on a registry the host
// chooses, creating each series on first use, and its HTTP middleware
// measures the server's requests by route pattern (never by raw path,
// so conversation and message ids stay out of the labels).
//
// Every series is prefixed "inboxkit_". The engine's names and labels are
// listed on inbox.Metrics; the middleware adds
// inboxkit_http_request_seconds{method,route,code}.
package metrics

// Package api is the reference server's REST API under /inbox/: JSON in
// and out, errors as RFC 9457 problem details (application/problem+json)
// with the invalid fields named, every route scoped to the caller's tenant,
// and a Server-Sent Events stream of the engine's events.
//
// The routes are described in examples/server/openapi.yaml. Reads go
// through the store's read-only transactions; every change goes through an
// inbox.Engine method, so the engine's invariants, audit log and events
// hold for API clients exactly as for any other host code.
package api

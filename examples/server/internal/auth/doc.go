// Package auth holds the reference server's employee accounts, browser
// sessions and per-tenant API tokens.
//
// Accounts belong to one tenant and have a role (admin or agent); their
// passwords are hashed with bcrypt. Browsers log in with a password and get
// a session cookie (HttpOnly, SameSite=Lax, Secure over TLS); programs use
// a per-tenant API token sent as "Authorization: Bearer <token>". Only the
// SHA-256 of a token is kept, so a leaked accounts file does not leak
// tokens.
//
// Cookie sessions are protected against cross-site request forgery by a
// synchronizer token: each session has a random CSRF token, the page reads
// it from GET /inbox/session and sends it back in the X-CSRF-Token header of
// every unsafe request, and the server compares it in constant time. A
// cross-site page can neither read that token (same-origin policy) nor set
// custom headers on a form post, so a forged request fails even in browsers
// that ignore SameSite. When a browser sends an Origin header it must also
// name this server. Bearer requests carry no ambient credential and need
// neither check.
//
// On one server the directory is a file and sessions live in memory.
// Server instances sharing a PostgreSQL database keep both in tables of
// it (OpenDirectory with a DB, OpenSessions), so a login on one instance
// is valid on all and a logout or a revoked token takes effect on all.
//
// Directory implements inbox.EmployeeDirectory, so the engine refuses
// assignments and mentions of people who have no account.
package auth

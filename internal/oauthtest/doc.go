// Package oauthtest provides what OAuth mailbox tests talk to: a fake
// OAuth 2 authorization server (authorization code with PKCE S256,
// refresh tokens, revocation) and IMAP and SMTP servers that accept only
// the access tokens it issued, through SASL XOAUTH2 or OAUTHBEARER.
// Everything runs on loopback in the test process.
package oauthtest

// Package oauth connects Gmail and Microsoft 365 mailboxes with OAuth 2:
// the providers' endpoints and mail servers (Google, Microsoft), a token
// Source that refreshes access tokens before they expire and hands on a
// rotated refresh token, and Tokens, whose Source method gives
// email.Factory one Source per integration from its sealed refresh token.
//
// The authorization itself (the "Connect" button: authorization code
// with PKCE) belongs to the host's web server; Provider.Config and
// Provider.AuthCodeOptions give it what golang.org/x/oauth2 needs.
package oauth

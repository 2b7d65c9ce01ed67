// Package email is inboxkit's email channel: it reads mailboxes over IMAP
// (go-imap v2), turns RFC 5322 messages into inbox.Inbound values
// (go-message), recognises automated mail, and sends replies over SMTP
// (go-smtp).
//
// The package is a thin translator: de-duplication, threading, quarantine
// and cursors are the engine's (inbox.Engine). What it adds is what only
// mail knows:
//
//   - Parser decodes headers (RFC 2047, RFC 2231, raw 8-bit), prefers
//     text/plain, sanitizes HTML (bluemonday) and renders it as text when
//     there is no plain part, detects quoted history (SplitQuoted), streams
//     attachments (checked by the shared inbox/attach policy) and the raw
//     message to an inbox.BlobStore under generated keys with sanitized
//     display names, and caps text size so a 50 MB message never sits in
//     memory.
//   - Detect recognises automated mail (RFC 3834 Auto-Submitted,
//     Precedence, X-Autoreply, X-Auto-Response-Suppress, List-Id,
//     List-Unsubscribe, RFC 3464 bounces, null return path, no-reply
//     senders, out-of-office subjects) and classifies newsletters and
//     bounces.
//   - Channel implements inbox.Puller (per-folder UIDVALIDITY/UID cursors
//     committed with each batch, BODY.PEEK[] so nothing is marked read),
//     inbox.Watcher (IMAP IDLE with reconnect and backoff, polling when
//     the server has no IDLE) and inbox.Sender (SMTP with In-Reply-To,
//     References, a plus-addressed Reply-To token and Auto-Submitted on
//     automatic replies).
//
// Plain-text connections are allowed only to loopback addresses; anything
// else uses implicit TLS or STARTTLS.
package email

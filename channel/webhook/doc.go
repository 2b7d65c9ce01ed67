// Package webhook receives messages from any external service as signed
// JSON (the inbound message format documented in message.schema.json) and
// sends inboxkit events to URLs the host configures.
//
// Both directions use the Standard Webhooks scheme: a webhook-id, a
// webhook-timestamp and a webhook-signature header holding one or more
// "v1,<base64 HMAC-SHA256>" entries over "id.timestamp.body", with
// "whsec_<base64>" secrets. Several secrets may be active at once so they
// can be rotated without downtime. VerifyStandard is the pure verification
// function; the inbound Handler builds on it.
package webhook

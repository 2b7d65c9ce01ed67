// Package webhook receives messages from any external service as signed
// JSON and sends inboxkit events to URLs the host configures.
//
// Both directions use the Standard Webhooks scheme: a webhook-id, a
// webhook-timestamp and a webhook-signature header holding one or more
// "v1,<base64 HMAC-SHA256>" entries over "id.timestamp.body", with
// "whsec_<base64>" secrets. Several secrets may be active at once so they
// can be rotated without downtime. VerifyStandard is the pure verification
// function; SignHeaders signs.
//
// Receiver is the http.Handler for custom inbound webhooks. The body is
// the message format documented by message.schema.json in this directory
// (schema custom-inbound-message/v1): external_id, channel,
// from{id,name,email,phone}, to, subject, text, html, attachments by URL
// or base64, sent_at and thread_key. The same external_id posted twice is
// stored once; the same webhook-id is a replay. HTML is sanitized;
// attachments are checked by content type and size, and URLs are fetched
// only from hosts the host allows. Answers are 200 once the message is
// durably stored or known, 400 naming the invalid field, 401 for a bad,
// missing or stale signature, 404 for an unknown integration, 413 over the
// size limit and 5xx when storage fails, so the sender retries; a refused
// request stores nothing.
//
// Dispatcher sends engine events (message received, conversation
// updated, draft ready...) to the host's endpoints, signed the same way,
// retried with exponential backoff under one webhook-id, every attempt
// recorded in a DeliveryLog.
package webhook

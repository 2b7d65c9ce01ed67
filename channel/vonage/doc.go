// Package vonage connects inboxkit to Vonage: inbound SMS (SMS API
// webhooks) and WhatsApp (Messages API webhooks) as http.Handlers the host
// mounts on its own mux, delivery statuses, and sending through both APIs.
//
// # Receiving
//
// SMSReceiver accepts inbound SMS and delivery receipts as GET query, form
// POST or JSON POST. Every request is verified first: the sig parameter is
// computed with the method chosen in the Vonage dashboard (md5hash, or
// HMAC with md5, sha1, sha256 or sha512; Integration.Config
// "signature_method") over the sorted parameters, and VerifySMS checks it
// in constant time together with the timestamp parameter (±5 minutes).
// The parts of a concatenated SMS are kept in a PartStore until all have
// arrived, in any order and on any instance sharing the store, then
// ingested as one message; Flush (or Run) ingests messages whose parts
// stopped arriving, with the gaps marked.
//
// WhatsAppReceiver accepts Messages API webhooks (WhatsApp, and SMS routed
// through the Messages API). VerifyJWT checks "Authorization: Bearer
// <JWT>": the algorithm is pinned to HS256, the signature uses the
// signature secret, iat must be fresh, exp (if any) in the future, and
// payload_hash the SHA-256 of the raw body. Text, image, file, audio,
// video, location and reply messages are ingested; media is downloaded
// from Vonage's hosts only, checked for size and type by content, and
// kept in the engine's BlobStore. Status callbacks (submitted, delivered,
// read, rejected, undeliverable) move the outbound message's delivery
// state forward, never back, with an audit entry and an event.
//
// Replays of accepted requests (nonce, jti) are answered as duplicates.
// A request is acknowledged with 2xx only once its message is durably
// stored by the inbox.Engine or recognised as a duplicate; a storage
// failure is answered 5xx so Vonage retries; a refused request (401 bad,
// missing or stale signature, 400 invalid field, 404 unknown integration,
// 413 too large) stores nothing. Error bodies are JSON naming the code and
// field, never a secret; phone numbers are masked in logs (MaskPhone).
//
// # Sending
//
// SMSChannel sends through vonage-go-sdk, confined behind the SMSAPI
// interface (NewSDKSMSAPI), which gives the SDK the caller's context and
// turns its panics into errors. WhatsAppChannel sends text and media
// through the Messages API with an application JWT (AppJWT) and refuses
// free-form messages outside WhatsApp's 24-hour customer care window
// (ErrTemplateRequired). A message carrying an inbox.TemplateChoice is sent
// at any time as a template message (message_type "template", the
// integration's approved template by name with its parameters, policy
// "deterministic" in the template's locale); the integration declares its
// approved templates (inbox.Integration.Templates), and a template it does
// not declare, or the wrong number of parameters, is refused before any
// request. Errors wrap inbox.ErrTemporary when the outbox
// should retry. SMSFactory and WhatsAppFactory build the channels from an
// inbox.Integration for the engine.
package vonage

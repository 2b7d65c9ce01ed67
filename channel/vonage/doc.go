// Package vonage connects inboxkit to Vonage: inbound SMS (SMS API
// webhooks) and WhatsApp (Messages API webhooks) as http.Handlers the host
// mounts on its own mux, and sending through both APIs.
//
// Every webhook is verified before anything else happens. SMS API
// webhooks carry a sig parameter computed with the method chosen in the
// Vonage dashboard (md5hash, or HMAC with md5, sha1, sha256 or sha512) over
// the sorted parameters; VerifySMS checks it in constant time together with
// the timestamp parameter (±5 minutes). Messages API webhooks carry
// "Authorization: Bearer <JWT>"; VerifyJWT pins the algorithm to HS256,
// checks the signature with the signature secret, iat freshness, exp, and
// that payload_hash is the SHA-256 of the raw body. Replays of accepted
// requests (nonce, jti) are recognised through a PartStore.
//
// A request is acknowledged with 2xx only once its message is durably
// stored by the inbox.Engine or recognised as a duplicate; a store failure
// is answered 5xx so Vonage retries, and a refused request stores nothing.
package vonage

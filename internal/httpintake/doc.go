// Package httpintake holds what inboxkit's webhook receivers share: reading
// a request body under a size limit, answering every request with the same
// small JSON body and mapping errors to HTTP statuses, remembering replay
// keys for a while, and keeping files a webhook points to (host allow-list,
// content sniffing, size-bounded writes into the BlobStore).
//
// Each adapter (channel/vonage, channel/webhook) keeps its own signature
// scheme, error type and payload format; this package only carries the
// intake mechanics that are the same for all of them.
package httpintake

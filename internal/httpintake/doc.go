// Package httpintake holds what inboxkit's webhook receivers share:
//
//   - Endpoint, the frame of every request (405 for other methods, resolve
//     the integration, answer a replay as a duplicate), and CheckSetup for
//     the receivers' constructors;
//   - ReadBody, Reply, WriteReply, Classify and Fail: the size-limited body,
//     the one JSON answer and the mapping of errors to HTTP statuses;
//   - KeySet and CheckReplay: replay keys remembered until they expire;
//   - HostAllowed, Sniff, TypeAllowed, SameFamily, PutFile and
//     SafeFilename: keeping the files a webhook carries or points to;
//   - PendingFiles and StoredMessage: ingesting a message with files, and
//     removing them when the message is not kept.
//
// Each adapter (channel/vonage, channel/webhook) keeps its own signature
// scheme, error type, payload format and user-visible texts; this package
// only carries the intake mechanics that are the same for all of them.
package httpintake

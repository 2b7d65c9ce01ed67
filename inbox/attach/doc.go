// Package attach checks attachments of inbound mail and uploads before
// their bytes are kept.
//
// Validate streams one attachment: it sniffs its real type from the first
// bytes (github.com/gabriel-vasile/mimetype), requires it to agree with
// the declared type and the file name's extension, refuses executables,
// scripts, HTA applications and macro-enabled Office documents, enforces
// the tenant's size limit and type allow-list, and, when accepted, writes
// it to an inbox.BlobStore under a generated key while computing its
// SHA-256. Nothing of a refused attachment is stored; the returned
// inbox.Attachment still describes it, with Rejected saying why.
//
// SanitizeFilename turns the name a sender chose into a display name that
// cannot act as a path: no directory part, no control or format
// characters (bidi overrides, zero-width), no empty, "." or ".." name, no
// reserved Windows device name, at most 255 bytes. File names are only
// ever shown; the bytes live under keys from inbox.NewBlobKey.
package attach

// Package blob provides inbox.BlobStore implementations: Dir opens a
// DirStore, which keeps blobs as files under one directory (which several
// instances may share), NewMemory keeps them in memory for tests and
// demos. Package s3blob keeps them in an S3-compatible bucket.
//
// Keys are the generated keys of inbox.NewBlobKey ("tenant/kind/id"), never
// names taken from input. Both stores still check every key (ValidateKey):
// relative, slash-separated, no empty, "." or ".." segment, no segment
// starting with a dot, no backslash, NUL or control character, valid
// UTF-8, at most 1024 bytes. DirStore goes further: every file operation goes
// through an os.Root, so even a key that passed the check, or a symbolic
// link planted in the directory, cannot reach a file outside it.
//
// Writes are atomic: DirStore streams into a temporary file next to the target,
// syncs it, renames it over the key and syncs the directory, so a reader
// sees the old bytes or the new ones, never a part, and a failed Put
// leaves nothing behind. For writers of many blobs at once, both stores are
// an inbox.BlobBatcher: DirStore's Stage writes the temporary file without
// syncing it and Sync makes a whole batch durable with one flush of the
// filesystem before renaming the files to their keys, so a staged blob is
// never seen partly written under its key either. Package blobtest holds
// the conformance suite both stores pass.
package blob

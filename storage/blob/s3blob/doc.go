// Package s3blob is an inbox.BlobStore on an S3-compatible bucket (Amazon
// S3, MinIO, Ceph, Garage...) through minio-go: attachments and raw
// messages shared by every instance of a deployment without a shared
// filesystem.
//
// Keys are checked like every store's (blob.ValidateKey: relative,
// slash-separated, no "." or ".." segment, no control characters), so a
// key can neither climb out of Options.Prefix nor be read differently by
// a gateway that normalises paths. Uploads stream in parts of
// Options.PartSize: a blob of any size holds one part in memory, and a
// failed or cancelled upload is aborted, leaving no object. S3 replaces
// objects whole, so readers never see a partial write. The store passes
// the blobtest conformance suite against an in-process S3 server.
//
// Credentials are options (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY
// through ParseURL) and never appear in errors.
package s3blob

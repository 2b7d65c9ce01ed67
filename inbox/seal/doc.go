// Package seal encrypts integration secrets (IMAP passwords, API keys,
// webhook signing secrets) before they are stored, and keeps them out of
// logs and API responses once they are opened.
//
// A Sealer is an inbox.Sealer built on AES-256-GCM with a random 96-bit
// nonce per value and a key ring: new values are sealed under the current
// (newest) key, values sealed under older keys still open, and Reseal
// rewrites them under the current key during a rotation. Every ciphertext
// records the id of its key:
//
//	version (1 byte, 0x01) | key id length (1 byte) | key id | nonce (12 bytes) | ciphertext + tag
//
// The additional authenticated data binds the header, the tenant, the
// integration and the field name, so a value copied to another row or
// field, or a header edited to name another key, does not open; the error
// wraps inbox.ErrUnauthorized and ErrMismatch.
//
// Keys come from the host, never from the database: raw keys passed to
// New, keys parsed from an environment variable (ParseKeys, KeysFromEnv;
// for example INBOXKIT_KEYS="k2:<base64>,k1:<base64>", newest first), or a
// KMS-style callback (Options.Fetch) asked for any key id the ring does not
// hold. A ciphertext naming a key the host cannot provide fails with
// ErrUnknownKey and the key id, never with the key material.
//
// Secret is a string holder that redacts itself wherever it could leak:
// fmt verbs, slog, JSON and text encoding. Reveal returns the value.
package seal

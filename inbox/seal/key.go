package seal

import (
	"encoding/base64"
	"fmt"
	"os"
	"strings"

	"github.com/inboxkit/inboxkit/inbox"
)

// KeySize is the length of an AES-256 key in bytes.
const KeySize = 32

// maxKeyIDLen bounds a key id so it fits the one-byte length in the header.
const maxKeyIDLen = 64

// Key is one entry of the key ring: 32 bytes of key material and the id
// recorded in every value sealed under it.
type Key struct {
	// ID names the key in ciphertexts: 1 to 64 characters from
	// [A-Za-z0-9._-]. It is not secret.
	ID string
	// Material is the AES-256 key, exactly KeySize bytes.
	Material []byte
}

// validKeyID reports whether id can be written in a ciphertext header.
func validKeyID(id string) error {
	if id == "" {
		return inbox.Invalid("key.id", "empty")
	}
	if len(id) > maxKeyIDLen {
		return inbox.Invalid("key.id", fmt.Sprintf("longer than %d bytes", maxKeyIDLen))
	}
	for _, r := range id {
		ok := r == '.' || r == '_' || r == '-' ||
			('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z') || ('0' <= r && r <= '9')
		if !ok {
			return inbox.Invalid("key.id", fmt.Sprintf("%q: only letters, digits, '.', '_' and '-' are allowed", id))
		}
	}
	return nil
}

// validKey checks a key's id and length, never echoing its material.
func validKey(k Key) error {
	if err := validKeyID(k.ID); err != nil {
		return err
	}
	if len(k.Material) != KeySize {
		return inbox.Invalid("key "+k.ID, fmt.Sprintf("must be %d bytes, got %d", KeySize, len(k.Material)))
	}
	return nil
}

// ParseKeys parses a key list of the form "k2:<base64>,k1:<base64>",
// newest key first, as kept in an environment variable or a secret file.
// Standard and URL-safe base64, padded or not, are accepted; spaces and
// newlines around entries are ignored. Errors name the entry's position
// and key id, never the key material.
func ParseKeys(spec string) ([]Key, error) {
	var keys []Key
	seen := make(map[string]bool)
	for i, entry := range strings.Split(spec, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		id, b64, ok := strings.Cut(entry, ":")
		if !ok {
			return nil, inbox.Invalid(fmt.Sprintf("keys[%d]", i), `want "id:base64"`)
		}
		id = strings.TrimSpace(id)
		if err := validKeyID(id); err != nil {
			return nil, fmt.Errorf("keys[%d]: %w", i, err)
		}
		if seen[id] {
			return nil, inbox.Invalid(fmt.Sprintf("keys[%d]", i), fmt.Sprintf("duplicate key id %q", id))
		}
		seen[id] = true
		material, err := decodeBase64(strings.TrimSpace(b64))
		if err != nil {
			return nil, inbox.Invalid(fmt.Sprintf("keys[%d] (%s)", i, id), "material is not base64")
		}
		k := Key{ID: id, Material: material}
		if err := validKey(k); err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, inbox.Invalid("keys", "no key given")
	}
	return keys, nil
}

// KeysFromEnv reads and parses the key list in the environment variable
// name (see ParseKeys). A missing or empty variable is an error naming it.
func KeysFromEnv(name string) ([]Key, error) {
	spec, ok := os.LookupEnv(name)
	if !ok || strings.TrimSpace(spec) == "" {
		return nil, inbox.Invalid(name, "environment variable is not set")
	}
	keys, err := ParseKeys(spec)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return keys, nil
}

func decodeBase64(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, fmt.Errorf("not base64")
}

package seal

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"github.com/inboxkit/inboxkit/inbox"
)

// formatV1 is the first byte of every ciphertext this package writes.
const formatV1 byte = 0x01

const (
	nonceSize = 12 // 96-bit random nonce, the GCM standard size
	tagSize   = 16
)

// KeyFunc returns the material of the key named keyID, for example from a
// KMS or a secret manager. Returning an error that wraps ErrUnknownKey or
// inbox.ErrNotFound reports the key as absent; any other error is passed
// through (a transient outage is not a missing key).
type KeyFunc func(ctx context.Context, keyID string) ([]byte, error)

// Options configures a Sealer.
type Options struct {
	// Keys is the key ring, newest first. Zero keys is allowed only with
	// Fetch and Current set.
	Keys []Key
	// Current is the id of the key new values are sealed under. Empty
	// means Keys[0].
	Current string
	// Fetch is asked for any key id the ring does not hold (including
	// Current); its answers are kept for the Sealer's lifetime. Nil means
	// only Keys are known.
	Fetch KeyFunc
}

// Sealer is an AES-256-GCM inbox.Sealer over a key ring. It is safe for
// concurrent use.
type Sealer struct {
	current string
	fetch   KeyFunc

	mu    sync.RWMutex
	aeads map[string]cipher.AEAD
}

var _ inbox.Sealer = (*Sealer)(nil)

// New returns a Sealer over opts' key ring. It checks every key's id and
// length and that the current key is known or can be fetched.
func New(opts Options) (*Sealer, error) {
	s := &Sealer{fetch: opts.Fetch, aeads: make(map[string]cipher.AEAD, len(opts.Keys))}
	for _, k := range opts.Keys {
		if err := validKey(k); err != nil {
			return nil, fmt.Errorf("seal: %w", err)
		}
		if _, dup := s.aeads[k.ID]; dup {
			return nil, fmt.Errorf("seal: %w", inbox.Invalid("keys", fmt.Sprintf("duplicate key id %q", k.ID)))
		}
		aead, err := newAEAD(k.Material)
		if err != nil {
			return nil, fmt.Errorf("seal: key %q: %w", k.ID, err)
		}
		s.aeads[k.ID] = aead
	}
	s.current = opts.Current
	if s.current == "" {
		if len(opts.Keys) == 0 {
			return nil, fmt.Errorf("seal: %w", inbox.Invalid("keys", "no key given and no current key id to fetch"))
		}
		s.current = opts.Keys[0].ID
	}
	if err := validKeyID(s.current); err != nil {
		return nil, fmt.Errorf("seal: current: %w", err)
	}
	if _, ok := s.aeads[s.current]; !ok && s.fetch == nil {
		return nil, fmt.Errorf("seal: current key %q: %w", s.current, ErrUnknownKey)
	}
	return s, nil
}

// CurrentKeyID returns the id of the key new values are sealed under.
func (s *Sealer) CurrentKeyID() string { return s.current }

// Seal encrypts plaintext under the current key, bound to sc.
func (s *Sealer) Seal(ctx context.Context, plaintext []byte, sc inbox.SealContext) ([]byte, error) {
	aead, err := s.key(ctx, s.current)
	if err != nil {
		return nil, err
	}
	header := make([]byte, 0, 2+len(s.current))
	header = append(header, formatV1, byte(len(s.current)))
	header = append(header, s.current...)
	out := make([]byte, len(header), len(header)+nonceSize+len(plaintext)+tagSize)
	copy(out, header)
	// The AEAD draws a fresh random nonce and writes it before the
	// ciphertext, which is exactly our layout after the header.
	return aead.Seal(out, nil, plaintext, additionalData(header, sc)), nil
}

// Open decrypts a value sealed by Seal for the same sc. A value sealed for
// another tenant, integration or field, or altered, fails with an error
// wrapping ErrMismatch and inbox.ErrUnauthorized; a value naming a key the
// host does not provide fails with ErrUnknownKey.
func (s *Sealer) Open(ctx context.Context, ciphertext []byte, sc inbox.SealContext) ([]byte, error) {
	header, keyID, body, err := parse(ciphertext)
	if err != nil {
		return nil, err
	}
	aead, err := s.key(ctx, keyID)
	if err != nil {
		return nil, err
	}
	plaintext, err := aead.Open(nil, nil, body, additionalData(header, sc))
	if err != nil {
		return nil, fmt.Errorf("seal: open field %q of integration %q: %w: %w", sc.Field, sc.IntegrationID, ErrMismatch, inbox.ErrUnauthorized)
	}
	return plaintext, nil
}

// Reseal rewrites a value sealed under an older key under the current key,
// for key rotation. It reports whether the value changed; a value already
// under the current key is returned as is once it has been checked to open.
// Store the returned bytes in place of the old ones.
func (s *Sealer) Reseal(ctx context.Context, ciphertext []byte, sc inbox.SealContext) ([]byte, bool, error) {
	plaintext, err := s.Open(ctx, ciphertext, sc)
	if err != nil {
		return nil, false, err
	}
	defer clear(plaintext)
	if id, _ := KeyID(ciphertext); id == s.current {
		return ciphertext, false, nil
	}
	resealed, err := s.Seal(ctx, plaintext, sc)
	if err != nil {
		return nil, false, err
	}
	return resealed, true, nil
}

// KeyID returns the id of the key a ciphertext was sealed under, without
// opening it; useful to count values still under a retired key.
func KeyID(ciphertext []byte) (string, error) {
	_, id, _, err := parse(ciphertext)
	return id, err
}

// key returns the AEAD for id from the ring, or from Fetch on first use.
func (s *Sealer) key(ctx context.Context, id string) (cipher.AEAD, error) {
	s.mu.RLock()
	aead, ok := s.aeads[id]
	s.mu.RUnlock()
	if ok {
		return aead, nil
	}
	if s.fetch == nil {
		return nil, fmt.Errorf("seal: key %q: %w", id, ErrUnknownKey)
	}
	material, err := s.fetch(ctx, id)
	if err != nil {
		if errors.Is(err, ErrUnknownKey) || errors.Is(err, inbox.ErrNotFound) {
			return nil, fmt.Errorf("seal: key %q: %w", id, ErrUnknownKey)
		}
		return nil, fmt.Errorf("seal: fetch key %q: %w", id, err)
	}
	defer clear(material)
	if len(material) != KeySize {
		return nil, fmt.Errorf("seal: fetched key %q: %w", id, inbox.Invalid("key "+id, fmt.Sprintf("must be %d bytes, got %d", KeySize, len(material))))
	}
	aead, err = newAEAD(material)
	if err != nil {
		return nil, fmt.Errorf("seal: fetched key %q: %w", id, err)
	}
	s.mu.Lock()
	if existing, ok := s.aeads[id]; ok {
		aead = existing
	} else {
		s.aeads[id] = aead
	}
	s.mu.Unlock()
	return aead, nil
}

func newAEAD(material []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(material)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCMWithRandomNonce(block)
}

// parse splits a ciphertext into its header, key id and nonce+sealed body.
func parse(ciphertext []byte) (header []byte, keyID string, body []byte, err error) {
	if len(ciphertext) < 2 {
		return nil, "", nil, fmt.Errorf("%w: %d bytes is too short: %w", ErrMalformed, len(ciphertext), inbox.ErrInvalid)
	}
	if ciphertext[0] != formatV1 {
		return nil, "", nil, fmt.Errorf("%w: unknown format version %d: %w", ErrMalformed, ciphertext[0], inbox.ErrInvalid)
	}
	idLen := int(ciphertext[1])
	if idLen == 0 || idLen > maxKeyIDLen {
		return nil, "", nil, fmt.Errorf("%w: key id length %d out of range: %w", ErrMalformed, idLen, inbox.ErrInvalid)
	}
	if len(ciphertext) < 2+idLen+nonceSize+tagSize {
		return nil, "", nil, fmt.Errorf("%w: %d bytes is too short: %w", ErrMalformed, len(ciphertext), inbox.ErrInvalid)
	}
	keyID = string(ciphertext[2 : 2+idLen])
	if validKeyID(keyID) != nil {
		return nil, "", nil, fmt.Errorf("%w: key id is not printable: %w", ErrMalformed, inbox.ErrInvalid)
	}
	return ciphertext[:2+idLen], keyID, ciphertext[2+idLen:], nil
}

// additionalData binds the header and sc. Each part is length-prefixed so
// no two different (tenant, integration, field) triples encode alike.
func additionalData(header []byte, sc inbox.SealContext) []byte {
	aad := make([]byte, 0, len(header)+3*binary.MaxVarintLen64+len(sc.Tenant)+len(sc.IntegrationID)+len(sc.Field))
	aad = append(aad, header...)
	for _, part := range []string{string(sc.Tenant), sc.IntegrationID, sc.Field} {
		aad = binary.AppendUvarint(aad, uint64(len(part)))
		aad = append(aad, part...)
	}
	return aad
}

package seal_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/seal"
)

// FuzzOpen feeds arbitrary bytes to Open (it must fail cleanly, never
// panic, never succeed on forged input) and checks that any plaintext
// round-trips through Seal.
func FuzzOpen(f *testing.F) {
	material := bytes.Repeat([]byte{0x42}, seal.KeySize)
	s, err := seal.New(seal.Options{Keys: []seal.Key{{ID: "k1", Material: material}}})
	if err != nil {
		f.Fatal(err)
	}
	ctx := context.Background()
	sc := inbox.SealContext{Tenant: "t", IntegrationID: "i", Field: "f"}
	valid, err := s.Seal(ctx, []byte("hunter2"), sc)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid, []byte("hunter2"))
	f.Add([]byte{}, []byte{})
	f.Add([]byte{1, 2, 'k', '1'}, []byte("x"))
	f.Add([]byte{1, 64}, bytes.Repeat([]byte("a"), 100))
	f.Fuzz(func(t *testing.T, ciphertext, plaintext []byte) {
		// Only genuine sealed values of "hunter2" exist for this key (the
		// seed; workers seal their own copy with another nonce), so anything
		// else that opens would be a forgery.
		if got, err := s.Open(ctx, ciphertext, sc); err == nil && !bytes.Equal(got, []byte("hunter2")) {
			t.Fatalf("forged ciphertext opened to %q", got)
		}
		_, _ = seal.KeyID(ciphertext)
		ct, err := s.Seal(ctx, plaintext, sc)
		if err != nil {
			t.Fatal(err)
		}
		back, err := s.Open(ctx, ct, sc)
		if err != nil || !bytes.Equal(back, plaintext) {
			t.Fatalf("round trip failed: %v", err)
		}
	})
}

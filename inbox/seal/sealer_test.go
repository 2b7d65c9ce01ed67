package seal_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/seal"
)

func newKey(t testing.TB, id string) seal.Key {
	t.Helper()
	m := make([]byte, seal.KeySize)
	_, err := rand.Read(m)
	require.NoError(t, err)
	return seal.Key{ID: id, Material: m}
}

func newSealer(t testing.TB, keys ...seal.Key) *seal.Sealer {
	t.Helper()
	s, err := seal.New(seal.Options{Keys: keys})
	require.NoError(t, err)
	return s
}

var imapPassword = inbox.SealContext{Tenant: "acme", IntegrationID: "int_mail_1", Field: "imap.password"}

func TestSealOpenRoundTrip(t *testing.T) {
	ctx := context.Background()
	s := newSealer(t, newKey(t, "k1"))
	for _, plain := range [][]byte{nil, []byte("x"), []byte("correct horse battery staple"), bytes.Repeat([]byte{0xff}, 70000)} {
		ct, err := s.Seal(ctx, plain, imapPassword)
		require.NoError(t, err)
		require.NotContains(t, string(ct), "horse")
		got, err := s.Open(ctx, ct, imapPassword)
		require.NoError(t, err)
		require.Equal(t, len(plain), len(got))
		require.True(t, bytes.Equal(plain, got))
	}
}

func TestSealUsesFreshNonces(t *testing.T) {
	ctx := context.Background()
	s := newSealer(t, newKey(t, "k1"))
	seen := make(map[string]bool)
	for range 1000 {
		ct, err := s.Seal(ctx, []byte("same"), imapPassword)
		require.NoError(t, err)
		nonce := string(ct[2+2 : 2+2+12])
		require.False(t, seen[nonce], "nonce reused")
		seen[nonce] = true
	}
}

func TestCiphertextFormat(t *testing.T) {
	s := newSealer(t, newKey(t, "k-2026"))
	ct, err := s.Seal(context.Background(), []byte("secret"), imapPassword)
	require.NoError(t, err)
	require.Equal(t, byte(1), ct[0], "version byte")
	require.Equal(t, byte(len("k-2026")), ct[1])
	require.Equal(t, "k-2026", string(ct[2:8]))
	require.Len(t, ct, 2+6+12+len("secret")+16)
	id, err := seal.KeyID(ct)
	require.NoError(t, err)
	require.Equal(t, "k-2026", id)
}

func TestOpenRejectsMovedCiphertext(t *testing.T) {
	ctx := context.Background()
	s := newSealer(t, newKey(t, "k1"))
	ct, err := s.Seal(ctx, []byte("hunter2"), imapPassword)
	require.NoError(t, err)
	for name, sc := range map[string]inbox.SealContext{
		"other tenant":      {Tenant: "globex", IntegrationID: "int_mail_1", Field: "imap.password"},
		"other integration": {Tenant: "acme", IntegrationID: "int_mail_2", Field: "imap.password"},
		"other field":       {Tenant: "acme", IntegrationID: "int_mail_1", Field: "smtp.password"},
		"shifted boundary":  {Tenant: "acmei", IntegrationID: "nt_mail_1", Field: "imap.password"},
		"empty":             {},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := s.Open(ctx, ct, sc)
			require.Nil(t, got)
			require.ErrorIs(t, err, seal.ErrMismatch)
			require.ErrorIs(t, err, inbox.ErrUnauthorized)
			require.NotContains(t, err.Error(), "hunter2")
		})
	}
}

func TestOpenRejectsTampering(t *testing.T) {
	ctx := context.Background()
	s := newSealer(t, newKey(t, "k1"), newKey(t, "k0"))
	ct, err := s.Seal(ctx, []byte("hunter2"), imapPassword)
	require.NoError(t, err)
	for i := range ct {
		bad := bytes.Clone(ct)
		bad[i] ^= 0x01
		_, err := s.Open(ctx, bad, imapPassword)
		require.Error(t, err, "flipped byte %d", i)
	}
	// Rewriting the key id to another key of the ring must not open either.
	moved := bytes.Clone(ct)
	moved[3] = '0'
	_, err = s.Open(ctx, moved, imapPassword)
	require.ErrorIs(t, err, seal.ErrMismatch)
	// Truncations are malformed, not panics.
	for n := range len(ct) {
		_, err := s.Open(ctx, ct[:n], imapPassword)
		require.Error(t, err)
	}
}

func TestOpenMalformed(t *testing.T) {
	s := newSealer(t, newKey(t, "k1"))
	for name, ct := range map[string][]byte{
		"empty":         nil,
		"one byte":      {1},
		"version 2":     append([]byte{2, 2, 'k', '1'}, make([]byte, 40)...),
		"zero id len":   append([]byte{1, 0}, make([]byte, 40)...),
		"id too long":   append([]byte{1, 200}, make([]byte, 300)...),
		"binary key id": append([]byte{1, 2, 0, '\n'}, make([]byte, 40)...),
		"short body":    {1, 2, 'k', '1', 0, 0, 0},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := s.Open(context.Background(), ct, imapPassword)
			require.ErrorIs(t, err, seal.ErrMalformed)
			require.ErrorIs(t, err, inbox.ErrInvalid)
		})
	}
}

func TestRotation(t *testing.T) {
	ctx := context.Background()
	k1, k2 := newKey(t, "k1"), newKey(t, "k2")
	before := newSealer(t, k1)
	old, err := before.Seal(ctx, []byte("api-key-1"), imapPassword)
	require.NoError(t, err)

	after := newSealer(t, k2, k1)
	require.Equal(t, "k2", after.CurrentKeyID())
	got, err := after.Open(ctx, old, imapPassword)
	require.NoError(t, err, "older keys still open")
	require.Equal(t, "api-key-1", string(got))

	fresh, err := after.Seal(ctx, []byte("api-key-2"), imapPassword)
	require.NoError(t, err)
	id, err := seal.KeyID(fresh)
	require.NoError(t, err)
	require.Equal(t, "k2", id, "new writes use the newest key")

	resealed, changed, err := after.Reseal(ctx, old, imapPassword)
	require.NoError(t, err)
	require.True(t, changed)
	id, _ = seal.KeyID(resealed)
	require.Equal(t, "k2", id)

	again, changed, err := after.Reseal(ctx, resealed, imapPassword)
	require.NoError(t, err)
	require.False(t, changed)
	require.Equal(t, resealed, again)

	_, _, err = after.Reseal(ctx, old, inbox.SealContext{Tenant: "globex"})
	require.ErrorIs(t, err, inbox.ErrUnauthorized, "reseal checks the binding")

	// Once k1 is retired, the resealed value opens and the old one names its missing key.
	retired := newSealer(t, k2)
	got, err = retired.Open(ctx, resealed, imapPassword)
	require.NoError(t, err)
	require.Equal(t, "api-key-1", string(got))
	_, err = retired.Open(ctx, old, imapPassword)
	require.ErrorIs(t, err, seal.ErrUnknownKey)
	require.Contains(t, err.Error(), `"k1"`)
}

func TestFetchCallback(t *testing.T) {
	ctx := context.Background()
	k1, k2 := newKey(t, "k1"), newKey(t, "k2")
	calls := map[string]int{}
	outage := errors.New("kms unreachable")
	down := false
	kms := func(_ context.Context, id string) ([]byte, error) {
		calls[id]++
		if down {
			return nil, outage
		}
		switch id {
		case "k1":
			return bytes.Clone(k1.Material), nil
		case "k2":
			return bytes.Clone(k2.Material), nil
		case "short":
			return []byte("too short"), nil
		}
		return nil, fmt.Errorf("no such key: %w", inbox.ErrNotFound)
	}
	s, err := seal.New(seal.Options{Current: "k2", Fetch: kms})
	require.NoError(t, err)
	ct, err := s.Seal(ctx, []byte("token"), imapPassword)
	require.NoError(t, err)
	_, err = s.Seal(ctx, []byte("token"), imapPassword)
	require.NoError(t, err)
	require.Equal(t, 1, calls["k2"], "fetched keys are cached")

	old, err := newSealer(t, k1).Seal(ctx, []byte("older"), imapPassword)
	require.NoError(t, err)
	got, err := s.Open(ctx, old, imapPassword)
	require.NoError(t, err)
	require.Equal(t, "older", string(got))

	got, err = newSealer(t, k2).Open(ctx, ct, imapPassword)
	require.NoError(t, err)
	require.Equal(t, "token", string(got))

	k9 := newSealer(t, newKey(t, "k9"))
	unknown, err := k9.Seal(ctx, []byte("x"), imapPassword)
	require.NoError(t, err)
	_, err = s.Open(ctx, unknown, imapPassword)
	require.ErrorIs(t, err, seal.ErrUnknownKey)
	require.Contains(t, err.Error(), `"k9"`)

	short := newSealer(t, newKey(t, "short"))
	bad, err := short.Seal(ctx, []byte("x"), imapPassword)
	require.NoError(t, err)
	_, err = s.Open(ctx, bad, imapPassword)
	require.ErrorIs(t, err, inbox.ErrInvalid)
	require.NotContains(t, err.Error(), "too short")

	down = true
	k3 := newSealer(t, newKey(t, "k3"))
	other, err := k3.Seal(ctx, []byte("x"), imapPassword)
	require.NoError(t, err)
	_, err = s.Open(ctx, other, imapPassword)
	require.ErrorIs(t, err, outage)
	require.NotErrorIs(t, err, seal.ErrUnknownKey, "an outage is not a missing key")
}

func TestNewValidates(t *testing.T) {
	good := newKey(t, "k1")
	for name, opts := range map[string]seal.Options{
		"no keys":           {},
		"short key":         {Keys: []seal.Key{{ID: "k1", Material: make([]byte, 16)}}},
		"bad id":            {Keys: []seal.Key{{ID: "k 1", Material: good.Material}}},
		"empty id":          {Keys: []seal.Key{{Material: good.Material}}},
		"duplicate":         {Keys: []seal.Key{good, good}},
		"unknown current":   {Keys: []seal.Key{good}, Current: "k2"},
		"fetch, no current": {Fetch: func(context.Context, string) ([]byte, error) { return nil, nil }},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := seal.New(opts)
			require.Error(t, err)
		})
	}
	_, err := seal.New(seal.Options{Keys: []seal.Key{good}, Current: "k2"})
	require.ErrorIs(t, err, seal.ErrUnknownKey)
}

func TestParseKeys(t *testing.T) {
	m1, m2 := make([]byte, 32), make([]byte, 32)
	m2[0] = 7
	b1, b2 := base64.StdEncoding.EncodeToString(m1), base64.RawURLEncoding.EncodeToString(m2)
	keys, err := seal.ParseKeys(" k2:" + b2 + " ,\nk1:" + b1 + ",")
	require.NoError(t, err)
	require.Equal(t, []seal.Key{{ID: "k2", Material: m2}, {ID: "k1", Material: m1}}, keys)

	short := base64.StdEncoding.EncodeToString([]byte("sixteen byte key"))
	for name, spec := range map[string]string{
		"empty":        "",
		"no colon":     b1,
		"bad base64":   "k1:!!!!",
		"short key":    "k1:" + short,
		"duplicate id": "k1:" + b1 + ",k1:" + b2,
		"bad id":       "k/1:" + b1,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := seal.ParseKeys(spec)
			require.ErrorIs(t, err, inbox.ErrInvalid)
			require.NotContains(t, err.Error(), short)
			require.NotContains(t, err.Error(), b1)
		})
	}
}

func TestKeysFromEnv(t *testing.T) {
	k := newKey(t, "k1")
	t.Setenv("INBOXKIT_TEST_KEYS", "k1:"+base64.StdEncoding.EncodeToString(k.Material))
	keys, err := seal.KeysFromEnv("INBOXKIT_TEST_KEYS")
	require.NoError(t, err)
	require.Equal(t, []seal.Key{k}, keys)

	_, err = seal.KeysFromEnv("INBOXKIT_TEST_KEYS_UNSET")
	require.ErrorIs(t, err, inbox.ErrInvalid)
	require.Contains(t, err.Error(), "INBOXKIT_TEST_KEYS_UNSET")

	t.Setenv("INBOXKIT_TEST_KEYS", "k1:notbase64!")
	_, err = seal.KeysFromEnv("INBOXKIT_TEST_KEYS")
	require.ErrorIs(t, err, inbox.ErrInvalid)
	require.True(t, strings.HasPrefix(err.Error(), "INBOXKIT_TEST_KEYS:"))
	require.NotContains(t, err.Error(), "notbase64")
}

func BenchmarkSeal(b *testing.B) {
	s := newSealer(b, newKey(b, "k1"))
	plain := []byte("an IMAP password or an API key of 64 bytes, padded to length...")
	ctx := context.Background()
	b.SetBytes(int64(len(plain)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Seal(ctx, plain, imapPassword); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpen(b *testing.B) {
	s := newSealer(b, newKey(b, "k1"))
	plain := []byte("an IMAP password or an API key of 64 bytes, padded to length...")
	ctx := context.Background()
	ct, err := s.Seal(ctx, plain, imapPassword)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(plain)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Open(ctx, ct, imapPassword); err != nil {
			b.Fatal(err)
		}
	}
}

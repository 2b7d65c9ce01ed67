package webhook

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/internal/httpintake/intaketest"
)

// vectorFile is the shared webhook signature test vectors.
type vectorFile = intaketest.VectorFile

type vector = intaketest.Vector

func loadVectors(tb testing.TB) vectorFile { return intaketest.LoadVectors(tb) }

// verifyVector runs the verification the receiver performs (size limit,
// secret parsing, signature, freshness, replay) and remembers the
// webhook-id on success.
func verifyVector(t *testing.T, f vectorFile, v vector, store ReplayStore) error {
	t.Helper()
	ctx := context.Background()
	r := v.HTTPRequest("/inbox/webhooks/custom/integration-1")
	body, err := readBody(httptest.NewRecorder(), r, f.Policy.MaxBodyBytes)
	if err != nil {
		return err
	}
	secret, err := ParseSecret(v.Secret)
	if err != nil {
		return err
	}
	tolerance := time.Duration(f.Policy.TimestampToleranceSeconds) * time.Second
	verified, err := VerifyStandard(r.Header, body, []Secret{secret}, v.Clock(), tolerance)
	if err != nil {
		return err
	}
	key := replayKey("integration-1", verified.ID)
	if err := checkReplay(ctx, store, key, v.Clock()); err != nil {
		return err
	}
	return store.Remember(ctx, key, v.Clock().Add(DefaultReplayWindow))
}

// acceptableCodes lists the codes a receiver may report for an expected
// class: the README allows coarser classes for some.
func acceptableCodes(class string) []ErrorCode {
	switch class {
	case "malformed_signature":
		return []ErrorCode{CodeMalformedSignature, CodeBadSignature}
	case "malformed_timestamp", "missing_header":
		return []ErrorCode{ErrorCode(class), CodeMalformedTimestamp, CodeMissingHeader}
	}
	return []ErrorCode{ErrorCode(class)}
}

func TestVectors(t *testing.T) {
	intaketest.VectorSuite[ReplayStore]{
		Kinds:    []string{"standard-webhooks"},
		MinRan:   25,
		NewState: func() ReplayStore { return NewMemoryReplayStore() },
		Verify:   verifyVector,
		CheckRefusal: func(t *testing.T, v vector, err error) {
			require.Contains(t, acceptableCodes(v.ExpectError), CodeOf(err), "error: %v", err)
		},
		Groups: false,
	}.Run(t, loadVectors(t))
}

// TestInteropWithReferenceLibrary cross-checks signing and verification
// against the Standard Webhooks reference library.
func TestInteropWithReferenceLibrary(t *testing.T) {
	const encoded = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	secret, err := ParseSecret(encoded)
	require.NoError(t, err)
	ref, err := standardwebhooks.NewWebhook(encoded)
	require.NoError(t, err)
	ts := time.Unix(1614265330, 0)
	body := []byte(`{"test": 2432232314}`)

	refSig, err := ref.Sign("msg_p5jXN8AQM9LWM0D4loKWxJek", ts, body)
	require.NoError(t, err)
	require.Equal(t, refSig, secret.Sign("msg_p5jXN8AQM9LWM0D4loKWxJek", ts, body))
	require.Equal(t, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", refSig)

	h := http.Header{}
	SignHeaders(h, "msg_1", ts, body, secret)
	require.NoError(t, ref.VerifyIgnoringTimestamp(body, h))
	_, err = VerifyStandard(h, body, []Secret{secret}, ts, 0)
	require.NoError(t, err)
}

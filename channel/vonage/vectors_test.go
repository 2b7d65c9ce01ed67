package vonage

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/internal/httpintake/intaketest"
)

// vectorFile is the shared webhook signature test vectors.
type vectorFile = intaketest.VectorFile

type vector = intaketest.Vector

func loadVectors(tb testing.TB) vectorFile { return intaketest.LoadVectors(tb) }

// verifyVector runs the verification a receiver performs (size limit,
// signature, freshness, replay) and remembers the replay key on success.
func verifyVector(t *testing.T, f vectorFile, v vector, store PartStore) error {
	t.Helper()
	ctx := context.Background()
	r := v.HTTPRequest("/inbox/webhooks/vonage")
	body, err := readBody(httptest.NewRecorder(), r, f.Policy.MaxBodyBytes)
	if err != nil {
		return err
	}
	tolerance := time.Duration(f.Policy.TimestampToleranceSeconds) * time.Second
	var key string
	switch v.Kind {
	case "vonage-sms":
		p, err := ReadSMSParams(r.URL.RawQuery, r.Header.Get("Content-Type"), body)
		if err != nil {
			return err
		}
		method, err := ParseSignatureMethod(v.Method)
		require.NoError(t, err)
		if err := VerifySMS(p, []byte(v.Secret), method, v.Clock(), tolerance); err != nil {
			return err
		}
		key = smsReplayKey("integration-1", p)
	case "vonage-messages-jwt":
		claims, err := VerifyJWT(r.Header.Get("Authorization"), body, []byte(v.Secret), v.Clock(), tolerance)
		if err != nil {
			return err
		}
		key = jwtReplayKey("integration-1", claims)
	default:
		t.Fatalf("unexpected kind %q", v.Kind)
	}
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
		return []ErrorCode{ErrorCode(class), CodeMalformedTimestamp}
	}
	return []ErrorCode{ErrorCode(class)}
}

func TestVectors(t *testing.T) {
	intaketest.VectorSuite[PartStore]{
		Kinds:    []string{"vonage-sms", "vonage-messages-jwt"},
		MinRan:   60,
		NewState: func() PartStore { return NewMemoryPartStore() },
		Verify:   verifyVector,
		CheckRefusal: func(t *testing.T, v vector, err error) {
			require.Contains(t, acceptableCodes(v.ExpectError), CodeOf(err), "error: %v", err)
		},
		Groups: true,
	}.Run(t, loadVectors(t))
}

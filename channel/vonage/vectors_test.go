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
	f := loadVectors(t)
	byName := map[string]vector{}
	groups := map[string][]vector{}
	for _, v := range f.Vectors {
		byName[v.Name] = v
		if v.Group != "" {
			groups[v.Group] = append(groups[v.Group], v)
		}
	}
	ran := 0
	for _, v := range f.Vectors {
		if v.Kind != "vonage-sms" && v.Kind != "vonage-messages-jwt" {
			continue
		}
		ran++
		t.Run(v.Name, func(t *testing.T) {
			if v.BodyGenerator != nil {
				require.Len(t, v.Body(), v.BodyLength)
			}
			store := NewMemoryPartStore()
			if v.ReplayOf != "" {
				orig, ok := byName[v.ReplayOf]
				require.True(t, ok, "replay_of names a vector")
				require.NoError(t, verifyVector(t, f, orig, store), "the original request is accepted")
			}
			err := verifyVector(t, f, v, store)
			if v.Valid {
				require.NoError(t, err, "expected valid")
				return
			}
			require.Error(t, err, "expected %s", v.ExpectError)
			require.Contains(t, acceptableCodes(v.ExpectError), CodeOf(err), "error: %v", err)
			require.NotContains(t, err.Error(), v.Secret, "errors never echo the secret")
		})
	}
	require.Greater(t, ran, 60)

	for name, members := range groups {
		t.Run("group/"+name, func(t *testing.T) {
			store := NewMemoryPartStore()
			for _, v := range members {
				require.NoError(t, verifyVector(t, f, v, store), v.Name)
			}
		})
	}
}

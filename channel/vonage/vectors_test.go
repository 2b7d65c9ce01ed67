package vonage

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// vectorFile is the shared webhook signature test vectors (see
// testdata/webhook-vectors.md).
type vectorFile struct {
	Policy struct {
		TimestampToleranceSeconds int   `json:"timestamp_tolerance_seconds"`
		MaxBodyBytes              int64 `json:"max_body_bytes"`
	} `json:"policy"`
	Vectors []vector `json:"vectors"`
}

type vector struct {
	Name    string `json:"name"`
	Kind    string `json:"kind"`
	Method  string `json:"method"`
	Secret  string `json:"secret"`
	Request struct {
		HTTPMethod  string            `json:"http_method"`
		ContentType *string           `json:"content_type"`
		Query       string            `json:"query"`
		Body        *string           `json:"body"`
		Headers     map[string]string `json:"headers"`
	} `json:"request"`
	Now           int64  `json:"now"`
	Valid         bool   `json:"valid"`
	ExpectError   string `json:"expect_error"`
	ReplayOf      string `json:"replay_of"`
	Group         string `json:"group"`
	Optional      bool   `json:"optional"`
	BodyGenerator *struct {
		Prefix     string `json:"prefix"`
		Fill       string `json:"fill"`
		Suffix     string `json:"suffix"`
		TotalBytes int    `json:"total_bytes"`
	} `json:"body_generator"`
	BodyLength int `json:"body_length"`
}

func loadVectors(tb testing.TB) vectorFile {
	tb.Helper()
	raw, err := os.ReadFile("testdata/webhook-vectors.json")
	require.NoError(tb, err)
	var f vectorFile
	require.NoError(tb, json.Unmarshal(raw, &f))
	require.NotEmpty(tb, f.Vectors)
	return f
}

func (v vector) body() []byte {
	if g := v.BodyGenerator; g != nil {
		n := g.TotalBytes - len(g.Prefix) - len(g.Suffix)
		return []byte(g.Prefix + strings.Repeat(g.Fill, n) + g.Suffix)
	}
	if v.Request.Body == nil {
		return nil
	}
	return []byte(*v.Request.Body)
}

func (v vector) clock() time.Time { return time.Unix(v.Now, 0) }

func (v vector) httpRequest(target string) *http.Request {
	url := target
	if v.Request.Query != "" {
		url += "?" + v.Request.Query
	}
	var r *http.Request
	if b := v.body(); b != nil {
		r = httptest.NewRequest(v.Request.HTTPMethod, url, strings.NewReader(string(b)))
	} else {
		r = httptest.NewRequest(v.Request.HTTPMethod, url, nil)
	}
	for k, val := range v.Request.Headers {
		r.Header.Set(k, val)
	}
	return r
}

// verifyVector runs the verification a receiver performs (size limit,
// signature, freshness, replay) and remembers the replay key on success.
func verifyVector(t *testing.T, f vectorFile, v vector, store PartStore) error {
	t.Helper()
	ctx := context.Background()
	r := v.httpRequest("/inbox/webhooks/vonage")
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
		if err := VerifySMS(p, []byte(v.Secret), method, v.clock(), tolerance); err != nil {
			return err
		}
		key = smsReplayKey("integration-1", p)
	case "vonage-messages-jwt":
		claims, err := VerifyJWT(r.Header.Get("Authorization"), body, []byte(v.Secret), v.clock(), tolerance)
		if err != nil {
			return err
		}
		key = jwtReplayKey("integration-1", claims)
	default:
		t.Fatalf("unexpected kind %q", v.Kind)
	}
	if err := checkReplay(ctx, store, key, v.clock()); err != nil {
		return err
	}
	return store.Remember(ctx, key, v.clock().Add(DefaultReplayWindow))
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
				require.Len(t, v.body(), v.BodyLength)
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

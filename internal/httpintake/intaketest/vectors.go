package intaketest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/internal/corpus"
)

// VectorFile is the shared webhook signature test vectors,
// webhooks/vectors.json of the test corpus (its README describes them).
type VectorFile struct {
	Policy struct {
		TimestampToleranceSeconds int   `json:"timestamp_tolerance_seconds"`
		MaxBodyBytes              int64 `json:"max_body_bytes"`
	} `json:"policy"`
	Vectors []Vector `json:"vectors"`
}

// Vector is one signed request and the verdict expected for it.
type Vector struct {
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

// LoadVectors reads the vectors from the test corpus, skipping the test
// when the corpus is absent (failing it when services are required).
func LoadVectors(tb testing.TB) VectorFile {
	tb.Helper()
	raw, err := os.ReadFile(filepath.Join(corpus.Require(tb), "webhooks", "vectors.json"))
	require.NoError(tb, err)
	var f VectorFile
	require.NoError(tb, json.Unmarshal(raw, &f))
	require.NotEmpty(tb, f.Vectors)
	return f
}

// SeedVectors passes add every vector of kind with a literal body, to
// seed a fuzz corpus.
func SeedVectors(tb testing.TB, kind string, add func(v Vector)) {
	tb.Helper()
	for _, v := range LoadVectors(tb).Vectors {
		if v.Kind == kind && v.BodyGenerator == nil {
			add(v)
		}
	}
}

// Body returns the request body: generated, literal, or nil for none.
func (v Vector) Body() []byte {
	if g := v.BodyGenerator; g != nil {
		n := g.TotalBytes - len(g.Prefix) - len(g.Suffix)
		return []byte(g.Prefix + strings.Repeat(g.Fill, n) + g.Suffix)
	}
	if v.Request.Body == nil {
		return nil
	}
	return []byte(*v.Request.Body)
}

// Clock returns the time the vector is checked at.
func (v Vector) Clock() time.Time { return time.Unix(v.Now, 0) }

// HTTPRequest builds the vector's request to target (a path).
func (v Vector) HTTPRequest(target string) *http.Request {
	url := target
	if v.Request.Query != "" {
		url += "?" + v.Request.Query
	}
	var r *http.Request
	if b := v.Body(); b != nil {
		r = httptest.NewRequest(v.Request.HTTPMethod, url, strings.NewReader(string(b)))
	} else {
		r = httptest.NewRequest(v.Request.HTTPMethod, url, nil)
	}
	for k, val := range v.Request.Headers {
		r.Header.Set(k, val)
	}
	return r
}

// ByName indexes the vectors by name, for finding the original of a
// replay.
func (f VectorFile) ByName() map[string]Vector {
	byName := make(map[string]Vector, len(f.Vectors))
	for _, v := range f.Vectors {
		byName[v.Name] = v
	}
	return byName
}

// Serve runs r through h and returns the recorded answer.
func Serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

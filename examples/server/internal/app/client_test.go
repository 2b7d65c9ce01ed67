package app_test

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"testing"

	"github.com/stretchr/testify/require"
)

// client speaks to the API as a browser (cookie + CSRF) or a program
// (Bearer token).
type client struct {
	t      *testing.T
	base   string
	http   *http.Client
	csrf   string
	bearer string
}

func newClient(t *testing.T, base string) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, base: base, http: &http.Client{Jar: jar}}
}

// login opens a session and keeps its CSRF token.
func (c *client) login(email, password string) *client {
	c.t.Helper()
	res, body := c.do(http.MethodPost, "/inbox/session", map[string]string{"email": email, "password": password})
	require.Equal(c.t, http.StatusOK, res.StatusCode, string(body))
	var s struct {
		CSRF string `json:"csrf_token"`
	}
	require.NoError(c.t, json.Unmarshal(body, &s))
	c.csrf = s.CSRF
	return c
}

func (c *client) do(method, path string, body any) (*http.Response, []byte) {
	c.t.Helper()
	var r io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		require.NoError(c.t, err)
		r = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, c.base+path, r)
	require.NoError(c.t, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return c.send(req)
}

func (c *client) send(req *http.Request) (*http.Response, []byte) {
	c.t.Helper()
	if c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	if c.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	}
	res, err := c.http.Do(req)
	require.NoError(c.t, err)
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	require.NoError(c.t, err)
	return res, raw
}

// json performs a request expecting status and decodes the answer.
func (c *client) json(method, path string, body any, status int, out any) {
	c.t.Helper()
	res, raw := c.do(method, path, body)
	require.Equal(c.t, status, res.StatusCode, "%s %s: %s", method, path, raw)
	if out != nil {
		require.NoError(c.t, json.Unmarshal(raw, out), string(raw))
	}
}

// problem performs a request expecting a problem document.
func (c *client) problem(method, path string, body any, status int) problemDoc {
	c.t.Helper()
	res, raw := c.do(method, path, body)
	require.Equal(c.t, status, res.StatusCode, "%s %s: %s", method, path, raw)
	require.Equal(c.t, "application/problem+json", res.Header.Get("Content-Type"), string(raw))
	var p problemDoc
	require.NoError(c.t, json.Unmarshal(raw, &p))
	require.Equal(c.t, status, p.Status)
	require.NotEmpty(c.t, p.Title)
	return p
}

type problemDoc struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Errors []struct {
		Field  string `json:"field"`
		Reason string `json:"reason"`
	} `json:"errors"`
}

func (p problemDoc) fields() []string {
	var out []string
	for _, e := range p.Errors {
		out = append(out, e.Field)
	}
	return out
}

// multipartReply builds a reply with files.
func (c *client) multipartReply(path, text string, version int64, files map[string][]byte, contentType string) (*http.Response, []byte) {
	c.t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	require.NoError(c.t, w.WriteField("text", text))
	require.NoError(c.t, w.WriteField("version", jsonNumber(version)))
	for name, data := range files {
		h := make(map[string][]string)
		h["Content-Disposition"] = []string{`form-data; name="attachments"; filename="` + name + `"`}
		h["Content-Type"] = []string{contentType}
		part, err := w.CreatePart(h)
		require.NoError(c.t, err)
		_, _ = part.Write(data)
	}
	require.NoError(c.t, w.Close())
	req, err := http.NewRequest(http.MethodPost, c.base+path, &buf)
	require.NoError(c.t, err)
	req.Header.Set("Content-Type", w.FormDataContentType())
	return c.send(req)
}

func jsonNumber(v int64) string {
	raw, _ := json.Marshal(v)
	return string(raw)
}

func jsonUnmarshal(raw []byte, v any) error { return json.Unmarshal(raw, v) }

// Package corpus locates the shared test corpus (the mail corpus with its
// manifest, and the webhook signature vectors) for inboxkit's tests.
//
// The corpus lives outside the module, in a "shared/testdata" folder next
// to the repository checkout; INBOXKIT_TESTDATA overrides the location.
package corpus

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/inboxkit/inboxkit/internal/testenv"
)

// Dir returns the testdata directory, or an error saying where it looked.
func Dir() (string, error) {
	if d := os.Getenv("INBOXKIT_TESTDATA"); d != "" {
		if _, err := os.Stat(filepath.Join(d, "mail", "manifest.json")); err != nil {
			return "", fmt.Errorf("INBOXKIT_TESTDATA=%s: %w", d, err)
		}
		return d, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		for _, cand := range []string{filepath.Join(dir, "shared", "testdata"), filepath.Join(dir, "testdata")} {
			if _, err := os.Stat(filepath.Join(cand, "mail", "manifest.json")); err == nil {
				return cand, nil
			}
		}
		if filepath.Dir(dir) == dir {
			return "", errors.New("no shared/testdata/mail/manifest.json above " + wd + " (set INBOXKIT_TESTDATA)")
		}
	}
}

// Require returns the testdata directory or ends the test: a skip
// normally, a failure when INBOXKIT_TEST_REQUIRE_SERVICES is set (as the
// test script does), so CI never silently skips corpus tests.
func Require(t testing.TB) string {
	t.Helper()
	d, err := Dir()
	if err != nil {
		testenv.Missing(t, "test corpus not found: %v", err)
	}
	return d
}

// Case is one entry of mail/manifest.json.
type Case struct {
	File       string         `json:"file"`
	Category   string         `json:"category"`
	Automated  bool           `json:"automated"`
	Newsletter bool           `json:"newsletter"`
	Bounce     bool           `json:"bounce"`
	Thread     string         `json:"thread"`
	Generated  bool           `json:"generated"`
	Expect     map[string]any `json:"expect"`
}

// Manifest reads mail/manifest.json.
func Manifest(t testing.TB) (dir string, cases []Case) {
	t.Helper()
	d := Require(t)
	raw, err := os.ReadFile(filepath.Join(d, "mail", "manifest.json"))
	if err != nil {
		t.Fatalf("read manifest: %v", err)
	}
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatalf("parse manifest: %v", err)
	}
	return filepath.Join(d, "mail"), cases
}

// String returns expect[key] as a string ("" when absent or null).
func (c Case) String(key string) string {
	s, _ := c.Expect[key].(string)
	return s
}

// Strings returns expect[key] as a list of strings.
func (c Case) Strings(key string) []string {
	list, _ := c.Expect[key].([]any)
	out := make([]string, 0, len(list))
	for _, v := range list {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

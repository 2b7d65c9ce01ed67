// Package corpus locates inboxkit's test corpus (the mail corpus with its
// manifest, and the webhook signature vectors) for the tests.
//
// The corpus is part of the module: testdata/ at the module root holds
// mail/ (the .eml files, manifest.json and the generator of the large
// message) and webhooks/ (vectors.json). INBOXKIT_TESTDATA points the tests
// at another copy with the same layout.
package corpus

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// Dir returns the testdata directory, or an error saying where it looked.
func Dir() (string, error) {
	if d := os.Getenv("INBOXKIT_TESTDATA"); d != "" {
		if _, err := os.Stat(filepath.Join(d, "mail", "manifest.json")); err != nil {
			return "", fmt.Errorf("INBOXKIT_TESTDATA=%s: %w", d, err)
		}
		return d, nil
	}
	// This file sits at internal/corpus in the module; the module root is
	// two levels up. The source path is the reliable anchor: a test's
	// working directory is its package, which may be anywhere in the tree.
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", errors.New("corpus: cannot locate the module root")
	}
	d := filepath.Join(filepath.Dir(file), "..", "..", "testdata")
	if _, err := os.Stat(filepath.Join(d, "mail", "manifest.json")); err != nil {
		return "", fmt.Errorf("corpus: %w (the module's testdata/ folder is incomplete; set INBOXKIT_TESTDATA to use another copy)", err)
	}
	return filepath.Clean(d), nil
}

// Require returns the testdata directory or fails the test. The corpus is
// part of the module, so its absence is a broken checkout, never a reason
// to skip.
func Require(t testing.TB) string {
	t.Helper()
	d, err := Dir()
	if err != nil {
		t.Fatalf("test corpus: %v", err)
	}
	return d
}

// MailDir returns the mail corpus directory (testdata/mail).
func MailDir(t testing.TB) string {
	t.Helper()
	return filepath.Join(Require(t), "mail")
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
	d := MailDir(t)
	raw, err := os.ReadFile(filepath.Join(d, "manifest.json"))
	if err != nil {
		t.Fatalf("read manifest: %v", err)
	}
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatalf("parse manifest: %v", err)
	}
	return d, cases
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

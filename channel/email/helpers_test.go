package email

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
)

// corpusDir is the shared mail corpus.
const corpusDir = "../../../shared/testdata/mail"

// corpusCase is one manifest entry.
type corpusCase struct {
	File       string         `json:"file"`
	Category   string         `json:"category"`
	Automated  bool           `json:"automated"`
	Newsletter bool           `json:"newsletter"`
	Bounce     bool           `json:"bounce"`
	Thread     string         `json:"thread"`
	Generated  bool           `json:"generated"`
	Expect     map[string]any `json:"expect"`

	path string
}

// corpus loads the manifest, generating the large message into a temp
// directory. It skips the test when the corpus is absent.
func corpus(t testing.TB) []corpusCase {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(corpusDir, "manifest.json"))
	if os.IsNotExist(err) {
		t.Skipf("mail corpus not found at %s", corpusDir)
	}
	require.NoError(t, err)
	var cases []corpusCase
	require.NoError(t, json.Unmarshal(raw, &cases))
	genDir := ""
	for i := range cases {
		c := &cases[i]
		c.path = filepath.Join(corpusDir, c.File)
		if !c.Generated {
			continue
		}
		if _, err := os.Stat(c.path); err == nil {
			continue
		}
		if genDir == "" {
			genDir = generatedDir(t)
		}
		c.path = filepath.Join(genDir, c.File)
	}
	return cases
}

var generated struct {
	once sync.Once
	dir  string
	err  error
}

// generatedDir runs gen_large.py once per test binary.
func generatedDir(t testing.TB) string {
	generated.once.Do(func() {
		dir, err := os.MkdirTemp("", "inboxkit-mail-")
		if err != nil {
			generated.err = err
			return
		}
		cmd := exec.Command("python3", filepath.Join(corpusDir, "gen_large.py"), dir)
		if out, err := cmd.CombinedOutput(); err != nil {
			generated.err = fmt.Errorf("gen_large.py: %v: %s", err, out)
			return
		}
		generated.dir = dir
	})
	if generated.err != nil {
		t.Skipf("cannot generate the large corpus message: %v", generated.err)
	}
	return generated.dir
}

// memBlobs is an in-memory inbox.BlobStore for tests.
type memBlobs struct {
	mu   sync.Mutex
	data map[string][]byte
}

var _ inbox.BlobStore = (*memBlobs)(nil)

func newMemBlobs() *memBlobs { return &memBlobs{data: map[string][]byte{}} }

func (m *memBlobs) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.data[key] = b
	return int64(len(b)), nil
}

func (m *memBlobs) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.data[key]
	if !ok {
		return nil, fmt.Errorf("blob %q: %w", key, inbox.ErrNotFound)
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

func (m *memBlobs) Delete(ctx context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.data, key)
	return nil
}

func (m *memBlobs) len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.data)
}

func sprintAll(v any) string { return fmt.Sprintf("%v %+v %#v %s", v, v, v, v) }

// base64Lines encodes b as MIME base64 with 76-character lines.
func base64Lines(b []byte) string {
	s := base64.StdEncoding.EncodeToString(b)
	var out strings.Builder
	for len(s) > 76 {
		out.WriteString(s[:76] + "\r\n")
		s = s[76:]
	}
	out.WriteString(s + "\r\n")
	return out.String()
}

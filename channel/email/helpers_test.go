package email

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/internal/corpus"
	"github.com/inboxkit/inboxkit/internal/testenv"
)

// corpusCase is one manifest entry with the path of its file.
type corpusCase struct {
	corpus.Case
	path string
}

// corpus loads the shared corpus manifest (internal/corpus finds it and
// skips, or fails under the test script, when it is absent), generating
// the large message into a temporary directory.
func loadCorpus(t testing.TB) []corpusCase {
	t.Helper()
	dir, cases := corpus.Manifest(t)
	out := make([]corpusCase, len(cases))
	genDir := ""
	for i, c := range cases {
		out[i] = corpusCase{Case: c, path: filepath.Join(dir, c.File)}
		if !c.Generated {
			continue
		}
		if _, err := os.Stat(out[i].path); err == nil {
			continue
		}
		if genDir == "" {
			genDir = generatedDir(t, dir)
		}
		out[i].path = filepath.Join(genDir, c.File)
	}
	return out
}

// corpusFiles returns the corpus's .eml files (fuzz seeds, benchmarks).
func corpusFiles(t testing.TB) []string {
	t.Helper()
	dir, _ := corpus.Manifest(t)
	files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
	return files
}

var generated struct {
	once sync.Once
	dir  string
	err  error
}

// generatedDir runs gen_large.py once per test binary.
func generatedDir(t testing.TB, corpusDir string) string {
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
		testenv.Missing(t, "cannot generate the large corpus message: %v", generated.err)
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

package learn

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	"github.com/inboxkit/inboxkit/inbox"
)

// snapshot is the saved form of a tenant's model. Features are hashes:
// a saved model holds no customer text.
type snapshot struct {
	Version int       `json:"version"`
	Folders []string  `json:"folders"`
	Docs    []float64 `json:"docs"`
	// Features maps a hex hash to its per-folder weight sums followed by
	// its document frequency.
	Features map[string][]float64 `json:"features"`
}

const snapshotVersion = 1

// Marshal encodes a tenant's model so the host can save it (in its own
// table, a blob, a file). A tenant without a model encodes as an empty
// model.
func (l *Learner) Marshal(tenant inbox.TenantID) ([]byte, error) {
	s := snapshot{Version: snapshotVersion, Features: map[string][]float64{}}
	if tm := l.tenant(tenant, false); tm != nil {
		tm.mu.Lock()
		m := tm.m
		s.Folders = append(s.Folders, m.classes...)
		s.Docs = append(s.Docs, m.docs...)
		for k, row := range m.counts {
			out := make([]float64, len(m.classes)+1)
			copy(out, row)
			out[len(m.classes)] = m.df[k]
			s.Features[strconv.FormatUint(k, 16)] = out
		}
		tm.mu.Unlock()
	}
	data, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("learner: marshal model of tenant %q: %w", tenant, err)
	}
	return data, nil
}

// Unmarshal replaces a tenant's model with one saved by Marshal. Data
// that is not such a model is refused with an error wrapping
// inbox.ErrInvalid and the current model is kept.
func (l *Learner) Unmarshal(tenant inbox.TenantID, data []byte) error {
	m, err := decodeSnapshot(data)
	if err != nil {
		return fmt.Errorf("learner: restore model of tenant %q: %w", tenant, err)
	}
	tm := l.tenant(tenant, true)
	tm.mu.Lock()
	tm.m = m
	tm.mu.Unlock()
	return nil
}

func decodeSnapshot(data []byte) (*model, error) {
	var s snapshot
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, inbox.Invalid("model", "malformed JSON: "+err.Error())
	}
	if s.Version != snapshotVersion {
		return nil, inbox.Invalid("model.version", fmt.Sprintf("is %d, want %d", s.Version, snapshotVersion))
	}
	if len(s.Docs) != len(s.Folders) {
		return nil, inbox.Invalid("model.docs", fmt.Sprintf("has %d counts for %d folders", len(s.Docs), len(s.Folders)))
	}
	m := newModel()
	for i, id := range s.Folders {
		if id == "" {
			return nil, inbox.Invalid(fmt.Sprintf("model.folders[%d]", i), "is empty")
		}
		if _, dup := m.index[id]; dup {
			return nil, inbox.Invalid(fmt.Sprintf("model.folders[%d]", i), fmt.Sprintf("repeats folder %q", id))
		}
		if !finite(s.Docs[i]) || s.Docs[i] < 0 {
			return nil, inbox.Invalid(fmt.Sprintf("model.docs[%d]", i), "must be a non-negative number")
		}
		c := m.class(id)
		m.docs[c] = s.Docs[i]
		m.n += s.Docs[i]
	}
	for key, row := range s.Features {
		k, err := strconv.ParseUint(key, 16, 64)
		if err != nil {
			return nil, inbox.Invalid("model.features", fmt.Sprintf("key %q is not a hex hash", key))
		}
		if len(row) != len(s.Folders)+1 {
			return nil, inbox.Invalid("model.features", fmt.Sprintf("feature %s has %d values, want %d", key, len(row), len(s.Folders)+1))
		}
		for _, v := range row {
			if !finite(v) || v < 0 {
				return nil, inbox.Invalid("model.features", fmt.Sprintf("feature %s has a negative or non-finite value", key))
			}
		}
		counts := append([]float64(nil), row[:len(s.Folders)]...)
		m.counts[k] = counts
		m.df[k] = row[len(s.Folders)]
		for c, v := range counts {
			m.totals[c] += v
		}
	}
	m.dirty = true
	return m, nil
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

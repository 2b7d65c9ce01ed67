package classify

import (
	"cmp"
	"slices"
	"time"

	"github.com/inboxkit/inboxkit/inbox"
)

// Record is one automatic decision kept for accuracy statistics: what a
// classifier decided for a conversation, and when.
type Record struct {
	TenantID       inbox.TenantID `json:"tenant_id"`
	ConversationID string         `json:"conversation_id"`
	// MessageID is the message that was classified, if known.
	MessageID string         `json:"message_id,omitempty"`
	Decision  inbox.Decision `json:"decision"`
}

// Correction is an agent filing a conversation by hand, which tells
// whether the automatic decision before it was right.
type Correction struct {
	TenantID       inbox.TenantID `json:"tenant_id"`
	ConversationID string         `json:"conversation_id"`
	// FolderID is where the agent put it ("" = unfiled).
	FolderID string    `json:"folder_id"`
	Agent    string    `json:"agent,omitempty"`
	At       time.Time `json:"at"`
}

// Range selects decisions by time: Since inclusive, Until exclusive; a
// zero bound does not limit.
type Range struct {
	Since, Until time.Time
}

// Contains reports whether t falls in r.
func (r Range) Contains(t time.Time) bool {
	return (r.Since.IsZero() || !t.Before(r.Since)) && (r.Until.IsZero() || t.Before(r.Until))
}

// Score counts decisions and how many of them agents left alone.
type Score struct {
	Decisions int `json:"decisions"`
	Correct   int `json:"correct"`
}

// Accuracy is Correct / Decisions, 0 without decisions.
func (s Score) Accuracy() float64 {
	if s.Decisions == 0 {
		return 0
	}
	return float64(s.Correct) / float64(s.Decisions)
}

func (s *Score) add(correct bool) {
	s.Decisions++
	if correct {
		s.Correct++
	}
}

// Report is the accuracy of automatic filing over a time range.
type Report struct {
	Range   Range `json:"range"`
	Overall Score `json:"overall"`
	// ByClassifier is keyed by Decision.By ("rules", "ai", "learner"...).
	ByClassifier map[string]Score `json:"by_classifier"`
	// ByFolder is keyed by the folder a classifier chose (precision);
	// ByActualFolder by the folder the conversation belonged in (recall).
	ByFolder       map[string]Score `json:"by_folder"`
	ByActualFolder map[string]Score `json:"by_actual_folder"`
	// Confusion[chosen][actual] counts decisions; "" is unfiled.
	Confusion map[string]map[string]int `json:"confusion"`
	// Folders lists every folder id of the confusion matrix, sorted.
	Folders []string `json:"folders"`
	// Failed counts decisions in the range that recorded an error;
	// Unfiled those that did not choose a folder (status or labels only).
	Failed  int `json:"failed"`
	Unfiled int `json:"unfiled"`
}

// Accuracy measures automatic filing: each automatic decision in r that
// chose a folder is correct unless an agent filed the conversation
// elsewhere before the next automatic decision about it. Records and
// corrections may come in any order and from several tenants; manual
// records (By "manual") are ignored as decisions.
func Accuracy(records []Record, corrections []Correction, r Range) Report {
	rep := Report{
		Range: r, ByClassifier: map[string]Score{}, ByFolder: map[string]Score{},
		ByActualFolder: map[string]Score{}, Confusion: map[string]map[string]int{},
	}
	type convKey struct {
		tenant inbox.TenantID
		id     string
	}
	byConv := map[convKey][]Correction{}
	for _, c := range corrections {
		k := convKey{c.TenantID, c.ConversationID}
		byConv[k] = append(byConv[k], c)
	}
	for _, cs := range byConv {
		slices.SortStableFunc(cs, func(a, b Correction) int { return a.At.Compare(b.At) })
	}
	autos := map[convKey][]time.Time{} // automatic decision times, to bound each one's corrections
	for _, rec := range records {
		if rec.Decision.By == inbox.DecidedByManual {
			continue
		}
		k := convKey{rec.TenantID, rec.ConversationID}
		autos[k] = append(autos[k], rec.Decision.At)
	}
	for _, ts := range autos {
		slices.SortFunc(ts, func(a, b time.Time) int { return a.Compare(b) })
	}
	folders := map[string]bool{}
	for _, rec := range records {
		d := rec.Decision
		if d.By == inbox.DecidedByManual || !r.Contains(d.At) {
			continue
		}
		if d.Error != "" {
			rep.Failed++
			continue
		}
		if d.FolderID == "" {
			rep.Unfiled++
			continue
		}
		k := convKey{rec.TenantID, rec.ConversationID}
		next := nextAfter(autos[k], d.At)
		actual := d.FolderID
		for _, c := range byConv[k] {
			if c.At.Before(d.At) {
				continue
			}
			if !next.IsZero() && !c.At.Before(next) {
				break
			}
			actual = c.FolderID // the agent's last word before the next decision
		}
		correct := actual == d.FolderID
		by := cmp.Or(d.By, "unknown")
		rep.Overall.add(correct)
		bump(rep.ByClassifier, by, correct)
		bump(rep.ByFolder, d.FolderID, correct)
		bump(rep.ByActualFolder, actual, correct)
		if rep.Confusion[d.FolderID] == nil {
			rep.Confusion[d.FolderID] = map[string]int{}
		}
		rep.Confusion[d.FolderID][actual]++
		folders[d.FolderID], folders[actual] = true, true
	}
	for f := range folders {
		rep.Folders = append(rep.Folders, f)
	}
	slices.Sort(rep.Folders)
	return rep
}

func bump(m map[string]Score, k string, correct bool) {
	s := m[k]
	s.add(correct)
	m[k] = s
}

// nextAfter returns the first time in sorted ts strictly after t.
func nextAfter(ts []time.Time, t time.Time) time.Time {
	i, _ := slices.BinarySearchFunc(ts, t, func(a, b time.Time) int {
		if a.After(b) {
			return 1
		}
		return -1
	})
	if i < len(ts) {
		return ts[i]
	}
	return time.Time{}
}

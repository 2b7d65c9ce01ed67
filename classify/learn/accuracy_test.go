package learn

import (
	"bufio"
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
)

// labelled is one line of testdata/labelled.jsonl.
type labelled struct {
	Text     string `json:"text"`
	Subject  string `json:"subject"`
	Channel  string `json:"channel"`
	Sender   string `json:"sender"`
	Folder   string `json:"folder"`
	Language string `json:"language"`
}

func loadLabelled(t testing.TB) []Example {
	f, err := os.Open(filepath.Join("..", "testdata", "labelled.jsonl"))
	require.NoError(t, err)
	defer f.Close()
	var out []Example
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var l labelled
		require.NoError(t, json.Unmarshal(sc.Bytes(), &l), sc.Text())
		out = append(out, Example{Subject: l.Subject, Text: l.Text, Channel: inbox.Source(l.Channel), Sender: l.Sender, Language: l.Language, FolderID: l.Folder})
	}
	require.NoError(t, sc.Err())
	return out
}

func inputOf(ex Example, folders []inbox.Folder) inbox.ClassifyInput {
	m := inbox.Message{Subject: ex.Subject, Text: ex.Text, Source: ex.Channel, Language: ex.Language}
	if strings.Contains(ex.Sender, "@") {
		m.From.Email = ex.Sender
	} else {
		m.From.Phone = ex.Sender
	}
	return inbox.ClassifyInput{Tenant: inbox.Tenant{ID: "cv"}, Message: m, Folders: folders}
}

type cvResult struct {
	correct, total       int
	perFolder            map[string][2]int // correct, total
	decided, decidedGood int               // at the default confidence threshold
	confidences          []float64
	rights               []bool
}

// crossValidate runs k-fold cross-validation of the learner on examples,
// with a fixed shuffle so results are reproducible.
func crossValidate(t testing.TB, examples []Example, k int) cvResult {
	order := rand.New(rand.NewPCG(7, 11)).Perm(len(examples))
	var folders []inbox.Folder
	for _, ex := range examples {
		if !slices.ContainsFunc(folders, func(f inbox.Folder) bool { return f.ID == ex.FolderID }) {
			folders = append(folders, inbox.Folder{ID: ex.FolderID, Name: ex.FolderID})
		}
	}
	res := cvResult{perFolder: map[string][2]int{}}
	for fold := range k {
		var train, test []Example
		for i, idx := range order {
			if i%k == fold {
				test = append(test, examples[idx])
			} else {
				train = append(train, examples[idx])
			}
		}
		always := New(Options{MinConfidence: -1})
		always.Train("cv", train)
		byDefault := New(Options{})
		byDefault.Train("cv", train)
		for _, ex := range test {
			d, err := always.Classify(context.Background(), inputOf(ex, folders))
			require.NoError(t, err)
			ok := d.FolderID == ex.FolderID
			res.confidences = append(res.confidences, d.Confidence)
			res.rights = append(res.rights, ok)
			res.total++
			pf := res.perFolder[ex.FolderID]
			pf[1]++
			if ok {
				res.correct++
				pf[0]++
			}
			res.perFolder[ex.FolderID] = pf
			d, err = byDefault.Classify(context.Background(), inputOf(ex, folders))
			require.NoError(t, err)
			if !d.Abstains() {
				res.decided++
				if d.FolderID == ex.FolderID {
					res.decidedGood++
				}
			}
		}
	}
	return res
}

// TestCrossValidatedAccuracy measures the learner on the labelled set
// (French, English, German and Spanish; email, SMS and WhatsApp) with
// 5-fold cross-validation.
func TestCrossValidatedAccuracy(t *testing.T) {
	examples := loadLabelled(t)
	require.GreaterOrEqual(t, len(examples), 200)
	res := crossValidate(t, examples, 5)
	overall := float64(res.correct) / float64(res.total)
	t.Logf("5-fold cross-validation on %d messages: %.1f %% (%d/%d)", res.total, 100*overall, res.correct, res.total)
	folders := make([]string, 0, len(res.perFolder))
	for f := range res.perFolder {
		folders = append(folders, f)
	}
	slices.Sort(folders)
	for _, f := range folders {
		pf := res.perFolder[f]
		t.Logf("  %-20s %5.1f %% (%d/%d)", f, 100*float64(pf[0])/float64(pf[1]), pf[0], pf[1])
	}
	t.Logf("at the default confidence threshold: decides %d/%d (%.1f %%), right %.1f %% of those",
		res.decided, res.total, 100*float64(res.decided)/float64(res.total), 100*float64(res.decidedGood)/float64(max(res.decided, 1)))
	for _, threshold := range []float64{0.3, 0.4, 0.5, 0.6, 0.7, 0.8} {
		n, good := 0, 0
		for i, c := range res.confidences {
			if c >= threshold {
				n++
				if res.rights[i] {
					good++
				}
			}
		}
		t.Logf("  confidence >= %.1f: %3d decisions, %.1f %% right", threshold, n, 100*float64(good)/float64(max(n, 1)))
	}
	require.GreaterOrEqual(t, overall, 0.80, "learner accuracy")
}

// TestBaselineBagOfWords shows what the features add: multinomial naive
// Bayes on raw lower-cased words, same folds.
func TestBaselineBagOfWords(t *testing.T) {
	examples := loadLabelled(t)
	order := rand.New(rand.NewPCG(7, 11)).Perm(len(examples))
	correct := 0
	for fold := range 5 {
		counts := map[string]map[string]float64{}
		totals := map[string]float64{}
		docs := map[string]float64{}
		vocab := map[string]bool{}
		tokens := func(ex Example) []string { return strings.Fields(strings.ToLower(ex.Subject + " " + ex.Text)) }
		for i, idx := range order {
			if i%5 == fold {
				continue
			}
			ex := examples[idx]
			if counts[ex.FolderID] == nil {
				counts[ex.FolderID] = map[string]float64{}
			}
			docs[ex.FolderID]++
			for _, w := range tokens(ex) {
				counts[ex.FolderID][w]++
				totals[ex.FolderID]++
				vocab[w] = true
			}
		}
		for i, idx := range order {
			if i%5 != fold {
				continue
			}
			ex := examples[idx]
			best, bestScore := "", 0.0
			for c := range counts {
				score := math.Log(docs[c])
				for _, w := range tokens(ex) {
					score += math.Log((counts[c][w] + 1) / (totals[c] + float64(len(vocab))))
				}
				if best == "" || score > bestScore {
					best, bestScore = c, score
				}
			}
			if best == ex.FolderID {
				correct++
			}
		}
	}
	t.Logf("baseline bag-of-words multinomial NB: %.1f %%", 100*float64(correct)/float64(len(examples)))
}

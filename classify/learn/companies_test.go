package learn

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
)

// companyMessage is one line of testdata/companies.jsonl (see
// testdata/README.md).
type companyMessage struct {
	labelled
	ID       string `json:"id"`
	Company  string `json:"company"`
	Category string `json:"category"`
	Intent   string `json:"intent"`
	Urgency  int    `json:"urgency"`
}

var (
	companiesOnce sync.Once
	companiesSet  []companyMessage
	companiesErr  error
)

func loadCompanies(t testing.TB) []companyMessage {
	companiesOnce.Do(func() {
		f, err := os.Open(filepath.Join("..", "testdata", "companies.jsonl"))
		if err != nil {
			companiesErr = err
			return
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var m companyMessage
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				companiesErr = fmt.Errorf("%s: %w", sc.Text(), err)
				return
			}
			companiesSet = append(companiesSet, m)
		}
		companiesErr = sc.Err()
	})
	require.NoError(t, companiesErr)
	return companiesSet
}

func (m companyMessage) example(label string) Example {
	return Example{Subject: m.Subject, Text: m.Text, Channel: inbox.Source(m.Channel), Sender: m.Sender, Language: m.Language, FolderID: label}
}

// prediction is the learner's answer on one test message, made with
// MinConfidence -1 so that every threshold can be computed afterwards.
type prediction struct {
	m          companyMessage
	got        string
	confidence float64
}

func (p prediction) right() bool { return p.got == p.m.Category }

// predict trains a learner with p on train (labelled by category) and
// classifies test.
func predict(t testing.TB, p params, train, test []companyMessage) []prediction {
	l := New(Options{MinConfidence: -1})
	l.p = p
	examples := make([]Example, len(train))
	for i, m := range train {
		examples[i] = m.example(m.Category)
	}
	l.Train("eval", examples)
	folders := make([]inbox.Folder, 0, len(categories))
	for _, c := range categories {
		folders = append(folders, inbox.Folder{ID: c, Name: c})
	}
	out := make([]prediction, 0, len(test))
	for _, m := range test {
		in := inputOf(m.example(""), folders)
		in.Tenant.ID = "eval"
		d, err := l.Classify(context.Background(), in)
		require.NoError(t, err)
		out = append(out, prediction{m: m, got: d.FolderID, confidence: d.Confidence})
	}
	return out
}

var categories = []string{"orders", "billing", "appointments", "complaints", "spam", "other"}

func companiesOf(ms []companyMessage) []string {
	var out []string
	for _, m := range ms {
		if !slices.Contains(out, m.Company) {
			out = append(out, m.Company)
		}
	}
	slices.Sort(out)
	return out
}

func split(ms []companyMessage, company string) (others, one []companyMessage) {
	for _, m := range ms {
		if m.Company == company {
			one = append(one, m)
		} else {
			others = append(others, m)
		}
	}
	return others, one
}

// stratifiedFolds deals each category's messages, shuffled with a fixed
// seed, round-robin into k folds.
func stratifiedFolds(ms []companyMessage, k int, seed uint64) [][]companyMessage {
	folds := make([][]companyMessage, k)
	r := rand.New(rand.NewPCG(seed, 3))
	for _, c := range categories {
		var of []companyMessage
		for _, m := range ms {
			if m.Category == c {
				of = append(of, m)
			}
		}
		r.Shuffle(len(of), func(i, j int) { of[i], of[j] = of[j], of[i] })
		for i, m := range of {
			folds[i%k] = append(folds[i%k], m)
		}
	}
	return folds
}

// inDomain is stratified 5-fold cross-validation inside each company,
// pooled: the situation of one tenant whose agents filed a few hundred
// messages.
func inDomain(t testing.TB, p params, ms []companyMessage) []prediction {
	var out []prediction
	for _, company := range companiesOf(ms) {
		_, one := split(ms, company)
		folds := stratifiedFolds(one, 5, 7)
		for i := range folds {
			var train []companyMessage
			for j, f := range folds {
				if j != i {
					train = append(train, f...)
				}
			}
			out = append(out, predict(t, p, train, folds[i])...)
		}
	}
	return out
}

// leaveOneCompanyOut trains on every company but one and tests on it.
func leaveOneCompanyOut(t testing.TB, p params, ms []companyMessage) []prediction {
	var out []prediction
	for _, company := range companiesOf(ms) {
		train, test := split(ms, company)
		out = append(out, predict(t, p, train, test)...)
	}
	return out
}

func accuracy(ps []prediction) float64 {
	n := 0
	for _, p := range ps {
		if p.right() {
			n++
		}
	}
	return float64(n) / float64(max(len(ps), 1))
}

// candidates are the parameter sets the nested selection chooses from:
// the default and variations of the weights that decide how much carries
// over between trades.
func candidateParams() []params {
	var out []params
	for _, concept := range []float64{2, 3} {
		for _, cue := range []float64{2, 3} {
			for _, char := range []float64{0.25} {
				p := defaultParams
				p.concept, p.cue, p.char = concept, cue, char
				out = append(out, p)
			}
		}
	}
	return out
}

// selectParams chooses, among the candidates, the one with the best
// leave-one-company-out accuracy on ms: the held-out company of the outer
// loop is never among ms.
func selectParams(t testing.TB, ms []companyMessage) params {
	best, bestAcc := defaultParams, -1.0
	for _, p := range candidateParams() {
		if acc := accuracy(leaveOneCompanyOut(t, p, ms)); acc > bestAcc {
			best, bestAcc = p, acc
		}
	}
	return best
}

// TestCompaniesAccuracy measures the learner on testdata/companies.jsonl:
// across companies (trained on four trades, tested on the fifth, with
// the weights chosen by cross-validation on the four only) and inside
// each company (stratified 5-fold), per folder, channel and language,
// with a learning curve and a confusion matrix.
func TestCompaniesAccuracy(t *testing.T) {
	ms := loadCompanies(t)
	require.GreaterOrEqual(t, len(ms), 1000)
	nested := testing.Short() == false && os.Getenv("LEARN_NESTED") != "0"

	var cross []prediction
	for _, company := range companiesOf(ms) {
		train, test := split(ms, company)
		p := defaultParams
		if nested {
			p = selectParams(t, train)
			t.Logf("held out %-9s weights chosen on the others: concept %.1f, cue %.1f, char %.2f", company, p.concept, p.cue, p.char)
		}
		cross = append(cross, predict(t, p, train, test)...)
	}
	in := inDomain(t, defaultParams, ms)

	var b strings.Builder
	fmt.Fprintf(&b, "\nlearner on %d messages of %d companies\n", len(ms), len(companiesOf(ms)))
	fmt.Fprintf(&b, "cross-domain (leave one company out): %.1f %%\n", 100*accuracy(cross))
	fmt.Fprintf(&b, "in-domain (stratified 5-fold per company): %.1f %%\n", 100*accuracy(in))
	table(&b, "per company", cross, in, func(p prediction) string { return p.m.Company })
	table(&b, "per folder (recall)", cross, in, func(p prediction) string { return p.m.Category })
	precision(&b, cross, in)
	table(&b, "per channel", cross, in, func(p prediction) string { return p.m.Channel })
	table(&b, "per language", cross, in, func(p prediction) string { return p.m.Language })
	thresholds(&b, cross, in)
	confusion(&b, "confusion, cross-domain (rows: right folder, columns: chosen)", cross)
	confusion(&b, "confusion, in-domain", in)
	learningCurve(t, &b, ms)
	t.Log(b.String())

	require.GreaterOrEqual(t, accuracy(in), 0.80, "in-domain accuracy")
	require.GreaterOrEqual(t, accuracy(cross), 0.70, "cross-domain accuracy")
}

func table(b *strings.Builder, title string, cross, in []prediction, key func(prediction) string) {
	fmt.Fprintf(b, "\n%-22s %14s %14s\n", title, "cross-domain", "in-domain")
	var keys []string
	for _, p := range append(slices.Clone(cross), in...) {
		if k := key(p); !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	if strings.HasPrefix(title, "per folder") {
		keys = categories
	} else {
		slices.Sort(keys)
	}
	for _, k := range keys {
		fmt.Fprintf(b, "  %-20s %14s %14s\n", k, share(cross, key, k), share(in, key, k))
	}
}

func share(ps []prediction, key func(prediction) string, k string) string {
	n, right := 0, 0
	for _, p := range ps {
		if key(p) == k {
			n++
			if p.right() {
				right++
			}
		}
	}
	return fmt.Sprintf("%5.1f %% (%d)", 100*float64(right)/float64(max(n, 1)), n)
}

func precision(b *strings.Builder, cross, in []prediction) {
	fmt.Fprintf(b, "\n%-22s %14s %14s\n", "per folder (precision)", "cross-domain", "in-domain")
	prec := func(ps []prediction, c string) string {
		n, right := 0, 0
		for _, p := range ps {
			if p.got == c {
				n++
				if p.right() {
					right++
				}
			}
		}
		return fmt.Sprintf("%5.1f %% (%d)", 100*float64(right)/float64(max(n, 1)), n)
	}
	for _, c := range categories {
		fmt.Fprintf(b, "  %-20s %14s %14s\n", c, prec(cross, c), prec(in, c))
	}
}

// coverage returns the share of messages filed at a threshold and the
// share of those filed right.
func coverage(ps []prediction, threshold float64) (filed, right float64) {
	n, good := 0, 0
	for _, p := range ps {
		if p.confidence >= threshold {
			n++
			if p.right() {
				good++
			}
		}
	}
	return float64(n) / float64(max(len(ps), 1)), float64(good) / float64(max(n, 1))
}

func thresholds(b *strings.Builder, cross, in []prediction) {
	fmt.Fprintf(b, "\n%-22s %22s %22s\n", "confidence threshold", "cross: filed / right", "in: filed / right")
	for _, th := range []float64{0.5, 0.6, 0.7, 0.8, 0.9} {
		cf, cr := coverage(cross, th)
		inf, inr := coverage(in, th)
		mark := ""
		if th == New(Options{}).opts.MinConfidence {
			mark = " (default)"
		}
		fmt.Fprintf(b, "  %-20s %9.1f %% / %5.1f %% %9.1f %% / %5.1f %%\n", fmt.Sprintf("%.1f%s", th, mark), 100*cf, 100*cr, 100*inf, 100*inr)
	}
}

func confusion(b *strings.Builder, title string, ps []prediction) {
	fmt.Fprintf(b, "\n%s\n  %-13s", title, "")
	for _, c := range categories {
		fmt.Fprintf(b, " %6.6s", c)
	}
	b.WriteByte('\n')
	for _, want := range categories {
		fmt.Fprintf(b, "  %-13s", want)
		for _, got := range categories {
			n := 0
			for _, p := range ps {
				if p.m.Category == want && p.got == got {
					n++
				}
			}
			fmt.Fprintf(b, " %6d", n)
		}
		b.WriteByte('\n')
	}
}

// learningCurve trains, inside each company, on n examples per folder
// (drawn at random, three draws) and tests on the company's other
// messages.
func learningCurve(t testing.TB, b *strings.Builder, ms []companyMessage) {
	fmt.Fprintf(b, "\nlearning curve, in-domain (n examples per folder, rest of the company as test)\n")
	for _, n := range []int{5, 20, 50} {
		var all []prediction
		skipped := 0
		for _, company := range companiesOf(ms) {
			_, one := split(ms, company)
			for draw := range 3 {
				r := rand.New(rand.NewPCG(uint64(draw), uint64(n)))
				var train, test []companyMessage
				for _, c := range categories {
					var of []companyMessage
					for _, m := range one {
						if m.Category == c {
							of = append(of, m)
						}
					}
					r.Shuffle(len(of), func(i, j int) { of[i], of[j] = of[j], of[i] })
					k := min(n, len(of)-5) // keep a few to test
					if k < n {
						skipped++
					}
					train = append(train, of[:k]...)
					test = append(test, of[k:]...)
				}
				all = append(all, predict(t, defaultParams, train, test)...)
			}
		}
		filed, right := coverage(all, New(Options{}).opts.MinConfidence)
		note := ""
		if skipped > 0 {
			note = fmt.Sprintf(" (%d folder draws had fewer, all but 5 used)", skipped)
		}
		fmt.Fprintf(b, "  %2d per folder: %5.1f %% right; at the default threshold files %5.1f %%, %5.1f %% right%s\n", n, 100*accuracy(all), 100*filed, 100*right, note)
	}
}

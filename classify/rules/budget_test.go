package rules

import (
	"context"
	"encoding/json"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
)

// bombBody is the 60 kB body the outside probe used.
var bombBody = strings.Repeat("a", 60_000) + "!"

// Expression bombs: each compiles (a host cannot tell them from a real
// rule by their size) and would run for minutes or allocate gigabytes
// without an evaluation budget.
var expressionBombs = []struct{ name, src string }{
	// The probe's two findings.
	{"regex per character", `any(split(body, ""), {body matches "(a+)+$"})`},
	{"join of copies", `len(join(map(split(body, ""), {body}), "")) < 0`},
	// Variants that get past one guard and must be stopped by another.
	{"join without split", `len(join(map(1..5000, {body}), "")) < 0`},
	{"replace amplifier", `len(replace(body, "a", body)) < 0`},
	{"concatenation in reduce", `len(reduce(1..5000, #acc + body, "")) < 0`},
	{"concatenation in map", `len(map(1..5000, {body + body})) < 0`},
	{"upper copies", `len(map(1..5000, {upper(body)})) < 0`},
	{"nested loops", `any(1..2000, {any(1..2000, {# < 0})})`},
	{"regex loop", `any(1..50000, {body matches "(a+)+$"})`},
	{"big range", `len(1..100000000) < 0`},
	{"words per word", `let w = split(body + " " + body, "a"); any(w, {len(split(body, "a")) < 0})`},
}

// runBounded evaluates f and fails the test if it does not return within
// limit; the evaluation is left running then (it cannot be stopped), so
// the failure is reported at once instead of hanging the suite.
func runBounded(t *testing.T, limit time.Duration, f func() error) (error, time.Duration, uint64) {
	t.Helper()
	type result struct {
		err     error
		elapsed time.Duration
		alloc   uint64
	}
	done := make(chan result, 1)
	go func() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		start := time.Now()
		err := f()
		elapsed := time.Since(start)
		runtime.ReadMemStats(&after)
		done <- result{err, elapsed, after.TotalAlloc - before.TotalAlloc}
	}()
	select {
	case r := <-done:
		return r.err, r.elapsed, r.alloc
	case <-time.After(limit):
		t.Fatalf("evaluation still running after %v", limit)
		return nil, 0, 0
	}
}

func TestExpressionBombsStopAtTheBudget(t *testing.T) {
	for _, bomb := range expressionBombs {
		t.Run(bomb.name, func(t *testing.T) {
			raw, err := json.Marshal(map[string]string{"expr": bomb.src})
			require.NoError(t, err)
			folders := []inbox.Folder{
				{ID: "bomb", Name: "Bomb", Position: 0, Version: 1, Rules: raw},
				{ID: "good", Name: "Good", Position: 1, Version: 1, Rules: json.RawMessage(`{"field":"subject","op":"contains","value":"ok"}`)},
			}
			c := New(Options{})
			msg := inbox.Message{Subject: "not filed", Text: bombBody}
			err, elapsed, alloc := runBounded(t, 10*time.Second, func() error {
				d, err := c.Classify(context.Background(), input(folders, msg))
				require.True(t, d.Abstains(), "a rule over its budget files nothing")
				return err
			})
			t.Logf("%s: %v, %d MB allocated: %v", bomb.name, elapsed, alloc>>20, err)
			require.Error(t, err, "the rule error is reported")
			require.Contains(t, err.Error(), `folder "Bomb"`)
			require.True(t, errors.Is(err, ErrBudget), "want the budget error, got %v", err)
			// Wall clock: the budget is MaxEvalTime per run; the bundle
			// and the folder's own run may each spend it, plus slack for
			// a loaded 2-core machine.
			require.Less(t, elapsed, 4*MaxEvalTime+time.Second)
			require.Less(t, alloc, uint64(64<<20), "allocation is bounded")

			// The other folders are still evaluated.
			msg.Subject = "ok"
			d, err := c.Classify(context.Background(), input(folders, msg))
			require.NoError(t, err)
			require.Equal(t, "good", d.FolderID)
		})
	}
}

func TestExpressionHonoursContextDeadline(t *testing.T) {
	p, err := Compile([]byte(`{"expr":"any(1..50000, {body matches \"(a+)+$\"})"}`))
	require.NoError(t, err)
	env := NewEnv(inbox.ClassifyInput{Message: inbox.Message{Text: bombBody}})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	err, elapsed, _ := runBounded(t, 10*time.Second, func() error {
		_, err := p.MatchContext(ctx, env)
		return err
	})
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Less(t, elapsed, MaxEvalTime, "the caller's deadline comes first")

	// A context cancelled before evaluation stops it at once.
	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	_, err = p.MatchContext(ctx, env)
	require.ErrorIs(t, err, context.Canceled)
}

func TestOrdinaryExpressionsFitTheBudget(t *testing.T) {
	env := NewEnv(inbox.ClassifyInput{Message: inbox.Message{
		From: inbox.Party{Email: "marches@ville.gouv.fr"}, Subject: "Appel d'offres",
		Text: strings.Repeat("bonjour, voici notre demande de devis. ", 1500),
		To:   []inbox.Party{{Email: "marches@shop.fr"}, {Email: "ventes@shop.fr"}},
	}})
	for _, src := range []string{
		`sender_domain endsWith ".gouv.fr" || any(recipients, {# startsWith "marches@"})`,
		`count(split(body, " "), {# == "devis."}) > 100`,
		`len(filter(split(body, ". "), {# contains "devis"})) > 10 && body matches "\\bdevis\\b"`,
		`let words = split(subject, " "); "appel" in words`,
		`reduce(recipients, #acc + len(#), 0) > 10`,
		`join(recipients, ",") contains "ventes@shop.fr"`,
		`replace(subject, "'", " ") contains "d offres"`,
		`upper(sender_domain) != "" && lower(subject) == subject`,
	} {
		p, err := Compile([]byte(`{"expr":` + quote(src) + `}`))
		require.NoError(t, err, src)
		ok, err := p.MatchContext(context.Background(), env)
		require.NoError(t, err, src)
		require.True(t, ok, src)
	}
}

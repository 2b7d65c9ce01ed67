package bench_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/classify/rules"
	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
)

// actionsSpec is the realistically sized tenant of the action and
// reclassification benchmarks: INBOXKIT_BENCH_CONVERSATIONS conversations
// (default 100,000) of three messages each, 500 B–2 KB bodies.
func actionsSpec() historySpec {
	convs := envInt("INBOXKIT_BENCH_CONVERSATIONS", 100_000)
	return historySpec{Messages: 3 * convs, Conversations: convs, MinBody: 500, MaxBody: 2000}
}

// BenchmarkActions measures each agent action of inbox.Engine on SQLite,
// on a random conversation of a 100k-conversation tenant per call, and
// reports p50/p95 (target: p95 under 5 ms).
func BenchmarkActions(b *testing.B) {
	s, ids := openBenchSQLite(b, actionsSpec())
	eng, err := inbox.New(inbox.Options{Store: s})
	require.NoError(b, err)
	ctx := context.Background()
	actor := inbox.Change{Actor: "agent-1"}
	rng := rand.New(rand.NewPCG(4, 5))
	folders := []string{"sales", "support", "billing", ""}
	statuses := []inbox.Status{inbox.StatusOpen, inbox.StatusUrgent, inbox.StatusResolved}
	actions := []struct {
		name string
		do   func(id string) error
	}{
		{"SetStatus", func(id string) error {
			_, err := eng.SetStatus(ctx, benchTenant, id, statuses[rng.IntN(len(statuses))], actor)
			return err
		}},
		{"Assign", func(id string) error {
			_, err := eng.Assign(ctx, benchTenant, id, fmt.Sprintf("agent-%d", rng.IntN(20)), actor)
			return err
		}},
		{"Move", func(id string) error {
			_, err := eng.Move(ctx, benchTenant, id, folders[rng.IntN(len(folders))], actor)
			return err
		}},
		{"AddNote", func(id string) error {
			_, err := eng.AddNote(ctx, benchTenant, id, "Called the customer back, waiting for the invoice.", actor)
			return err
		}},
		{"Reply", func(id string) error {
			_, err := eng.Reply(ctx, benchTenant, id, inbox.ReplyRequest{Text: "Bonjour, votre commande part demain. Cordialement."}, actor)
			return err
		}},
		{"MarkRead", func(id string) error {
			_, err := eng.MarkRead(ctx, benchTenant, id, rng.IntN(2) == 0, actor)
			return err
		}},
		{"SetTags", func(id string) error {
			_, err := eng.SetTags(ctx, benchTenant, id, []string{"vip", fmt.Sprintf("lot-%d", rng.IntN(50))}, actor)
			return err
		}},
		{"ScheduleFollowUp", func(id string) error {
			_, err := eng.ScheduleFollowUp(ctx, benchTenant, id, inbox.FollowUpRequest{DueAt: time.Now().Add(48 * time.Hour), Note: "relancer"}, actor)
			return err
		}},
		{"CreateTask", func(id string) error {
			_, err := eng.CreateTask(ctx, benchTenant, id, inbox.TaskRequest{Title: "Envoyer le devis", Assignee: "agent-2"}, actor)
			return err
		}},
	}
	// A reply needs the customer's address: give 2,000 random
	// conversations a contact (the generated history has none) and reply
	// on those.
	replyIDs := withContacts(b, s, ids, rng, 2000)
	for _, a := range actions {
		b.Run(a.name, func(b *testing.B) {
			pool := ids
			if a.name == "Reply" {
				pool = replyIDs
			}
			var lat latencies
			for b.Loop() {
				id := pool[rng.IntN(len(pool))]
				start := time.Now()
				if err := a.do(id); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(start))
			}
			lat.report(b)
		})
	}
}

// BenchmarkReclassify measures inbox.Engine.Reclassify of every
// conversation of a 100k-conversation SQLite tenant with the rules
// classifier, after the sales folder's rules changed (target: under 10 s).
// Each iteration flips the rules, so every pass has work to do.
func BenchmarkReclassify(b *testing.B) {
	s, ids := openBenchSQLite(b, actionsSpec())
	classifier := rules.New(rules.Options{})
	eng, err := inbox.New(inbox.Options{Store: s, Classifier: classifier})
	require.NoError(b, err)
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		// Flip to the other rule set than the one in force, also when the
		// database was left by an earlier run.
		require.NoError(b, s.Update(ctx, benchTenant, func(tx driver.Tx) error {
			f, err := tx.GetFolder("sales")
			if err != nil {
				return err
			}
			next := salesRulesChanged
			if strings.Contains(string(f.Rules), "garantie") { // salesRulesChanged
				next = salesRules
			}
			f.Rules = json.RawMessage(next)
			return tx.UpdateFolder(&f)
		}))
		b.StartTimer()
		cpu0 := processCPU()
		rep, err := eng.Reclassify(ctx, benchTenant, inbox.ReclassifyOptions{})
		b.ReportMetric((processCPU() - cpu0).Seconds(), "cpu-s")
		require.NoError(b, err)
		require.Equal(b, len(ids), rep.Examined)
		require.Positive(b, rep.Changed)
		b.ReportMetric(float64(rep.Examined), "conversations")
		b.ReportMetric(float64(rep.Changed), "changed")
	}
}

// withContacts links n random conversations to new contacts with an
// email address and returns their ids.
func withContacts(b *testing.B, s driver.Store, ids []string, rng *rand.Rand, n int) []string {
	b.Helper()
	var out []string
	run := time.Now().UnixNano() // the database may be reused by later runs
	require.NoError(b, s.Update(context.Background(), benchTenant, func(tx driver.Tx) error {
		for i := range n {
			c, err := tx.GetConversation(ids[rng.IntN(len(ids))])
			if err != nil {
				return err
			}
			contact := inbox.Contact{Name: fmt.Sprintf("Client %d", i), Emails: []string{fmt.Sprintf("client-%d-%d@customer.example", run, i)}}
			if err := tx.CreateContact(&contact); err != nil {
				return err
			}
			c.ContactID = contact.ID
			if err := tx.UpdateConversation(&c); err != nil {
				return err
			}
			out = append(out, c.ID)
		}
		return nil
	}))
	return out
}

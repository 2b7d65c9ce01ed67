package learn

import (
	"context"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
)

func folders(ids ...string) []inbox.Folder {
	out := make([]inbox.Folder, len(ids))
	for i, id := range ids {
		out[i] = inbox.Folder{ID: id, Name: "Folder " + id}
	}
	return out
}

func trained(t *testing.T) *Learner {
	l := New(Options{})
	l.Train("t1", loadLabelled(t))
	return l
}

func TestLearnerAbstainsUntilTrained(t *testing.T) {
	l := New(Options{})
	ctx := context.Background()
	in := inputOf(Example{Text: "ma commande n'est pas arrivée"}, nil)
	d, err := l.Classify(ctx, in)
	require.NoError(t, err)
	require.True(t, d.Abstains())
	require.Equal(t, "nothing learned yet", d.Reason)

	for range 3 {
		l.Learn("cv", inputOf(Example{Text: "ou est ma commande"}, nil), "orders")
	}
	l.Learn("cv", inputOf(Example{Text: "x"}, nil), "") // unfiling teaches nothing
	d, err = l.Classify(ctx, in)
	require.NoError(t, err)
	require.True(t, d.Abstains())
	require.Equal(t, "learned from 3 examples, needs 10", d.Reason)
	require.Equal(t, map[string]int{"orders": 3}, l.Stats("cv"))
}

func TestLearnerLearnsFromManualMoves(t *testing.T) {
	l := New(Options{MinExamples: 4})
	ctx := context.Background()
	moves := []struct{ text, folder string }{
		{"Où est ma commande 12345 ? toujours pas livrée", "orders"},
		{"commande pas reçue, le colis est bloqué", "orders"},
		{"je veux annuler ma commande", "orders"},
		{"merci de m'envoyer la facture de mars", "billing"},
		{"erreur sur la facture, montant faux", "billing"},
		{"j'ai été prélevé deux fois, remboursez-moi", "billing"},
	}
	for _, m := range moves {
		l.Learn("acme", inputOf(Example{Text: m.text, Channel: inbox.SourceEmail}, nil), m.folder)
	}
	in := inputOf(Example{Text: "slt ma cmd est ou? pas recu le colis", Channel: inbox.SourceSMS}, folders("orders", "billing"))
	in.Tenant.ID = "acme"
	d, err := l.Classify(ctx, in)
	require.NoError(t, err)
	require.Equal(t, "orders", d.FolderID)
	require.Equal(t, By, d.By)
	require.Contains(t, d.Reason, `filed in "Folder orders"`)

	in.Message.Text = "Bonjour, la factur est fausse, le montant preleve est trop eleve"
	d, err = l.Classify(ctx, in)
	require.NoError(t, err)
	require.Equal(t, "billing", d.FolderID)

	// Only the input's folders are candidates (a deleted folder is never chosen).
	in.Folders = folders("orders", "support")
	d, err = l.Classify(ctx, in)
	require.NoError(t, err)
	require.True(t, d.Abstains(), "one candidate left: nothing to choose between")

	// Tenants do not share what they learned.
	in.Tenant.ID = "other"
	d, err = l.Classify(ctx, in)
	require.NoError(t, err)
	require.True(t, d.Abstains())
}

func TestLearnerLowConfidenceAbstains(t *testing.T) {
	l := New(Options{MinConfidence: 0.99})
	l.Train("t1", loadLabelled(t))
	in := inputOf(Example{Text: "Bonjour, une question"}, nil)
	in.Tenant.ID = "t1"
	d, err := l.Classify(context.Background(), in)
	require.NoError(t, err)
	require.True(t, d.Abstains())
	require.Contains(t, d.Reason, "below 0.99")
}

func TestMarshalRoundTrip(t *testing.T) {
	l := trained(t)
	data, err := l.Marshal("t1")
	require.NoError(t, err)
	require.NotContains(t, string(data), "commande", "no customer text in a saved model")

	restored := New(Options{})
	require.NoError(t, restored.Unmarshal("t1", data))
	require.Equal(t, l.Stats("t1"), restored.Stats("t1"))
	for _, ex := range loadLabelled(t)[:40] {
		in := inputOf(ex, nil)
		in.Tenant.ID = "t1"
		a, err := l.Classify(context.Background(), in)
		require.NoError(t, err)
		b, err := restored.Classify(context.Background(), in)
		require.NoError(t, err)
		require.Equal(t, a.FolderID, b.FolderID)
		require.InDelta(t, a.Confidence, b.Confidence, 1e-9)
	}
	empty, err := New(Options{}).Marshal("nobody")
	require.NoError(t, err)
	require.NoError(t, New(Options{}).Unmarshal("x", empty))
}

func TestUnmarshalRejectsBadModels(t *testing.T) {
	l := trained(t)
	before := l.Stats("t1")
	for _, bad := range []string{
		`not json`,
		`{"version":2}`,
		`{"version":1,"folders":["a"],"docs":[]}`,
		`{"version":1,"folders":["a","a"],"docs":[1,1]}`,
		`{"version":1,"folders":[""],"docs":[1]}`,
		`{"version":1,"folders":["a"],"docs":[-1]}`,
		`{"version":1,"folders":["a"],"docs":[1],"features":{"zz":[1,1]}}`,
		`{"version":1,"folders":["a"],"docs":[1],"features":{"ff":[1]}}`,
		`{"version":1,"folders":["a"],"docs":[1],"features":{"ff":[-1,1]}}`,
	} {
		err := l.Unmarshal("t1", []byte(bad))
		require.ErrorIs(t, err, inbox.ErrInvalid, bad)
	}
	require.Equal(t, before, l.Stats("t1"), "a refused model leaves the current one")
}

func TestWordsNormalisation(t *testing.T) {
	require.Equal(t, []string{"commande", "toujours", "rien", "recu", "<num5>"}, words("Slt, ma CMD est où? jai tjr rien reçu 12345"))
	require.Equal(t, []string{"rendez", "demain"}, words("RDV demain ?"))
	require.Equal(t, "invoice", conceptOf("rechnung"))
	require.Equal(t, "invoice", conceptOf("factures"))
	require.Equal(t, "", conceptOf("xylophone"))
}

func FuzzUnmarshal(f *testing.F) {
	l := New(Options{})
	l.Train("t", []Example{{Text: "commande", FolderID: "a"}, {Text: "facture", FolderID: "b"}})
	seed, err := l.Marshal("t")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte(`{"version":1,"folders":["a"],"docs":[1],"features":{"ff":[1,1]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		l := New(Options{MinExamples: 1, MinPerFolder: 1, MinConfidence: -1})
		if err := l.Unmarshal("t", data); err != nil {
			return
		}
		_, _ = l.Classify(context.Background(), inputOf(Example{Text: "ma commande"}, nil))
	})
}

func BenchmarkClassify(b *testing.B) {
	l := New(Options{})
	l.Train("t1", loadLabelled(b))
	in := inputOf(Example{Subject: "Question sur ma commande", Text: "Bonjour, j'ai passé une commande la semaine dernière et je n'ai toujours rien reçu. Pouvez-vous me dire où elle en est ?", Channel: inbox.SourceEmail, Sender: "jean@exemple.fr"}, nil)
	in.Tenant.ID = "t1"
	ctx := context.Background()
	b.ReportAllocs()
	start := processCPU()
	for b.Loop() {
		if _, err := l.Classify(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(processCPU()-start)/float64(b.N), "cpu-ns/op")
}

// processCPU is the CPU time the process used, in nanoseconds: unlike
// wall time it does not count other processes on a shared machine.
func processCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

func BenchmarkLearn(b *testing.B) {
	l := New(Options{})
	l.Train("t1", loadLabelled(b))
	in := inputOf(Example{Text: "Bonjour, j'ai passé une commande la semaine dernière et je n'ai toujours rien reçu.", Channel: inbox.SourceEmail}, nil)
	b.ReportAllocs()
	start := processCPU()
	for b.Loop() {
		l.Learn("t1", in, "Commandes")
	}
	b.ReportMetric(float64(processCPU()-start)/float64(b.N), "cpu-ns/op")
}

func TestShortMessagesUseConversationContext(t *testing.T) {
	first := inbox.Message{ID: "m1", Direction: inbox.DirectionIn, Text: "allo ?"}
	in := inbox.ClassifyInput{Message: first, History: []inbox.Message{
		first,
		{ID: "m2", Direction: inbox.DirectionOut, Text: "Bonjour, que puis-je faire ?"},
		{ID: "m3", Direction: inbox.DirectionIn, Text: "ma facture est fausse"},
	}}
	ex := ExampleFrom(in, "billing")
	require.Equal(t, "allo ?\nma facture est fausse", ex.Text)
	in.Message.Text = strings.Repeat("long enough to stand on its own ", 3)
	require.Equal(t, in.Message.Text, ExampleFrom(in, "").Text)
}

func TestConfirmCountsOnceAndAMoveTakesItBack(t *testing.T) {
	l := New(Options{MinExamples: 1, MinPerFolder: 1})
	in := inputOf(Example{Text: "Où est ma commande 12345 ?"}, nil)
	in.Conversation.ID = "conv-1"
	for range 3 { // read, replied, resolved
		l.Confirm("acme", in, "orders")
	}
	require.Equal(t, map[string]int{"orders": 1}, l.Stats("acme"))
	l.Confirm("acme", in, "billing") // filed elsewhere, confirmed there
	require.Equal(t, map[string]int{"orders": 0, "billing": 1}, l.Stats("acme"))
	l.Learn("acme", in, "orders") // an agent moves it back: the move wins
	require.Equal(t, map[string]int{"orders": 1, "billing": 0}, l.Stats("acme"))
	l.Confirm("acme", inputOf(Example{Text: "facture"}, nil), "") // no folder: nothing
	require.Equal(t, map[string]int{"orders": 1, "billing": 0}, l.Stats("acme"))
}

// A word listed under two cues signals both, the same in every process
// (it used to signal one, chosen by map order at start-up, so a saved
// model could mean something else after a restart).
func TestCueWordInTwoListsSignalsBoth(t *testing.T) {
	require.Equal(t, []string{"ack", "prize"}, cueWords["felicitations"])
	ex := Example{Subject: "Félicitations", Text: "la suspension est magnifique", Channel: inbox.SourceEmail}
	got := cues(ex, words(ex.Subject), words(ex.Text))
	require.Contains(t, got, "ack")
	require.Contains(t, got, "prize")
}

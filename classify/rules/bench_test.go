package rules

import (
	"context"
	"encoding/json"
	"fmt"
	"syscall"
	"testing"

	"github.com/inboxkit/inboxkit/inbox"
)

// benchFolders builds 20 folders of typical non-regex rules (2 to 4
// conditions each, nested AND/OR) that the benchmark message matches none
// of, so every folder is evaluated.
func benchFolders() []inbox.Folder {
	folders := make([]inbox.Folder, 20)
	for i := range folders {
		rules := fmt.Sprintf(`{"any":[
			{"field":"subject","op":"contains","value":"mot%d"},
			{"all":[
				{"field":"sender_domain","op":"in","value":["client%d.com","partenaire%d.fr"]},
				{"field":"body","op":"contains","value":"problème %d"}
			]},
			{"field":"sender_email","op":"equals","value":"support%d@client.com"}
		]}`, i, i, i, i, i)
		folders[i] = inbox.Folder{ID: fmt.Sprintf("f%02d", i), Name: fmt.Sprintf("Folder %d", i), Position: i, Version: 1, Rules: json.RawMessage(rules)}
	}
	return folders
}

func benchMessage() inbox.Message {
	return inbox.Message{
		Source:  inbox.SourceEmail,
		From:    inbox.Party{Name: "Jérôme Lefèvre", Email: "jerome.lefevre@exemple.fr"},
		To:      []inbox.Party{{Email: "contact@boutique.fr"}},
		Subject: "Question sur ma commande n°12345",
		Text: "Bonjour, j'ai passé une commande la semaine dernière et je n'ai toujours rien reçu. " +
			"Pourriez-vous me dire où elle en est ? Le suivi indique qu'elle est bloquée au dépôt depuis jeudi. " +
			"Je dois partir en vacances samedi et j'aimerais la recevoir avant. Merci d'avance pour votre aide. " +
			"Cordialement, Jérôme",
	}
}

// measureClassify times Classify of in, reporting allocations and process
// CPU per call.
func measureClassify(b *testing.B, c *Classifier, in inbox.ClassifyInput) {
	ctx := context.Background()
	b.ReportAllocs()
	start := processCPU()
	for b.Loop() {
		if _, err := c.Classify(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(processCPU()-start)/float64(b.N), "cpu-ns/op")
}

// BenchmarkClassify20Folders measures one message against 20 folders of
// non-regex rules, environment construction (folding) included.
func BenchmarkClassify20Folders(b *testing.B) {
	c := New(Options{})
	in := inbox.ClassifyInput{Tenant: inbox.Tenant{ID: "t"}, Folders: benchFolders(), Message: benchMessage()}
	ctx := context.Background()
	if _, err := c.Classify(ctx, in); err != nil {
		b.Fatal(err)
	}
	measureClassify(b, c, in)
}

// BenchmarkClassify20FoldersBody is BenchmarkClassify20Folders with a
// sender whose domain makes the last folder read the body, so the body
// is folded too (rule evaluation folds a field only when a rule reaches
// it).
func BenchmarkClassify20FoldersBody(b *testing.B) {
	c := New(Options{})
	m := benchMessage()
	m.From.Email = "Jerome.Lefevre@Client19.com"
	in := inbox.ClassifyInput{Tenant: inbox.Tenant{ID: "t"}, Folders: benchFolders(), Message: m}
	ctx := context.Background()
	if d, err := c.Classify(ctx, in); err != nil || !d.Abstains() {
		b.Fatal(d, err)
	}
	measureClassify(b, c, in)
}

// processCPU is the CPU time the process used, in nanoseconds. On a
// shared machine wall-clock ns/op counts the time other processes held
// the CPU; cpu-ns/op (with GOMAXPROCS=1) counts only ours.
func processCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// BenchmarkCompile measures compiling one folder's rules (done once per
// rule change).
func BenchmarkCompile(b *testing.B) {
	raw := benchFolders()[3].Rules
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compile(raw); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEnv measures building a message's whole environment as expr
// sees it (folding every field the 20 folders read, then the expr view).
// Classify pays this only for tenants with raw expressions; otherwise it
// folds a field when a rule first reads it.
func BenchmarkEnv(b *testing.B) {
	in := inbox.ClassifyInput{Message: benchMessage()}
	var used fieldSet
	for _, f := range benchFolders() {
		p, err := Compile(f.Rules)
		if err != nil {
			b.Fatal(err)
		}
		used |= p.used
	}
	b.ReportAllocs()
	start := processCPU()
	for b.Loop() {
		newEnv(in, used).values()
	}
	b.ReportMetric(float64(processCPU()-start)/float64(b.N), "cpu-ns/op")
}

// BenchmarkBundle measures one evaluation of the 20 folders' bundle on a
// folded environment (their Go predicates, as none has a raw
// expression), the part of BenchmarkClassify20Folders that grows with
// the rules.
func BenchmarkBundle(b *testing.B) { benchBundle(b, true) }

// BenchmarkBundleExpr is BenchmarkBundle on the bundled expr program,
// which tenants with raw expressions run.
func BenchmarkBundleExpr(b *testing.B) { benchBundle(b, false) }

func benchBundle(b *testing.B, native bool) {
	var progs []*Program
	for _, f := range benchFolders() {
		p, err := Compile(f.Rules)
		if err != nil {
			b.Fatal(err)
		}
		progs = append(progs, p)
	}
	bundled := buildBundle(nil, progs, nil)
	bundled.native = bundled.native && native
	env := NewEnv(inbox.ClassifyInput{Message: benchMessage()})
	b.ReportAllocs()
	start := processCPU()
	for b.Loop() {
		if i, ok, err := bundled.first(context.Background(), env, MaxEvalTime); err != nil || !ok || i != -1 {
			b.Fatal("bundle failed")
		}
	}
	b.ReportMetric(float64(processCPU()-start)/float64(b.N), "cpu-ns/op")
}

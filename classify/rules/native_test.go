package rules

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
)

// checkNativeAgrees asserts that a program's Go predicates give the
// answers of its expr programs on a message: on an environment folded
// up front and on a lazy one as Classify builds, for the whole rule set
// and for each part Explain looks at. It reports whether p has a
// predicate (rules with a raw expression have none).
func checkNativeAgrees(t testing.TB, p *Program, in inbox.ClassifyInput) bool {
	t.Helper()
	if !p.Active() || p.pred == nil {
		return false
	}
	eager := newEnv(in, allFields)
	want, err := p.run(context.Background(), p.prog, eager, MaxEvalTime)
	if err != nil {
		t.Fatalf("expr fails on rules without raw expressions (%s): %v", p.Source(), err)
	}
	lazy := &Env{}
	lazy.prepare(&in, p.used)
	if got := p.pred(lazy); got != want {
		t.Fatalf("lazy predicate says %v, expr says %v\nrules: %s\nmessage: %+v", got, want, p.Source(), in.Message)
	}
	if got := p.pred(eager); got != want {
		t.Fatalf("predicate says %v, expr says %v\nrules: %s\nmessage: %+v", got, want, p.Source(), in.Message)
	}
	for _, pt := range p.parts {
		partWant, err := p.run(context.Background(), pt.prog, eager, MaxEvalTime)
		if err != nil {
			t.Fatal(err)
		}
		if got := pt.pred(eager); got != partWant {
			t.Fatalf("part %s: predicate says %v, expr says %v\nmessage: %+v", pt.desc, got, partWant, in.Message)
		}
	}
	return true
}

// checkBundleAgrees asserts that the bundle's Go evaluation finds the
// same first folder as its expr program.
func checkBundleAgrees(t testing.TB, progs []*Program, in inbox.ClassifyInput) {
	t.Helper()
	owners := make([]int, len(progs))
	b := buildBundle(nil, progs, owners)
	if !b.native || b.prog == nil {
		return
	}
	lazy := &Env{}
	lazy.prepare(&in, b.need)
	got, ok, err := b.first(context.Background(), lazy, MaxEvalTime)
	require.NoError(t, err)
	require.True(t, ok)
	out, err := runPooled(context.Background(), &b.vms, b.prog, newEnv(in, allFields), MaxEvalTime)
	require.NoError(t, err)
	require.Equal(t, out, got, "first matching folder, message %+v", in.Message)
}

// nativeMessages are messages that exercise every field, accents, case,
// fallbacks (HTML body, conversation subject, contact name) and empties.
func nativeMessages() []inbox.ClassifyInput {
	msgs := []inbox.Message{
		{},
		benchMessage(),
		{Subject: "Demande de RDV", Text: "Bonjour"},
		{From: inbox.Party{Email: " Support@Client.com ", Name: "Service Client"}, Text: "Nous avons un PROBLÈME de connexion"},
		{From: inbox.Party{Email: "bob@partenaire3.fr"}, Text: "problème 3 sur la commande", Source: inbox.SourceEmail},
		{From: inbox.Party{Phone: "+33 6 12 34 56 78"}, Text: "rdv demain 10h ?", Source: inbox.SourceSMS, Language: "FR"},
		{From: inbox.Party{Phone: "0612345678"}, Source: inbox.SourceWhatsApp, Text: "Größe Übergabe – l’écran «cassé»"},
		{HTML: "<p>Je voudrais un <b>Rendez-Vous</b></p>", Subject: "Mot7 et mot12", Source: inbox.SourceWebhook},
		{To: []inbox.Party{{Email: "Contact@Shop.fr"}}, Cc: []inbox.Party{{Email: "ventes@shop.fr"}, {Phone: "+33 1 23"}, {ID: "User-É"}}},
		{Attachments: []inbox.Attachment{{Inline: true}}, Subject: "facture"},
		{Attachments: []inbox.Attachment{{Inline: true}, {}}, Subject: "FACTURE jointe", Language: "de"},
		{From: inbox.Party{Email: "support5@client.com"}, Subject: "Œuvre Ærø Straße ß"},
		{From: inbox.Party{Email: "no-at-sign"}, Text: "a"},
	}
	out := make([]inbox.ClassifyInput, 0, len(msgs)+2)
	for _, m := range msgs {
		out = append(out, inbox.ClassifyInput{Message: m})
	}
	out = append(out,
		inbox.ClassifyInput{Conversation: inbox.Conversation{Subject: "RDV via la conversation", Source: inbox.SourceSMS}, Message: inbox.Message{Text: "ok"}},
		inbox.ClassifyInput{Contact: inbox.Contact{Name: "Zoé Dupont"}, Message: inbox.Message{Text: "merci"}},
	)
	return out
}

func TestNativeMatchesExprTable(t *testing.T) {
	var rules []string
	files, err := filepath.Glob(filepath.Join("..", "testdata", "rules", "*.json"))
	require.NoError(t, err)
	for _, name := range files {
		raw, err := os.ReadFile(name)
		require.NoError(t, err)
		rules = append(rules, string(raw))
	}
	for _, f := range append(benchFolders(), seedFolders()...) {
		rules = append(rules, string(f.Rules))
	}
	for _, cond := range []string{
		`{"field":"body","op":"contains","value":"Problème"}`,
		`{"field":"body","op":"not_contains","value":"écran"}`,
		`{"field":"sender_email","op":"equals","value":"Support@Client.com"}`,
		`{"field":"sender_email","op":"not_equals","value":"support@client.com"}`,
		`{"field":"sender_name","op":"starts_with","value":"Zoé"}`,
		`{"field":"sender_name","op":"ends_with","value":"CLIENT"}`,
		`{"field":"sender_domain","op":"in","value":["partner.fr","CLIENT.com"]}`,
		`{"field":"sender_domain","op":"in","value":["a","b","c","d","e","f","g","h","i","partenaire3.fr"]}`,
		`{"field":"sender_phone","op":"starts_with","value":"336"}`,
		`{"field":"sender_phone","op":"equals","value":"33612345678"}`,
		`{"field":"subject","op":"matches","value":"^RDV\\s+(lundi|mardi)"}`,
		`{"field":"subject","op":"matches","value":"[ÆŒ]"}`,
		`{"field":"body","op":"matches","value":"probl[éè]me"}`,
		`{"field":"recipients","op":"contains","value":"ventes@"}`,
		`{"field":"recipients","op":"equals","value":"contact@shop.fr"}`,
		`{"field":"recipients","op":"not_equals","value":"contact@shop.fr"}`,
		`{"field":"recipients","op":"not_contains","value":"sav@"}`,
		`{"field":"recipients","op":"ends_with","value":"@shop.fr"}`,
		`{"field":"recipients","op":"starts_with","value":"user-"}`,
		`{"field":"recipients","op":"matches","value":"^\\d+$"}`,
		`{"field":"recipients","op":"in","value":["x@y.z","ventes@shop.fr"]}`,
		`{"field":"channel","op":"equals","value":"EMAIL"}`,
		`{"field":"channel","op":"not_equals","value":"sms"}`,
		`{"field":"channel","op":"in","value":["sms","whatsapp"]}`,
		`{"field":"has_attachment","op":"equals","value":true}`,
		`{"field":"has_attachment","op":"not_equals","value":true}`,
		`{"field":"has_attachment","op":"equals","value":false}`,
		`{"field":"language","op":"equals","value":"FR"}`,
		`{"none":[{"field":"channel","op":"equals","value":"sms"},{"field":"subject","op":"contains","value":"facture"}]}`,
		`{"all":[{"field":"channel","op":"equals","value":"email"},{"any":[{"field":"subject","op":"contains","value":"x"},{"field":"subject","op":"contains","value":"mardi"}]}]}`,
		`{"any":[{"field":"subject","op":"contains","value":"a"},{"field":"body","op":"contains","value":"b"},{"field":"sender_name","op":"contains","value":"c"}]}`,
		`{"all":[{"field":"subject","op":"contains","value":"a"},{"field":"body","op":"contains","value":"o"},{"field":"body","op":"not_contains","value":"zz"}]}`,
		`{"field":"body","op":"contains","value":"quote \" and \\ backslash"}`,
	} {
		rules = append(rules, cond)
	}
	var progs []*Program
	native := 0
	for _, raw := range rules {
		p, err := Compile([]byte(raw))
		require.NoError(t, err, raw)
		progs = append(progs, p)
		for _, in := range nativeMessages() {
			if checkNativeAgrees(t, p, in) {
				native++
			}
		}
	}
	require.Greater(t, native, 0)
	for _, in := range nativeMessages() {
		checkBundleAgrees(t, progs[:20], in) // the benchmark's folders
		for i := range progs {
			checkBundleAgrees(t, progs[i:min(i+5, len(progs))], in)
		}
	}
}

// randomRules builds a rule set of nested groups and conditions over
// every field and operator, with values drawn from text that messages
// contain in various cases and accents.
func randomRules(r *rand.Rand, depth int) map[string]any {
	if depth < 3 && r.IntN(3) == 0 {
		kind := []string{"all", "any", "none"}[r.IntN(3)]
		children := make([]any, 1+r.IntN(3))
		for i := range children {
			children[i] = randomRules(r, depth+1)
		}
		return map[string]any{kind: children}
	}
	field := fieldOrder[r.IntN(len(fieldOrder))]
	if fields[field] == kindBool {
		op := []Op{OpEquals, OpNotEquals}[r.IntN(2)]
		return map[string]any{"field": field, "op": op, "value": r.IntN(2) == 0}
	}
	ops := []Op{OpContains, OpNotContains, OpEquals, OpNotEquals, OpStartsWith, OpEndsWith, OpMatches, OpIn}
	op := ops[r.IntN(len(ops))]
	pick := func() string {
		if field == FieldChannel {
			return []string{"email", "SMS", "whatsapp", "webhook"}[r.IntN(4)]
		}
		if op == OpMatches {
			return []string{"^rdv", "probl[éè]me", `\d{2,}`, "(?i)CLIENT", "^$", "é$", "[a-c]+@"}[r.IntN(7)]
		}
		words := []string{"RDV", "rdv", "Rendez-Vous", "problème", "PROBLEME", "client.com", "Support@Client.com",
			"é", "e", "ventes@", "@shop.fr", "fr", "336", "33612345678", "Zoé", "l’écran", "Straße", "œuvre",
			"commande", "partenaire3.fr", "bob@partenaire3.fr", "mot7", "contact@shop.fr", "de", "user-e", "x"}
		w := words[r.IntN(len(words))]
		if r.IntN(6) == 0 && (op == OpEquals || op == OpNotEquals || op == OpIn) {
			return ""
		}
		return w
	}
	if op == OpIn {
		values := make([]string, 1+r.IntN(12))
		for i := range values {
			values[i] = pick()
		}
		return map[string]any{"field": field, "op": op, "value": values}
	}
	return map[string]any{"field": field, "op": op, "value": pick()}
}

// TestNativeMatchesExprRandom compares the Go predicates with the expr
// programs on random rule sets and the table's messages.
func TestNativeMatchesExprRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 42))
	msgs := nativeMessages()
	compared := 0
	var progs []*Program
	for range 1500 {
		raw, err := json.Marshal(randomRules(r, 0))
		require.NoError(t, err)
		p, err := Compile(raw)
		if err != nil {
			continue // a value the validation refuses (an empty "contains")
		}
		progs = append(progs, p)
		for _, in := range msgs {
			if checkNativeAgrees(t, p, in) {
				compared++
			}
		}
	}
	require.Greater(t, compared, 1000*len(msgs), "most random rule sets compile")
	for i := 0; i+20 <= len(progs); i += 20 {
		for _, in := range msgs {
			checkBundleAgrees(t, progs[i:i+20], in)
		}
	}
}

// FuzzNativeMatchesExpr compares the Go predicates with the expr programs
// on any rule set that compiles and any message text.
func FuzzNativeMatchesExpr(f *testing.F) {
	for _, folder := range append(benchFolders()[:3], seedFolders()...) {
		f.Add([]byte(folder.Rules), "Jérôme <Support@Client.com>", "RDV demain", "un PROBLÈME", "ventes@shop.fr")
	}
	f.Add([]byte(`{"field":"recipients","op":"not_contains","value":"@"}`), "a@b.c", "", "", "")
	f.Add([]byte(`{"field":"sender_domain","op":"ends_with","value":"É.fr"}`), "x@É.FR", "s", "b", "x@y.z")
	f.Fuzz(func(t *testing.T, raw []byte, from, subject, body, to string) {
		p, err := Compile(raw)
		if err != nil {
			return
		}
		name, email, _ := strings.Cut(from, "<")
		in := inbox.ClassifyInput{Message: inbox.Message{
			From:    inbox.Party{Name: name, Email: strings.TrimSuffix(email, ">"), Phone: subject},
			Subject: subject, Text: body, HTML: to, Language: subject,
			To: []inbox.Party{{Email: to}, {ID: from}},
		}}
		checkNativeAgrees(t, p, in)
		checkBundleAgrees(t, []*Program{p}, in)
	})
}

func TestLazyEnvFoldsLikeEager(t *testing.T) {
	for i, in := range nativeMessages() {
		lazy := &Env{}
		lazy.prepare(&in, allFields)
		require.Equal(t, newEnv(in, allFields).values(), lazy.values(), "message %d", i)

		// Reading one field folds only that one (and the sender's
		// address and domain together).
		lazy.prepare(&in, allFields)
		before := lazy.pending
		require.NotZero(t, before&bitBody)
		lazy.subject()
		lazy.senderDomain()
		require.Equal(t, before&^(bitSubject|bitSenderEmail|bitSenderDomain), lazy.pending, fmt.Sprint(i))
		require.Equal(t, newEnv(in, bitSubject).Subject, lazy.Subject)
		require.Empty(t, lazy.Body)
	}
}

// TestRawExpressionsStayOnExpr checks that a tenant with a raw
// expression among its filing folders is evaluated by expr.
func TestRawExpressionsStayOnExpr(t *testing.T) {
	p, err := Compile([]byte(`{"any":[{"field":"subject","op":"contains","value":"a"},{"expr":"len(body) > 3"}]}`))
	require.NoError(t, err)
	require.Nil(t, p.pred)
	q, err := Compile([]byte(`{"field":"subject","op":"contains","value":"a"}`))
	require.NoError(t, err)
	require.NotNil(t, q.pred)
	require.False(t, buildBundle(nil, []*Program{q, p}, []int{0, 1}).native)
	require.True(t, buildBundle(nil, []*Program{q}, []int{0}).native)
}

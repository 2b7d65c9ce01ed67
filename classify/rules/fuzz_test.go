package rules

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/inboxkit/inboxkit/inbox"
)

func fuzzEnv() *Env {
	return &Env{SenderEmail: "a@b.c", SenderDomain: "b.c", Subject: "rdv", Body: "un probleme", Recipients: []string{"x@y.z"}, Channel: "email"}
}

// checkCompile asserts the compiler's contract on any input: it does not
// panic, it rejects with ErrInvalid, and what it accepts evaluates.
func checkCompile(t *testing.T, raw []byte) {
	p, err := Compile(raw)
	if err != nil {
		if !errors.Is(err, inbox.ErrInvalid) {
			t.Fatalf("Compile(%q) error does not wrap ErrInvalid: %v", raw, err)
		}
		return
	}
	env := fuzzEnv()
	if _, err := p.Match(env); err != nil {
		return // raw expressions may fail at run time; it must not panic
	}
	_ = p.Explain(env)
	b := buildBundle(nil, []*Program{p}, []int{0})
	if p.Active() && !p.Actions().NoMove && b.prog == nil {
		t.Fatalf("rules %q compile alone but not in a bundle", raw)
	}
}

func FuzzCompile(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "rules", "*.json"))
	for _, name := range files {
		raw, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	f.Add([]byte(`{"any":[{"field":"subject","op":"containz","value":"a"}]}`))
	f.Add([]byte(`{"field":"body","op":"matches","value":"(?i)[éè]+\\d{2,}"}`))
	f.Fuzz(checkCompile)
}

func FuzzCompileExpr(f *testing.F) {
	for _, src := range []string{
		`subject contains "rdv"`,
		`sender_domain == "client.com" && has_attachment`,
		`any(recipients, {# endsWith "@shop.fr"}) || channel in ["sms", "whatsapp"]`,
		`body matches "\\d{5}" // postcode`,
		`let d = sender_domain; d endsWith fold(".COM")`,
		`len(body) > 10 and language == "fr"`,
		`recipients[3] == "x"`,
		`1..1000000 | any(# > 5)`,
	} {
		f.Add(src)
	}
	f.Fuzz(func(t *testing.T, src string) {
		raw, err := json.Marshal(map[string]string{"expr": src})
		if err != nil {
			return
		}
		checkCompile(t, raw)
	})
}

package rules

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
)

func TestCompileRejectsBadRules(t *testing.T) {
	long := strings.Repeat("a", MaxValueLen+1)
	deep := `{"field":"subject","op":"contains","value":"x"}`
	for range MaxDepth + 1 {
		deep = `{"all":[` + deep + `]}`
	}
	many := `{"any":[` + strings.Repeat(`{"field":"subject","op":"contains","value":"x"},`, MaxConditions) + `{"field":"body","op":"contains","value":"y"}]}`
	for _, tc := range []struct {
		name, rules, field, reason string
	}{
		{"malformed json", `{"any":[`, "rules", "malformed JSON"},
		{"not an object", `[1,2]`, "rules", "must be a JSON object, got a list"},
		{"unknown operator deep", `{"any":[{"field":"subject","op":"contains","value":"a"},{"all":[{"field":"body","op":"containz","value":"b"}]}]}`,
			"rules.any[1].all[0].op", `unknown operator "containz"`},
		{"unknown field", `{"field":"sujet","op":"contains","value":"a"}`, "rules.field", `unknown field "sujet"`},
		{"unknown key", `{"field":"subject","op":"contains","value":"a","vlaue":"b"}`, "rules.vlaue", "unknown key"},
		{"two kinds", `{"field":"subject","op":"contains","value":"a","any":[]}`, "rules", "exactly one of"},
		{"nothing", `{"op":"contains","value":"a"}`, "rules.field", "is required"},
		{"missing op", `{"field":"subject","value":"a"}`, "rules.op", "is required"},
		{"missing value", `{"field":"subject","op":"contains"}`, "rules.value", "is required"},
		{"empty group", `{"any":[]}`, "rules.any", "non-empty list"},
		{"group of strings", `{"all":["subject"]}`, "rules.all[0]", "must be an object"},
		{"bad regex", `{"field":"body","op":"matches","value":"(unclosed"}`, "rules.value", "bad regular expression"},
		{"regex too long", `{"field":"body","op":"matches","value":"` + strings.Repeat("a", MaxRegexLen+1) + `"}`, "rules.value", "more than the limit"},
		{"bool field with text", `{"field":"has_attachment","op":"equals","value":"yes"}`, "rules.value", `expects true or false, got a string`},
		{"bool field with contains", `{"field":"has_attachment","op":"contains","value":true}`, "rules.op", `does not apply`},
		{"text field with number", `{"field":"subject","op":"contains","value":3}`, "rules.value", `expects a string, got a number`},
		{"in with string", `{"field":"sender_domain","op":"in","value":"a.com"}`, "rules.value", "expects a list"},
		{"in with number item", `{"field":"sender_domain","op":"in","value":["a.com",2]}`, "rules.value[1]", "must be a string"},
		{"empty contains", `{"field":"subject","op":"contains","value":""}`, "rules.value", "must not be empty"},
		{"not a channel kind", `{"field":"channel","op":"equals","value":"s m s"}`, "rules.value", `"s m s" is not a channel kind`},
		{"value too long", `{"field":"body","op":"contains","value":"` + long + `"}`, "rules.value", "more than the limit"},
		{"too deep", deep, "rules" + strings.Repeat(".all[0]", MaxDepth) + ".all", "deeper than the limit"},
		{"too many", many, "rules.any[100]", "one condition too many"},
		{"too big", `{"field":"body","op":"contains","value":"` + strings.Repeat("x", MaxRulesBytes) + `"}`, "rules", "more than the limit"},
		{"expr unknown name", `{"expr":"sender_mail == \"a\""}`, "rules.expr", "unknown name sender_mail"},
		{"expr type error", `{"expr":"subject + 1 > 2"}`, "rules.expr", "invalid operation"},
		{"expr not bool", `{"expr":"subject"}`, "rules.expr", "expected bool"},
		{"expr syntax", `{"any":[{"expr":"subject contains"}]}`, "rules.any[0].expr", "line 1"},
		{"expr repeat disabled", `{"expr":"len(repeat(\"a\", 1000000000)) > 0"}`, "rules.expr", "repeat"},
		{"expr with op", `{"expr":"true","op":"contains"}`, "rules.op", "does not apply"},
		// Literals that can never match a folded field.
		{"expr accented literal", `{"expr":"subject contains \"Problème\""}`, "rules.expr", `"Problème" can never match subject`},
		{"expr upper-case literal", `{"expr":"body contains \"URGENT\""}`, "rules.expr", `write "urgent"`},
		{"expr upper-case equality", `{"expr":"\"Client.com\" == sender_domain"}`, "rules.expr", `"Client.com" can never match sender_domain`},
		{"expr typographic dash", `{"expr":"body contains \"rendez‑vous\""}`, "rules.expr", `write "rendez-vous"`},
		{"expr literal through let", `{"expr":"let d = sender_domain; d endsWith \".COM\""}`, "rules.expr", `".COM" can never match`},
		{"expr literal in predicate", `{"any":[{"expr":"any(recipients, {# startsWith \"Ventes@\"})"}]}`, "rules.any[0].expr", `"Ventes@" can never match`},
		{"expr literal in list", `{"expr":"channel in [\"sms\", \"WhatsApp\"]"}`, "rules.expr", `"WhatsApp" can never match channel`},
		{"expr literal in recipients", `{"expr":"\"Ventes@Shop.fr\" in recipients"}`, "rules.expr", `can never match recipients`},
		{"expr literal in call", `{"expr":"hasPrefix(trim(subject), \"Re:\")"}`, "rules.expr", `"Re:" can never match`},
		{"expr upper-case regex", `{"expr":"body matches \"^Urgent\""}`, "rules.expr", "can never match body"},
		{"expr accented regex", `{"expr":"subject matches \"probl[eè]me|écran\""}`, "rules.expr", "can never match subject"},
		{"expr dynamic regex", `{"expr":"body matches subject"}`, "rules.expr", "pattern of matches must be a string literal"},
		{"expr regex too long", `{"expr":"body matches \"` + strings.Repeat("a", MaxRegexLen+1) + `\""}`, "rules.expr", "more than the limit"},
		// Out of range indexes that can be seen without a message.
		{"expr index of split literal", `{"expr":"split(\"a@b\", \"@\")[2] == sender_email"}`, "rules.expr", "index 2 is out of range"},
		{"expr index of split limit", `{"expr":"split(sender_email, \"@\", 2)[2] == \"x\""}`, "rules.expr", "index 2 is out of range"},
		{"expr negative index", `{"expr":"[\"a\", \"b\"][-3] == subject"}`, "rules.expr", "index -3 is out of range"},
		{"expr index of slice", `{"expr":"recipients[0:2][2] == \"x\""}`, "rules.expr", "index 2 is out of range"},
		// Empty values match every message that lacks the field.
		{"empty equals", `{"field":"sender_email","op":"equals","value":""}`, "rules.value", "must not be empty"},
		{"empty not equals", `{"field":"sender_name","op":"not_equals","value":""}`, "rules.value", "must not be empty"},
		{"empty in list", `{"field":"sender_domain","op":"in","value":["a.com",""]}`, "rules.value[1]", "must not be empty"},
		{"expr empty equals", `{"expr":"sender_email == \"\""}`, "rules.expr", "len(sender_email) == 0"},
		{"expr empty contains", `{"expr":"body contains \"\""}`, "rules.expr", "empty string"},
		// Names of the evaluation budget are not the rules' to use.
		{"expr reserved name", `{"expr":"__budget__ != nil"}`, "rules.expr", "reserved"},
		{"expr reserved function", `{"expr":"__tick(nil)"}`, "rules.expr", "reserved"},
		{"expr disabled builtin", `{"expr":"len(toJSON(recipients)) > 2"}`, "rules.expr", "toJSON"},
		{"bad status", `{"field":"subject","op":"contains","value":"a","actions":{"status":"resolved"}}`, "rules.actions.status", "closing status"},
		{"bad intent", `{"field":"subject","op":"contains","value":"a","actions":{"intent":"buy"}}`, "rules.actions.intent", `unknown intent "buy"`},
		{"bad action", `{"field":"subject","op":"contains","value":"a","actions":{"move":"x"}}`, "rules.actions.move", "unknown action"},
		{"bad tag", `{"field":"subject","op":"contains","value":"a","actions":{"tags":[""]}}`, "rules.actions.tags[0]", "non-empty"},
		{"no_move alone", `{"field":"subject","op":"contains","value":"a","actions":{"no_move":true}}`, "rules.actions.no_move", "nothing to do"},
		{"actions only", `{"actions":{"status":"urgent"}}`, "rules", "no condition"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Compile([]byte(tc.rules))
			require.Error(t, err)
			require.ErrorIs(t, err, inbox.ErrInvalid)
			var fe *inbox.FieldError
			require.True(t, errors.As(err, &fe), "want a FieldError, got %v", err)
			require.Equal(t, tc.field, fe.Field, err.Error())
			require.Contains(t, fe.Reason, tc.reason)
		})
	}
}

func TestCompileErrorMessageNamesPath(t *testing.T) {
	_, err := Compile([]byte(`{"any":[{"field":"subject","op":"contains","value":"a"},{"all":[{"field":"body","op":"containz","value":"b"}]}]}`))
	require.EqualError(t, err, `invalid rules.any[1].all[0].op: unknown operator "containz"`)
}

func TestCompileEmptyNeverMatches(t *testing.T) {
	for _, raw := range []string{"", "null", " {} "} {
		p, err := Compile([]byte(raw))
		require.NoError(t, err)
		require.False(t, p.Active())
		ok, err := p.Match(&Env{Subject: "rdv"})
		require.NoError(t, err)
		require.False(t, ok)
	}
}

func TestOperators(t *testing.T) {
	env := &Env{
		SenderEmail: "support@client.com", SenderName: "jerome lefevre", SenderDomain: "client.com",
		SenderPhone: "33612345678", Subject: "rdv mardi", Body: "j'ai un probleme avec l'ecran",
		Recipients: []string{"contact@shop.fr", "ventes@shop.fr"}, Channel: "email", HasAttachment: true, Language: "fr",
	}
	for _, tc := range []struct {
		cond string
		want bool
	}{
		{`{"field":"body","op":"contains","value":"Problème"}`, true},
		{`{"field":"body","op":"contains","value":"PROBLEME"}`, true},
		{`{"field":"body","op":"contains","value":"l’écran"}`, true},
		{`{"field":"body","op":"not_contains","value":"facture"}`, true},
		{`{"field":"body","op":"not_contains","value":"écran"}`, false},
		{`{"field":"sender_email","op":"equals","value":"Support@Client.com"}`, true},
		{`{"field":"sender_email","op":"not_equals","value":"support@client.com"}`, false},
		{`{"field":"sender_name","op":"starts_with","value":"Jérôme"}`, true},
		{`{"field":"sender_name","op":"ends_with","value":"Lefèvre"}`, true},
		{`{"field":"sender_domain","op":"in","value":["partner.fr","CLIENT.com"]}`, true},
		{`{"field":"sender_domain","op":"in","value":["partner.fr"]}`, false},
		{`{"field":"sender_phone","op":"starts_with","value":"336"}`, true},
		{`{"field":"subject","op":"matches","value":"^RDV\\s+(lundi|mardi)"}`, true},
		{`{"field":"body","op":"matches","value":"probl[éè]me"}`, true},
		{`{"field":"body","op":"matches","value":"\\bÉCRAN$"}`, true},
		{`{"field":"body","op":"matches","value":"\\d{5}"}`, false},
		{`{"field":"recipients","op":"contains","value":"ventes@"}`, true},
		{`{"field":"recipients","op":"equals","value":"contact@shop.fr"}`, true},
		{`{"field":"recipients","op":"not_equals","value":"contact@shop.fr"}`, false},
		{`{"field":"recipients","op":"not_contains","value":"sav@"}`, true},
		{`{"field":"recipients","op":"ends_with","value":"@shop.fr"}`, true},
		{`{"field":"recipients","op":"in","value":["x@y.z","ventes@shop.fr"]}`, true},
		{`{"field":"channel","op":"equals","value":"EMAIL"}`, true},
		{`{"field":"channel","op":"in","value":["sms","whatsapp"]}`, false},
		{`{"field":"has_attachment","op":"equals","value":true}`, true},
		{`{"field":"has_attachment","op":"not_equals","value":true}`, false},
		{`{"field":"language","op":"equals","value":"FR"}`, true},
		{`{"none":[{"field":"channel","op":"equals","value":"sms"},{"field":"subject","op":"contains","value":"facture"}]}`, true},
		{`{"all":[{"field":"channel","op":"equals","value":"email"},{"any":[{"field":"subject","op":"contains","value":"x"},{"field":"subject","op":"contains","value":"mardi"}]}]}`, true},
		{`{"expr":"sender_domain == \"client.com\" && has_attachment && len(recipients) == 2"}`, true},
		{`{"expr":"body contains fold(\"PROBLÈME\") // a comment"}`, true},
		{`{"expr":"let d = sender_domain; d endsWith \".com\""}`, true},
		{`{"expr":"body matches \"(?i)PROBL[EÈ]ME\" && subject matches \"^rdv\\\\s\""}`, true},
		{`{"expr":"len(sender_phone) == 0 || sender_name != \"jerome\""}`, true},
		{`{"expr":"split(sender_email, \"@\")[1] == \"client.com\" && split(sender_email, \"@\", 2)[-1] == sender_domain"}`, true},
		{`{"expr":"\"Ventes\" != \"ventes\" && upper(channel) == \"EMAIL\""}`, true},
		{`{"field":"body","op":"contains","value":"quote \" and \\ backslash"}`, false},
	} {
		p, err := Compile([]byte(tc.cond))
		require.NoError(t, err, tc.cond)
		got, err := p.Match(env)
		require.NoError(t, err, tc.cond)
		require.Equal(t, tc.want, got, "%s\ncompiled to %s", tc.cond, p.Source())
	}
}

func TestExplainNamesMatchingBranch(t *testing.T) {
	p, err := Compile([]byte(`{"any":[{"field":"subject","op":"contains","value":"RDV"},{"field":"body","op":"contains","value":"rendez-vous"}]}`))
	require.NoError(t, err)
	require.Equal(t, `(subject contains "RDV" OR body contains "rendez-vous")`, p.String())
	require.Equal(t, `body contains "rendez-vous"`, p.Explain(&Env{Body: "je voudrais un rendez-vous"}))
	require.Equal(t, `subject contains "RDV"`, p.Explain(&Env{Subject: "rdv"}))
}

func TestRuntimeErrorIsReported(t *testing.T) {
	p, err := Compile([]byte(`{"expr":"recipients[3] == \"x\""}`))
	require.NoError(t, err)
	_, err = p.Match(&Env{})
	require.Error(t, err)
}

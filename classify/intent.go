package classify

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/inboxkit/inboxkit/classify/learn"
	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/textfold"
	"github.com/inboxkit/inboxkit/internal/litfilter"
)

// IntentBy is the Decision.By of the intent classifier.
const IntentBy = "intent"

// companies are the labelled messages of testdata/companies.jsonl: five
// fictional companies in different trades (see testdata/README.md). The
// intent classifier learns from them when first used.
//
//go:embed testdata/companies.jsonl
var companies []byte

// IntentOptions configure IntentClassifier. The zero value is ready.
type IntentOptions struct {
	// MinConfidence: below it no intent is reported (urgency still is).
	// 0 means 0.4.
	MinConfidence float64
	// KeepStatus stops the classifier from raising the status of a
	// conversation in danger (urgency 3: gas, fire, a medical emergency)
	// to urgent.
	KeepStatus bool
}

// IntentClassifier labels a conversation's intent and urgency without a
// model call and without filing it: put it anywhere in a Chain, which
// runs it whatever member files the conversation and keeps the labels
// that member left empty (a rule's or the AI's own intent wins).
//
// Intent comes from the learner of package learn trained on the
// labelled messages shipped in testdata (five companies, four languages,
// three channels), so it speaks the trade-independent language of those
// messages: order, invoice, appointment, complaint, cancellation,
// question, spam, other. Urgency comes from rules over folded text
// (UrgencyLevel). Both are measured on companies the classifier was not
// trained on (see BENCHMARKS.md).
type IntentClassifier struct {
	opts IntentOptions
	once sync.Once
	l    *learn.Learner
	err  error
	// train, when set (tests), replaces the shipped examples.
	train []learn.Example
}

var (
	_ inbox.Classifier    = (*IntentClassifier)(nil)
	_ inbox.HistoryNeeder = (*IntentClassifier)(nil)
	_ Labeller            = (*IntentClassifier)(nil)
)

// Intents returns the offline intent and urgency classifier.
func Intents(opts IntentOptions) *IntentClassifier {
	if opts.MinConfidence == 0 {
		opts.MinConfidence = 0.4
	}
	return &IntentClassifier{opts: opts}
}

// Name is "intent".
func (c *IntentClassifier) Name() string { return IntentBy }

// LabelsOnly marks the classifier as a Labeller: it never files.
func (c *IntentClassifier) LabelsOnly() {}

// NeedsHistory is false: the opening message decides.
func (c *IntentClassifier) NeedsHistory() bool { return false }

const intentTenant = "intent"

func (c *IntentClassifier) model() (*learn.Learner, error) {
	c.once.Do(func() {
		examples := c.train
		if examples == nil {
			examples, c.err = shippedIntentExamples()
		}
		c.l = learn.New(learn.Options{MinConfidence: -1, MinExamples: 1, MinPerFolder: 1})
		c.l.Train(intentTenant, examples)
	})
	return c.l, c.err
}

// labelledMessage is one line of testdata/companies.jsonl.
type labelledMessage struct {
	Text     string `json:"text"`
	Subject  string `json:"subject"`
	Channel  string `json:"channel"`
	Sender   string `json:"sender"`
	Language string `json:"language"`
	Company  string `json:"company"`
	Category string `json:"category"`
	Intent   string `json:"intent"`
	Urgency  int    `json:"urgency"`
}

func (m labelledMessage) example(label string) learn.Example {
	return learn.Example{Subject: m.Subject, Text: m.Text, Channel: inbox.Source(m.Channel), Sender: m.Sender, Language: m.Language, FolderID: label}
}

func parseLabelled(data []byte) ([]labelledMessage, error) {
	var out []labelledMessage
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var m labelledMessage
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			return nil, fmt.Errorf("intent examples: %w", err)
		}
		out = append(out, m)
	}
	return out, sc.Err()
}

func shippedIntentExamples() ([]learn.Example, error) {
	ms, err := parseLabelled(companies)
	if err != nil {
		return nil, err
	}
	out := make([]learn.Example, len(ms))
	for i, m := range ms {
		out[i] = m.example(m.Intent)
	}
	return out, nil
}

// intentCandidates are the intents as folders of the learner.
var intentCandidates = func() []inbox.Folder {
	var out []inbox.Folder
	for _, id := range []string{"order", "invoice", "appointment", "complaint", "cancellation", "question", "spam", "other"} {
		out = append(out, inbox.Folder{ID: id, Name: id})
	}
	return out
}()

// Classify labels the message's intent and urgency. It never files.
func (c *IntentClassifier) Classify(ctx context.Context, in inbox.ClassifyInput) (inbox.Decision, error) {
	if err := ctx.Err(); err != nil {
		return inbox.Decision{}, err
	}
	l, err := c.model()
	if err != nil {
		return inbox.Decision{}, err
	}
	q := in
	q.Tenant = inbox.Tenant{ID: intentTenant}
	q.Folders = intentCandidates
	d, err := l.Classify(ctx, q)
	if err != nil {
		return inbox.Decision{}, err
	}
	out := inbox.Decision{By: IntentBy}
	var reasons []string
	text := in.Message.Subject + "\n" + in.Message.Text
	if in.Message.Text == "" {
		text += in.Message.HTML
	}
	folded := textfold.Fold(text)
	switch d.FolderID {
	case "order", "appointment", "question", "other":
		// Cancelling is an order's or an appointment's topic, said in
		// a few verbs the model sees too rarely to learn alone.
		if cancelWords.MatchString(folded) {
			d.FolderID, d.Reason = "cancellation", "asks to cancel"
		}
	}
	if d.FolderID != "" && d.Confidence >= c.opts.MinConfidence {
		out.Intent = inbox.Intent(d.FolderID)
		out.Confidence = d.Confidence
		reasons = append(reasons, fmt.Sprintf("intent %s (confidence %.2f)", d.FolderID, d.Confidence))
	}
	level, why := urgencyLevel(folded)
	if out.Intent == inbox.IntentSpam && (level < 2 || why == "service cut or down" || why == "urgent") {
		// Phishing threatens suspensions and deadlines; a customer's
		// legal notice or a wrong delivery address stays urgent even if
		// the model mistakes it for spam.
		level, why = 0, "spam"
	}
	out.Urgency = urgencyOf(level)
	if why != "" {
		reasons = append(reasons, fmt.Sprintf("urgency %d: %s", level, why))
	}
	if level == 3 && !c.opts.KeepStatus {
		out.Status = inbox.StatusUrgent
	}
	out.Reason = strings.Join(reasons, "; ")
	return out, nil
}

// cancelWords are the verbs of cancelling, folded.
var cancelWords = litfilter.MustCompile(`\b(?:annul\w*|resili\w*|cancel\w*|storn\w*|kundig\w*|absag\w*|sage\w* (?:\w+ )?ab|anul\w*|dar de baja|de baja|baja del|retirer \d+ licences?|supprim\w* \d+ licences?)\b`)

// urgencyOf maps a level 0-3 to inbox's urgencies: 0 low, 1 normal, 2
// and 3 high.
func urgencyOf(level int) inbox.Urgency {
	switch {
	case level <= 0:
		return inbox.UrgencyLow
	case level == 1:
		return inbox.UrgencyNormal
	}
	return inbox.UrgencyHigh
}

// urgencyRules are phrases, folded (lower case, no accents), in French,
// English, German and Spanish. Level 3 is danger to people or property
// now; level 2 is harm today if nobody acts (see testdata/README.md).
var urgencyRules = []struct {
	level int
	why   string
	re    *litfilter.Regexp
}{
	{3, "gas", litfilter.MustCompile(`\b(?:odeur de gaz|sent (?:le|du) gaz|fuite de gaz|smell(?:s)? of gas|gas (?:smell|leak)|smell gas|nach gas|gasgeruch|huele (?:muchisimo |mucho )?a gas|olor a gas)\b`)},
	{3, "fire or smoke", litfilter.MustCompile(`\b(?:brule|brulee|brulant|fumee|fume|etincelles?|disjoncteur|plastique fondu|burning|smok(?:e|ing)|sparks?|on fire|brandgeruch|verbrannt|rauch|funken|humo|chispas|quemado|incendie|fire)\b`)},
	{3, "medical emergency", litfilter.MustCompile(`\b(?:duele muchisimo|zahnschmerzen|rage de dents?|severe pain|douleur insupportable|saigne|saignement|sang|bleed(?:ing)?|blutet|blut|sangra|sangre|gonfle|gonflee|swollen|swelling|geschwollen|hinchad[ao]|fievre|fever|fieber|fiebre|assistance respiratoire|respirateur|life support|urgences|emergency room|notaufnahme|cassee? une dent|broke(?:n)? (?:a|his|her) tooth)\b`)},
	{3, "safety", litfilter.MustCompile(`\b(?:freins? ne repond|failli avoir un accident|brakes? (?:failed|not working)|bremsen versagen|frenos no|mal serres|violation de donnees|fuite de donnees|data breach|datenleck|dangereux|dangerous|gefahrlich|peligroso)\b`)},
	{2, "legal", litfilter.MustCompile(`\b(?:mise en demeure|mets en demeure|avocat|tribunal|huissier|contentieux|recouvrement|menacent d'une saisie|porter plainte|mediateur|lawyer|solicitor|legal action|collections?|final notice|anwalt|rechtliche|gericht|inkasso|letzte frist|letztmalig|abogado|demanda|juzgado)\b`)},
	{2, "service cut or down", litfilter.MustCompile(`\b(?:avis de coupure|coupe(?:e|r)? le courant|courant coupe|retablissez|inaccessible|plus aucun acces|plus d'acces|impossible de se connecter|suspendu|down|error 50\d|erreur 50\d|ausfall|gesperrt|cortaron|caid[oa])\b`)},
	{2, "data lost", litfilter.MustCompile(`\b(?:a disparu|donnees perdues|lost (?:all|our) data|daten (?:weg|verloren)|datos perdidos)\b`)},
	{2, "wrong address now", litfilter.MustCompile(`\b(?:mauvaise adresse|ancienne adresse|ancien appart|pas la bonne adresse|il repart|repart dans|wrong address|falsche adresse|direccion equivocada)\b`)},
	{2, "urgent", litfilter.MustCompile(`\b(?:urgent|urgence|urgente|d'urgence|asap|immediately|immediatement|sofort|dringend|de inmediato|right now|avant (?:samedi|demain|mon depart)|un mariage|ubermorgen|panne sur l'autoroute|en panne sur|bande d'arret)\b`)},
}

// UrgencyLevel rates how soon a message needs someone, from 0 to 3, with
// the rule that decided: 3 danger to people or property now (gas, fire,
// a medical emergency, failing brakes, a personal data breach), 2 harm
// today if nobody acts (a legal notice or a lawyer, a service cut or
// down, lost data, a delivery at a wrong address now, "urgent"), 1
// otherwise. Level 0 (nothing to do) is for spam and bare replies, which
// the caller knows. The text is folded first, so accents and case do not
// matter.
func UrgencyLevel(text string) (int, string) {
	return urgencyLevel(textfold.Fold(text))
}

// urgencyLevel is UrgencyLevel of folded text.
func urgencyLevel(f string) (int, string) {
	best, why := 1, ""
	for _, r := range urgencyRules {
		if r.level > best && r.re.MatchString(f) {
			best, why = r.level, r.why
		}
	}
	if best == 1 && bareReply(f) {
		return 0, "bare reply"
	}
	return best, why
}

var bareWords = regexp.MustCompile(`^[\s\p{P}\p{S}]*(?:ok(?:ay)?|merci(?: beaucoup| bien)?|thanks?(?: you| a lot)?|thx|danke(?: schon)?|gracias|vale|parfait|perfect|super|top|d'accord|bien (?:recu|note)|stop|c qui|qui est[- ]ce|who(?:'s| is) (?:this|that)|wer ist (?:da|das)|quien es)[\s\p{P}\p{S}]*$`)

func bareReply(folded string) bool {
	return bareWords.MatchString(strings.TrimSpace(folded))
}

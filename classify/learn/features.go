package learn

import (
	"hash/fnv"
	"math"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/textfold"
)

// Example is one labelled message: what the learner trains on.
type Example struct {
	Subject  string       `json:"subject,omitempty"`
	Text     string       `json:"text"`
	Channel  inbox.Source `json:"channel,omitempty"`
	Sender   string       `json:"sender,omitempty"` // an email address or phone number
	Language string       `json:"language,omitempty"`
	FolderID string       `json:"folder"`
}

// ExampleFrom builds the example of a classification input; the
// conversation's subject stands in for an SMS that has none, and when the
// message is too short to say much ("allo ?", "c'est pour quand"), the
// customer's next messages in the conversation are added as context.
func ExampleFrom(in inbox.ClassifyInput, folderID string) Example {
	m := in.Message
	sender := m.From.Email
	if sender == "" {
		sender = m.From.Phone
	}
	subject := m.Subject
	if subject == "" {
		subject = in.Conversation.Subject
	}
	text := m.Text
	if text == "" {
		text = m.HTML
	}
	if utf8.RuneCountInString(text) < shortMessage {
		added := 0
		for _, h := range in.History {
			if h.Direction != inbox.DirectionIn || h.ID == m.ID || (m.ID == "" && h.Text == m.Text) || added == 2 {
				continue
			}
			text += "\n" + truncateBytes(h.Text, 500)
			added++
		}
	}
	source := m.Source
	if source == "" {
		source = in.Conversation.Source
	}
	return Example{Subject: subject, Text: text, Channel: source, Sender: sender, Language: m.Language, FolderID: folderID}
}

// shortMessage is the length (in characters) under which a message is
// completed by the conversation's next customer messages.
const shortMessage = 60

func truncateBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}

// maxTextBytes bounds the text a message contributes: the start of a
// message says what it is about, quoted history and signatures follow.
const maxTextBytes = 4 << 10

// params are the learner's feature weights (relative to a word) and the
// sharpness of its confidence. The defaults were chosen by
// leave-one-company-out cross-validation on testdata/companies.jsonl:
// every candidate was scored on companies it was not trained on, so the
// weights favour what carries over to a trade the learner never saw.
type params struct {
	word, bigram, char, subject, sender, meta, concept, cue float64
	// sharpness turns score gaps into a confidence (see model.predict).
	sharpness float64
}

var defaultParams = params{
	word:      1.0,
	bigram:    0.7,
	char:      0.25,
	subject:   1.5, // subject words count again, as subject words
	sender:    1.0,
	meta:      0.5, // channel and language
	concept:   2.0, // a word's cross-language concept (see concepts)
	cue:       2.0, // trade-independent cues (see cues.go)
	sharpness: 3.5,
}

// features turns an example into hashed, weighted features: folded words
// without stop words (SMS abbreviations expanded), word bigrams,
// character 3- to 5-grams of each word (robust to typos, missing accents
// and inflections), subject words, sender address and domain, channel and
// language, cross-language concepts and trade-independent cues (links,
// amounts, times, carriers, bare replies: see cues.go). Term frequencies
// are dampened (log(1+tf)) and the vector is L2-normalised, so long mails
// do not outweigh SMS.
func features(ex Example, p *params) map[uint64]float64 {
	text := customerWords(truncateBytes(ex.Text, maxTextBytes))
	f := make(map[uint64]float64, 32+2*(len(text)+len(ex.Subject)))
	add := func(kind byte, s string, w float64) {
		f[hash(kind, s)] += w
	}
	subjectWords := words(ex.Subject)
	bodyWords := words(text)
	for _, ws := range [][]string{subjectWords, bodyWords} {
		for i, w := range ws {
			add('w', w, p.word)
			if i > 0 {
				add('b', ws[i-1]+" "+w, p.bigram)
			}
			charGrams(w, func(g string) { add('c', g, p.char) })
			if c := conceptOf(w); c != "" {
				add('k', c, p.concept)
			}
		}
	}
	for _, w := range subjectWords {
		add('s', w, p.subject)
	}
	if sender := strings.TrimSpace(ex.Sender); sender != "" {
		if strings.Contains(sender, "@") {
			email := inbox.NormalizeEmail(sender)
			add('f', email, p.sender)
			_, domain, _ := strings.Cut(email, "@")
			add('d', domain, p.sender)
			local, _, _ := strings.Cut(email, "@")
			for _, part := range strings.FieldsFunc(local, func(r rune) bool { return !unicode.IsLetter(r) }) {
				if len(part) > 2 {
					add('l', part, p.sender/2) // "support", "compta", "newsletter"
				}
			}
		} else {
			phone := inbox.NormalizePhone(sender)
			add('f', phone, p.sender)
			if len(phone) > 4 {
				add('d', "+"+phone[:2], p.meta) // country code
			}
		}
	}
	if ex.Channel != "" {
		add('m', "ch:"+string(ex.Channel), p.meta)
	}
	if ex.Language != "" {
		add('m', "lang:"+textfold.Fold(ex.Language), p.meta)
	}
	for _, c := range cues(ex, subjectWords, bodyWords) {
		add('q', c, p.cue)
		if ex.Channel != "" {
			add('q', string(ex.Channel)+":"+c, p.cue/2) // a link in an SMS is not a link in a mail
		}
	}
	var norm float64
	for k, v := range f {
		v = math.Log1p(v) // sublinear term frequency
		f[k] = v
		norm += v * v
	}
	if norm > 0 {
		norm = math.Sqrt(norm)
		for k := range f {
			f[k] /= norm
		}
	}
	return f
}

// customerWords drops what the customer quotes (lines starting with
// ">" and everything after an "On … wrote:" line): the company's own
// words, quoted back, say nothing about what the customer wants.
func customerWords(text string) string {
	if loc := quotedPattern.FindStringIndex(text); loc != nil {
		return text[:loc[0]]
	}
	return text
}

// words folds text and splits it into tokens, dropping stop words and
// mapping numbers to their shape ("<num5>" for an order number).
func words(text string) []string {
	folded := textfold.Fold(text)
	var out []string
	for _, tok := range strings.FieldsFunc(folded, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}) {
		if isDigits(tok) {
			out = append(out, "<num"+string(rune('0'+min(len(tok), 9)))+">")
			continue
		}
		if full, ok := abbreviations[tok]; ok {
			for _, w := range strings.Fields(full) {
				if !stopWords[w] {
					out = append(out, w)
				}
			}
			continue
		}
		if stopWords[tok] || utf8.RuneCountInString(tok) < 2 {
			continue
		}
		out = append(out, tok)
	}
	return out
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// charGrams calls fn with the 3- to 5-grams of "_word_".
func charGrams(w string, fn func(string)) {
	r := []rune("_" + w + "_")
	for n := 3; n <= 5; n++ {
		for i := 0; i+n <= len(r); i++ {
			fn(string(r[i : i+n]))
		}
	}
}

// hash maps a feature to 64 bits; the kind byte keeps a word and a
// character gram with the same letters apart. The model stores hashes,
// never customers' words.
func hash(kind byte, s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte{kind})
	h.Write([]byte(s))
	return h.Sum64()
}

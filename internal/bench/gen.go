package bench

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/inboxkit/inboxkit/inbox"
)

// Options shape generated data. Zero fields take the documented defaults.
type Options struct {
	// Messages is how many messages to generate. 0 means 10,000.
	Messages int
	// Conversations is how many threads they form. 0 means Messages/10.
	Conversations int
	// MinBody and MaxBody bound the body size in bytes. 0 means 2 KB and
	// 10 KB.
	MinBody, MaxBody int
	// Start is the first message's time. Zero means 2026-01-01 UTC.
	Start time.Time
	// Seed makes generation reproducible.
	Seed uint64
}

// Generator produces inbound messages in time order.
type Generator struct {
	opts  Options
	rng   *rand.Rand
	vocab []string
	zipf  *rand.Zipf

	emitted int
	now     time.Time
	// the current wave of threads being written, and each thread's state
	wave    []*thread
	nextTID int
	perConv int
}

type thread struct {
	id, contact int
	subject     string
	left        int
	lastMsgID   string
	refs        []string
}

// RareWords are order references each carried by about 20 messages.
func (g *Generator) RareWords() []string {
	out := make([]string, 50)
	for i := range out {
		out[i] = fmt.Sprintf("ref%06d", (i*7919)%g.refs())
	}
	return out
}

// FrequentWords are the most common vocabulary words: each is in nearly
// every message.
func (g *Generator) FrequentWords() []string { return g.vocab[:5] }

// MediumWords are words found in roughly one message in ten.
func (g *Generator) MediumWords() []string { return g.vocab[1000:1005] }

func (g *Generator) refs() int { return max(1, g.opts.Messages/20) }

// accented are real words with diacritics, mixed into bodies so accent
// folding is exercised at scale.
var accented = []string{"problème", "réclamation", "livraison", "délai", "reçu", "commandé", "garantie", "écran", "câble", "désolé", "mañana", "größe", "façade", "élève", "naïve"}

// New returns a generator for opts.
func New(opts Options) *Generator {
	if opts.Messages <= 0 {
		opts.Messages = 10_000
	}
	if opts.Conversations <= 0 {
		opts.Conversations = max(1, opts.Messages/10)
	}
	if opts.MinBody <= 0 {
		opts.MinBody = 2 << 10
	}
	if opts.MaxBody < opts.MinBody {
		opts.MaxBody = max(opts.MinBody, 10<<10)
	}
	if opts.Start.IsZero() {
		opts.Start = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	rng := rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15))
	g := &Generator{opts: opts, rng: rng, now: opts.Start}
	g.vocab = vocabulary(rng, 30_000)
	g.zipf = rand.NewZipf(rng, 1.07, 2, uint64(len(g.vocab)-1))
	g.perConv = max(1, opts.Messages/opts.Conversations)
	return g
}

// vocabulary builds n distinct pronounceable pseudo-words.
func vocabulary(rng *rand.Rand, n int) []string {
	syll := []string{"ka", "lo", "mi", "ne", "ro", "ta", "vu", "si", "de", "pa", "gu", "fe", "zo", "ri", "ba", "no", "te", "ly", "ca", "mo"}
	seen := map[string]bool{}
	out := make([]string, 0, n)
	for len(out) < n {
		var b strings.Builder
		for range 2 + rng.IntN(3) {
			b.WriteString(syll[rng.IntN(len(syll))])
		}
		w := b.String()
		if !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	return out
}

// Done reports whether every message was generated.
func (g *Generator) Done() bool { return g.emitted >= g.opts.Messages }

// Next returns the next batch of up to n messages, in time order.
func (g *Generator) Next(n int) []inbox.Inbound {
	out := make([]inbox.Inbound, 0, n)
	for len(out) < n && !g.Done() {
		out = append(out, g.one())
	}
	return out
}

const waveSize = 50

func (g *Generator) one() inbox.Inbound {
	// Keep a wave of active threads; each emits perConv messages.
	for len(g.wave) < waveSize && g.nextTID < g.opts.Conversations {
		t := &thread{id: g.nextTID, contact: g.nextTID % max(1, g.opts.Conversations/2), left: g.perConv}
		t.subject = fmt.Sprintf("%s %s %s #%d", g.word(), g.word(), accented[g.nextTID%len(accented)], g.nextTID)
		g.wave = append(g.wave, t)
		g.nextTID++
	}
	if len(g.wave) == 0 { // more messages than threads × perConv: reopen old threads
		t := &thread{id: g.rng.IntN(g.opts.Conversations), left: 1}
		t.contact = t.id % max(1, g.opts.Conversations/2)
		t.subject = fmt.Sprintf("follow-up #%d", t.id)
		g.wave = append(g.wave, t)
	}
	i := g.rng.IntN(len(g.wave))
	t := g.wave[i]
	g.now = g.now.Add(time.Duration(1+g.rng.IntN(30)) * time.Second)
	g.emitted++
	msgID := fmt.Sprintf("m%d.t%d@bench.example", g.emitted, t.id)
	in := inbox.Inbound{
		Source:     inbox.SourceEmail,
		ProviderID: fmt.Sprintf("1:%d", g.emitted),
		MessageID:  msgID,
		InReplyTo:  t.lastMsgID,
		References: append([]string(nil), t.refs...),
		From:       inbox.Party{Name: fmt.Sprintf("Client %d", t.contact), Email: fmt.Sprintf("client%d@customer.example", t.contact)},
		To:         []inbox.Party{{Email: "support@shop.example"}},
		Subject:    t.subject,
		Text:       g.body(),
		SentAt:     g.now,
	}
	if t.lastMsgID != "" {
		in.Subject = "Re: " + t.subject
	}
	t.lastMsgID = msgID
	if len(t.refs) < 10 {
		t.refs = append(t.refs, msgID)
	}
	t.left--
	if t.left <= 0 {
		g.wave[i] = g.wave[len(g.wave)-1]
		g.wave = g.wave[:len(g.wave)-1]
	}
	return in
}

func (g *Generator) word() string { return g.vocab[g.zipf.Uint64()] }

func (g *Generator) body() string {
	size := g.opts.MinBody + g.rng.IntN(g.opts.MaxBody-g.opts.MinBody+1)
	var b strings.Builder
	b.Grow(size + 16)
	fmt.Fprintf(&b, "Bonjour,\n\nMa commande ref%06d.\n", g.rng.IntN(g.refs()))
	for b.Len() < size {
		if g.rng.IntN(40) == 0 {
			b.WriteString(accented[g.rng.IntN(len(accented))])
		} else {
			b.WriteString(g.word())
		}
		if g.rng.IntN(12) == 0 {
			b.WriteString(".\n")
		} else {
			b.WriteByte(' ')
		}
	}
	return b.String()
}

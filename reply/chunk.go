package reply

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Chunking defaults: passages small enough that several fit in a prompt,
// large enough to hold a complete answer (a delivery policy, a price
// list); the overlap keeps a fact cut at a boundary findable from both
// sides.
const (
	DefaultChunkSize    = 800
	DefaultChunkOverlap = 120
)

// ChunkOptions size the passages a document is cut into.
type ChunkOptions struct {
	// Size is the longest chunk in characters, heading line included.
	// 0 means DefaultChunkSize; values under 200 mean 200.
	Size int
	// Overlap is how many characters at the end of a chunk start the next
	// chunk of the same section again. 0 means DefaultChunkOverlap;
	// negative means none.
	Overlap int
}

func (o ChunkOptions) normalized() (size, overlap int) {
	size, overlap = o.Size, o.Overlap
	if size == 0 {
		size = DefaultChunkSize
	}
	size = max(size, 200)
	switch {
	case overlap == 0:
		overlap = DefaultChunkOverlap
	case overlap < 0:
		overlap = 0
	}
	return size, min(overlap, size/3)
}

// Chunk cuts a document into passages for retrieval. It follows the
// document's structure: a chunk never spans two sections, starts with the
// path of headings it belongs to ("Livraison › Délais"), and is filled
// with whole paragraphs, then whole sentences, and only then cut between
// words. Consecutive chunks of a section overlap by about opts.Overlap
// characters of whole sentences.
func Chunk(format, body string, opts ChunkOptions) ([]string, error) {
	blocks, err := parseDocument(format, body)
	if err != nil {
		return nil, err
	}
	size, overlap := opts.normalized()
	return chunkBlocks(blocks, size, overlap), nil
}

// piece is a run of text and how it joins the text before it.
type piece struct {
	text string
	sep  string // "\n" between paragraphs, " " between sentences
}

type chunker struct {
	size, overlap int
	headings      []block // the open heading of each level, outermost first
	body          []piece
	bodyLen       int
	fresh         bool // the body holds more than the previous chunk's overlap
	out           []string
}

func chunkBlocks(blocks []block, size, overlap int) []string {
	c := &chunker{size: size, overlap: overlap}
	for _, b := range blocks {
		if b.Level > 0 {
			c.emit()
			c.body, c.bodyLen = nil, 0
			for len(c.headings) > 0 && c.headings[len(c.headings)-1].Level >= b.Level {
				c.headings = c.headings[:len(c.headings)-1]
			}
			c.headings = append(c.headings, block{Level: b.Level, Text: strings.Join(strings.Fields(b.Text), " ")})
			continue
		}
		budget := c.budget()
		for i, s := range splitToFit(b.Text, budget) {
			sep := " "
			if i == 0 {
				sep = "\n"
			}
			c.add(piece{text: s, sep: sep}, budget)
		}
	}
	c.emit()
	return c.out
}

// header is the heading path a chunk starts with.
func (c *chunker) header() string {
	parts := make([]string, len(c.headings))
	for i, h := range c.headings {
		parts[i] = h.Text
	}
	return strings.Join(parts, " › ")
}

// budget is the room left for text once the header is written.
func (c *chunker) budget() int {
	h := utf8.RuneCountInString(c.header())
	return max(c.size-h-1, c.size/2)
}

func (c *chunker) add(p piece, budget int) {
	n := utf8.RuneCountInString(p.text)
	if c.bodyLen > 0 && c.bodyLen+1+n > budget {
		c.emit()
		tail := overlapTail(c.text(), c.overlap)
		c.body, c.bodyLen = nil, 0
		if t := utf8.RuneCountInString(tail); tail != "" && t+1+n <= budget {
			c.body, c.bodyLen = []piece{{text: tail}}, t
			p.sep = " "
		}
	}
	if c.bodyLen > 0 {
		c.bodyLen++
	}
	c.body = append(c.body, p)
	c.bodyLen += n
	c.fresh = true
}

// text is the current chunk's body.
func (c *chunker) text() string {
	var b strings.Builder
	for i, p := range c.body {
		if i > 0 {
			b.WriteString(p.sep)
		}
		b.WriteString(p.text)
	}
	return b.String()
}

func (c *chunker) emit() {
	if !c.fresh {
		return
	}
	c.fresh = false
	text := c.text()
	if h := c.header(); h != "" {
		text = h + "\n" + text
	}
	c.out = append(c.out, text)
}

// splitToFit cuts a paragraph into sentences, and sentences longer than
// budget between words, so every piece fits in a chunk.
func splitToFit(text string, budget int) []string {
	if utf8.RuneCountInString(text) <= budget {
		return []string{text}
	}
	var out []string
	for _, s := range sentences(text) {
		for utf8.RuneCountInString(s) > budget {
			cut := wordCut(s, budget)
			out = append(out, strings.TrimSpace(s[:cut]))
			s = strings.TrimSpace(s[cut:])
		}
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// sentences splits text after ., !, ?, … or a line break followed by
// space. It is deliberately simple: a rare split after an abbreviation
// only makes one chunk boundary less tidy.
func sentences(text string) []string {
	var out []string
	start := 0
	runes := []rune(text)
	for i, r := range runes {
		end := r == '\n' || ((r == '.' || r == '!' || r == '?' || r == '…') && i+1 < len(runes) && unicode.IsSpace(runes[i+1]))
		if end {
			if s := strings.TrimSpace(string(runes[start : i+1])); s != "" {
				out = append(out, s)
			}
			start = i + 1
		}
	}
	if s := strings.TrimSpace(string(runes[start:])); s != "" {
		out = append(out, s)
	}
	return out
}

// wordCut returns the byte offset at which to cut s so that the first
// part has at most limit runes, preferring the last space before it.
func wordCut(s string, limit int) int {
	byteLimit, runes := len(s), 0
	for i := range s {
		if runes == limit {
			byteLimit = i
			break
		}
		runes++
	}
	if sp := strings.LastIndexFunc(s[:byteLimit], unicode.IsSpace); sp > byteLimit/2 {
		return sp
	}
	return byteLimit
}

// overlapTail returns the last whole sentences of text that fit in limit
// characters, or its last words when the final sentence alone is longer.
func overlapTail(text string, limit int) string {
	if limit <= 0 {
		return ""
	}
	ss := sentences(text)
	var tail []string
	n := 0
	for i := len(ss) - 1; i >= 0; i-- {
		l := utf8.RuneCountInString(ss[i])
		if n+l+1 > limit {
			break
		}
		tail = append([]string{ss[i]}, tail...)
		n += l + 1
	}
	if len(tail) > 0 {
		if len(tail) == len(ss) {
			return "" // the whole chunk: repeating it is no overlap
		}
		return strings.Join(tail, " ")
	}
	runes := []rune(text)
	if len(runes) <= limit {
		return ""
	}
	last := string(runes[len(runes)-limit:])
	if sp := strings.IndexFunc(last, unicode.IsSpace); sp >= 0 {
		last = last[sp:]
	}
	return "… " + strings.TrimSpace(last)
}

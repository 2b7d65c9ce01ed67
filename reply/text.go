package reply

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/inboxkit/inboxkit/inbox"
)

// Document formats accepted by the knowledge base.
const (
	FormatText     = "text"
	FormatMarkdown = "markdown"
	FormatHTML     = "html"
)

// block is a unit of document structure: a heading (Level 1-6) or a
// paragraph (Level 0) of plain text.
type block struct {
	Level int
	Text  string
}

// parseDocument turns a document body into headings and paragraphs of
// plain text, whatever its format.
func parseDocument(format, body string) ([]block, error) {
	if !utf8.ValidString(body) {
		return nil, inbox.Invalid("body", "is not valid UTF-8")
	}
	body = strings.ReplaceAll(strings.ReplaceAll(body, "\r\n", "\n"), "\r", "\n")
	switch strings.ToLower(strings.TrimSpace(format)) {
	case FormatText, "", "txt", "plain":
		return textBlocks(body), nil
	case FormatMarkdown, "md":
		return markdownBlocks(body), nil
	case FormatHTML, "htm":
		return htmlBlocks(body)
	}
	return nil, inbox.Invalid("format", fmt.Sprintf("%q is not text, markdown or html", format))
}

// PlainText renders a document body of the given format as plain text:
// headings on their own lines, paragraphs separated by blank lines, no
// markup. It is what the knowledge base indexes.
func PlainText(format, body string) (string, error) {
	blocks, err := parseDocument(format, body)
	if err != nil {
		return "", err
	}
	parts := make([]string, len(blocks))
	for i, b := range blocks {
		parts[i] = b.Text
	}
	return strings.Join(parts, "\n\n"), nil
}

// textBlocks splits plain text into paragraphs at blank lines.
func textBlocks(body string) []block {
	var out []block
	for _, p := range splitParagraphs(body) {
		out = append(out, block{Text: p})
	}
	return out
}

func splitParagraphs(s string) []string {
	var out []string
	for _, p := range blankLine.Split(s, -1) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

var (
	blankLine    = regexp.MustCompile(`\n[ \t]*\n`)
	htmlSpace    = regexp.MustCompile(`[ \t\n\f\r]+`)
	mdATX        = regexp.MustCompile(`^ {0,3}(#{1,6})[ \t]+(.*?)[ \t#]*$`)
	mdSetext     = regexp.MustCompile(`^ {0,3}(=+|-+)[ \t]*$`)
	mdFence      = regexp.MustCompile("^ {0,3}(```|~~~)")
	mdRule       = regexp.MustCompile(`^ {0,3}([-*_])( *[-*_]){2,} *$`)
	mdImage      = regexp.MustCompile(`!\[([^\]]*)\]\([^)]*\)`)
	mdLink       = regexp.MustCompile(`\[([^\]]+)\]\(([^)\s]+)(?:\s+"[^"]*")?\)`)
	mdAutoLink   = regexp.MustCompile(`<((?:https?://|mailto:)[^>\s]+)>`)
	mdTag        = regexp.MustCompile(`</?[a-zA-Z][^>]*>`)
	mdEmphasis   = regexp.MustCompile(`(\*\*|__)(\S(?:.*?\S)?)(\*\*|__)`)
	mdItalic     = regexp.MustCompile(`(^|[^\w*])[*_](\S(?:[^*_]*?\S)?)[*_]([^\w*]|$)`)
	mdCode       = regexp.MustCompile("`([^`]+)`")
	mdListMarker = regexp.MustCompile(`^\s*(?:[-*+]|\d+[.)])\s+`)
	mdQuote      = regexp.MustCompile(`^\s*>\s?`)
)

// markdownBlocks reads the structure of Markdown: ATX and setext headings,
// paragraphs, lists (one item per line), fenced code kept verbatim; inline
// markup is removed and links keep their target in parentheses, so a
// calendar or tracking link survives as text the model can quote.
func markdownBlocks(body string) []block {
	var (
		out   []block
		para  []string
		fence string
	)
	flush := func() {
		if text := strings.TrimSpace(strings.Join(para, "\n")); text != "" {
			out = append(out, block{Text: text})
		}
		para = para[:0]
	}
	for _, line := range strings.Split(body, "\n") {
		if fence != "" {
			if strings.HasPrefix(strings.TrimSpace(line), fence) {
				fence = ""
				flush()
				continue
			}
			para = append(para, line)
			continue
		}
		if m := mdFence.FindStringSubmatch(line); m != nil {
			flush()
			fence = m[1]
			continue
		}
		if m := mdATX.FindStringSubmatch(line); m != nil {
			flush()
			if text := markdownInline(m[2]); text != "" {
				out = append(out, block{Level: len(m[1]), Text: text})
			}
			continue
		}
		if mdSetext.MatchString(line) && len(para) == 1 {
			level := 2
			if strings.Contains(line, "=") {
				level = 1
			}
			out = append(out, block{Level: level, Text: markdownInline(para[0])})
			para = para[:0]
			continue
		}
		if mdRule.MatchString(line) || strings.TrimSpace(line) == "" {
			flush()
			continue
		}
		line = mdQuote.ReplaceAllString(line, "")
		if mdListMarker.MatchString(line) {
			line = "- " + mdListMarker.ReplaceAllString(line, "")
		}
		para = append(para, markdownInline(strings.TrimSpace(line)))
	}
	flush()
	return out
}

// markdownInline strips inline Markdown from one line.
func markdownInline(s string) string {
	s = mdImage.ReplaceAllString(s, "$1")
	s = mdLink.ReplaceAllStringFunc(s, func(m string) string {
		sub := mdLink.FindStringSubmatch(m)
		if sub[1] == sub[2] || strings.TrimPrefix(sub[2], "mailto:") == sub[1] {
			return sub[1]
		}
		return sub[1] + " (" + sub[2] + ")"
	})
	s = mdAutoLink.ReplaceAllString(s, "$1")
	s = mdTag.ReplaceAllString(s, "")
	s = mdCode.ReplaceAllString(s, "$1")
	s = mdEmphasis.ReplaceAllString(s, "$2")
	s = mdItalic.ReplaceAllString(s, "$1$2$3")
	return html.UnescapeString(strings.TrimSpace(s))
}

// htmlSkip are elements whose content is never text a reader sees.
var htmlSkip = map[atom.Atom]bool{
	atom.Head: true, atom.Script: true, atom.Style: true, atom.Noscript: true, atom.Template: true,
	atom.Svg: true, atom.Math: true, atom.Iframe: true, atom.Object: true, atom.Embed: true,
	atom.Canvas: true, atom.Select: true, atom.Button: true, atom.Form: true,
}

// htmlBreaks are elements that start a new paragraph.
var htmlBreaks = map[atom.Atom]bool{
	atom.P: true, atom.Div: true, atom.Section: true, atom.Article: true, atom.Header: true,
	atom.Footer: true, atom.Main: true, atom.Aside: true, atom.Nav: true, atom.Blockquote: true,
	atom.Pre: true, atom.Ul: true, atom.Ol: true, atom.Dl: true, atom.Table: true, atom.Tr: true,
	atom.Figure: true, atom.Hr: true, atom.Address: true, atom.Details: true, atom.Summary: true,
}

// htmlBlocks parses HTML with the HTML5 algorithm (x/net/html), so broken
// markup reads the way a browser shows it; scripts, styles and other
// invisible content are dropped, links keep their http(s) or mailto
// target in parentheses.
func htmlBlocks(body string) ([]block, error) {
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		return nil, inbox.Invalid("body", "is not readable HTML: "+err.Error())
	}
	w := htmlWalker{}
	w.walk(doc, false)
	w.flush(0)
	return w.out, nil
}

type htmlWalker struct {
	out []block
	cur strings.Builder
}

// flush ends the current paragraph (level 0) or heading.
func (w *htmlWalker) flush(level int) {
	text := w.cur.String()
	w.cur.Reset()
	var lines []string
	for _, l := range strings.Split(text, "\n") {
		if l = strings.Join(strings.Fields(l), " "); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) > 0 {
		w.out = append(w.out, block{Level: level, Text: strings.Join(lines, "\n")})
	}
}

func (w *htmlWalker) walk(n *html.Node, pre bool) {
	switch n.Type {
	case html.TextNode:
		text := n.Data
		if pre {
			w.cur.WriteString(text)
		} else {
			// HTML collapses every run of white space, line breaks
			// included, to one space.
			w.cur.WriteString(htmlSpace.ReplaceAllString(text, " "))
		}
		return
	case html.CommentNode, html.DoctypeNode:
		return
	case html.ElementNode:
		if htmlSkip[n.DataAtom] || hasAttr(n, "hidden") {
			return
		}
	}
	level := headingLevel(n.DataAtom)
	switch {
	case level > 0:
		w.flush(0)
	case htmlBreaks[n.DataAtom]:
		w.flush(0)
	case n.DataAtom == atom.Li || n.DataAtom == atom.Dt || n.DataAtom == atom.Dd:
		w.cur.WriteString("\n- ")
	case n.DataAtom == atom.Br:
		w.cur.WriteByte('\n')
	case n.DataAtom == atom.Td || n.DataAtom == atom.Th:
		w.cur.WriteString(" ")
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		w.walk(c, pre || n.DataAtom == atom.Pre)
	}
	if n.DataAtom == atom.A {
		// The link's own text, not what the walk wrote: a block inside
		// the link flushes the paragraph being written.
		if href := linkTarget(n); href != "" && !strings.Contains(nodeText(n), href) {
			w.cur.WriteString(" (" + href + ") ")
		}
	}
	switch {
	case level > 0:
		w.flush(level)
	case htmlBreaks[n.DataAtom]:
		w.flush(0)
	}
}

// nodeText is the text of n's descendants, as written in the document.
func nodeText(n *html.Node) string {
	var b strings.Builder
	var visit func(*html.Node)
	visit = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			visit(c)
		}
	}
	visit(n)
	return b.String()
}

func headingLevel(a atom.Atom) int {
	switch a {
	case atom.H1:
		return 1
	case atom.H2:
		return 2
	case atom.H3:
		return 3
	case atom.H4:
		return 4
	case atom.H5:
		return 5
	case atom.H6:
		return 6
	}
	return 0
}

func hasAttr(n *html.Node, key string) bool {
	for _, a := range n.Attr {
		if a.Key == key {
			return true
		}
	}
	return false
}

// linkTarget returns an http(s) or mailto href worth showing; javascript:
// and relative links carry nothing a customer can use.
func linkTarget(n *html.Node) string {
	for _, a := range n.Attr {
		if a.Key != "href" {
			continue
		}
		href := strings.TrimSpace(a.Val)
		lower := strings.ToLower(href)
		if strings.HasPrefix(lower, "https://") || strings.HasPrefix(lower, "http://") {
			return href
		}
		if strings.HasPrefix(lower, "mailto:") {
			return strings.TrimPrefix(href, href[:len("mailto:")])
		}
	}
	return ""
}

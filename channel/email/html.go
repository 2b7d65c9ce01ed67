package email

import (
	"io"
	"regexp"
	"strings"

	"github.com/microcosm-cc/bluemonday"
	"golang.org/x/net/html"
)

// newHTMLPolicy is the sanitizer for customer HTML: formatting, tables,
// lists and links (http, https, mailto) survive; scripts, styles, event
// handlers, forms, frames and every remote resource (tracking pixels,
// remote images, CSS) are removed. Images are kept only when they point at
// a part of the message itself (cid:).
func newHTMLPolicy() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowStandardAttributes()
	p.AllowElements("p", "br", "div", "span", "b", "strong", "i", "em", "u", "s", "strike", "sub", "sup",
		"small", "big", "code", "pre", "tt", "kbd", "samp", "var", "mark", "abbr", "cite", "dfn", "q",
		"h1", "h2", "h3", "h4", "h5", "h6", "hr", "center", "font", "del", "ins", "address",
		"article", "aside", "section", "header", "footer", "figure", "figcaption", "details", "summary")
	p.AllowAttrs("cite").OnElements("blockquote", "q")
	p.AllowElements("blockquote")
	p.AllowLists()
	p.AllowTables()
	p.AllowAttrs("color", "face", "size").OnElements("font")
	p.AllowAttrs("align", "valign", "width", "height", "bgcolor", "colspan", "rowspan", "border", "cellpadding", "cellspacing").
		OnElements("table", "tr", "td", "th", "tbody", "thead", "tfoot", "col", "colgroup", "p", "div", "img")
	p.AllowURLSchemes("http", "https", "mailto", "cid")
	p.RequireParseableURLs(true)
	p.AllowRelativeURLs(false)
	p.AllowAttrs("href").OnElements("a")
	p.RequireNoFollowOnLinks(true)
	p.RequireNoReferrerOnLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(true)
	p.AllowAttrs("src").Matching(regexp.MustCompile(`(?i)^cid:[^\s"'<>]+$`)).OnElements("img")
	p.AllowAttrs("alt", "title").OnElements("img")
	p.AddSpaceWhenStrippingTag(true)
	return p
}

// htmlToText renders HTML as readable plain text: block elements end
// lines, list items get a dash, links keep their target when it differs
// from their text, and the content of script, style, head and similar
// elements is dropped.
func htmlToText(r io.Reader) string {
	z := html.NewTokenizer(r)
	var b strings.Builder
	skip := 0
	var href string
	linkStart := 0
	newline := func(n int) {
		s := b.String()
		have := len(s) - len(strings.TrimRight(s, "\n"))
		if len(strings.TrimSpace(s)) == 0 {
			return
		}
		for ; have < n; have++ {
			b.WriteByte('\n')
		}
	}
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return tidyText(b.String())
		case html.TextToken:
			if skip > 0 {
				continue
			}
			text := collapseSpace(string(z.Text()))
			if text == "" {
				continue
			}
			s := b.String()
			if text == " " && (s == "" || strings.HasSuffix(s, "\n") || strings.HasSuffix(s, " ")) {
				continue
			}
			if strings.HasPrefix(text, " ") && (s == "" || strings.HasSuffix(s, "\n") || strings.HasSuffix(s, " ")) {
				text = text[1:]
			}
			b.WriteString(text)
		case html.StartTagToken, html.EndTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			tag := string(name)
			switch tag {
			case "script", "style", "head", "title", "noscript", "template", "iframe", "object", "svg", "select", "textarea":
				if tt == html.StartTagToken {
					skip++
				} else if tt == html.EndTagToken && skip > 0 {
					skip--
				}
				continue
			}
			if skip > 0 {
				continue
			}
			switch tag {
			case "br":
				b.WriteByte('\n')
			case "p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "table", "blockquote", "pre", "ul", "ol", "section", "article", "header", "footer", "address":
				if tag == "p" || strings.HasPrefix(tag, "h") {
					newline(2)
				} else {
					newline(1)
				}
			case "tr", "hr":
				newline(1)
			case "td", "th":
				if tt == html.StartTagToken && !strings.HasSuffix(b.String(), "\n") && b.Len() > 0 {
					b.WriteString(" ")
				}
			case "li":
				if tt == html.StartTagToken {
					newline(1)
					b.WriteString("- ")
				}
			case "a":
				if tt == html.StartTagToken {
					href, linkStart = "", b.Len()
					for hasAttr {
						var k, v []byte
						k, v, hasAttr = z.TagAttr()
						if string(k) == "href" {
							href = string(v)
						}
					}
				} else if tt == html.EndTagToken && href != "" {
					text := strings.TrimSpace(b.String()[min(linkStart, b.Len()):])
					if (strings.HasPrefix(href, "http://") || strings.HasPrefix(href, "https://")) && text != href && !strings.Contains(text, href) {
						b.WriteString(" (" + href + ")")
					}
					href = ""
				}
			}
		}
	}
}

var spaceRun = regexp.MustCompile(`[ \t\r\n\f\v\x{00A0}]+`)

func collapseSpace(s string) string { return spaceRun.ReplaceAllString(s, " ") }

// tidyText trims trailing spaces of lines and collapses runs of blank
// lines.
func tidyText(s string) string {
	lines := strings.Split(s, "\n")
	out := lines[:0]
	blank := 0
	for _, l := range lines {
		l = strings.TrimRight(l, " \t")
		if l == "" {
			blank++
			if blank > 1 {
				continue
			}
		} else {
			blank = 0
		}
		out = append(out, l)
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}

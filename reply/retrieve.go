package reply

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
)

// Query shaping: the latest customer messages say what is asked now; older
// ones mostly add noise.
const (
	queryMessages = 3
	queryMaxWords = 40
	excerptRunes  = 280
)

// Search returns up to topK passages for query, best first (topK <= 0
// means the configured TopK). Full-text search finds candidates; with an
// Embedder they are re-ranked by cosine similarity to the query and Score
// is that similarity. If the embeddings API fails, the full-text order is
// kept and a warning is logged: a reply with good-enough sources beats no
// reply.
func (k *Knowledge) Search(ctx context.Context, tenant inbox.TenantID, query string, topK int) ([]inbox.KnowledgeHit, error) {
	if topK <= 0 {
		topK = k.opts.TopK
	}
	query = strings.TrimSpace(query)
	if query == "" {
		return nil, nil
	}
	limit := topK
	if k.opts.Embedder != nil {
		limit = max(k.opts.Candidates, topK)
	}
	var hits []inbox.KnowledgeHit
	err := k.opts.Store.View(ctx, tenant, func(tx driver.Tx) error {
		kt, err := knowledgeTx(tx)
		if err != nil {
			return err
		}
		hits, err = kt.SearchKnowledge(query, limit)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("search knowledge base: %w", err)
	}
	if k.opts.Embedder != nil && len(hits) > 0 {
		hits = k.rerank(ctx, query, hits)
	}
	if len(hits) > topK {
		hits = hits[:topK]
	}
	return hits, nil
}

// rerank orders hits by semantic similarity to query.
func (k *Knowledge) rerank(ctx context.Context, query string, hits []inbox.KnowledgeHit) []inbox.KnowledgeHit {
	texts := make([]string, 0, len(hits)+1)
	texts = append(texts, query)
	for _, h := range hits {
		texts = append(texts, h.Chunk.Text)
	}
	vecs, err := k.opts.Embedder.Embed(ctx, texts)
	if err != nil {
		k.log.Warn("reply: knowledge base: re-ranking skipped", "err", err)
		return hits
	}
	out := make([]inbox.KnowledgeHit, 0, len(hits))
	for i, h := range hits {
		h.Score = cosine(vecs[0], vecs[i+1])
		if h.Score >= k.opts.MinSimilarity {
			out = append(out, h)
		}
	}
	slices.SortStableFunc(out, func(a, b inbox.KnowledgeHit) int { return cmp.Compare(b.Score, a.Score) })
	return out
}

// ForConversation retrieves the passages relevant to a conversation: the
// query is built from its latest customer messages and its subject (see
// ConversationQuery).
func (k *Knowledge) ForConversation(ctx context.Context, tenant inbox.TenantID, subject string, msgs []inbox.Message) ([]inbox.KnowledgeHit, error) {
	return k.Search(ctx, tenant, ConversationQuery(subject, msgs), k.opts.TopK)
}

// ConversationQuery builds a search query for a conversation: the words of
// its last three customer messages (newest first, quoted history removed)
// and of its subject, without duplicates and common French and English
// words, at most 40 words.
func ConversationQuery(subject string, msgs []inbox.Message) string {
	var texts []string
	for i := len(msgs) - 1; i >= 0 && len(texts) < queryMessages; i-- {
		m := msgs[i]
		if m.Direction == inbox.DirectionIn && m.Author == inbox.AuthorCustomer {
			texts = append(texts, withoutQuote(m.Text))
		}
	}
	texts = append(texts, inbox.NormalizeSubject(subject))
	seen := map[string]bool{}
	var words []string
	for _, t := range texts {
		for _, w := range strings.FieldsFunc(t, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
			key := strings.ToLower(w)
			if utf8.RuneCountInString(key) < 2 || stopWords[key] || seen[key] {
				continue
			}
			seen[key] = true
			words = append(words, w)
			if len(words) == queryMaxWords {
				return strings.Join(words, " ")
			}
		}
	}
	return strings.Join(words, " ")
}

// withoutQuote drops the quoted history of a reply: "> " lines and
// everything after an attribution line ("Le … a écrit :", "On … wrote:").
func withoutQuote(text string) string {
	var keep []string
	for _, line := range strings.Split(text, "\n") {
		t := strings.TrimSpace(line)
		lower := strings.ToLower(t)
		if (strings.HasPrefix(lower, "le ") && strings.HasSuffix(lower, "a écrit :")) ||
			(strings.HasPrefix(lower, "le ") && strings.HasSuffix(lower, "a écrit:")) ||
			(strings.HasPrefix(lower, "on ") && strings.HasSuffix(lower, "wrote:")) ||
			strings.HasPrefix(lower, "-----original message") || strings.HasPrefix(lower, "-----message d'origine") {
			break
		}
		if strings.HasPrefix(t, ">") {
			continue
		}
		keep = append(keep, line)
	}
	return strings.Join(keep, "\n")
}

// stopWords are frequent French and English words that say nothing about
// what a customer needs.
var stopWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`le la les un une des du de au aux et ou où est sont ai as avez avons
		je tu il elle on nous vous ils elles me te se mon ma mes ton ta tes son sa ses notre nos votre vos leur leurs
		ce cet cette ces qui que quoi dont en dans sur sous pour par avec sans pas ne plus très bien
		bonjour bonsoir merci cordialement salut madame monsieur svp stp
		the an and or is are was be been to of in on at for with from by it this that these those my your our
		we you he she they me us them do does did have has had not no yes please thanks thank hello hi dear regards`) {
		m[w] = true
	}
	return m
}()

// Citations describes the passages a reply drew on, for the draft.
func Citations(hits []inbox.KnowledgeHit) []inbox.Citation {
	out := make([]inbox.Citation, 0, len(hits))
	for _, h := range hits {
		out = append(out, inbox.Citation{DocumentID: h.Chunk.DocID, ChunkID: h.Chunk.ID, Title: h.Chunk.Title,
			Excerpt: excerpt(h.Chunk.Text, excerptRunes), Score: h.Score})
	}
	return out
}

// excerpt shortens text to about n characters, cutting between words.
func excerpt(text string, n int) string {
	text = strings.Join(strings.Fields(text), " ")
	if utf8.RuneCountInString(text) <= n {
		return text
	}
	cut := wordCut(text, n)
	return strings.TrimSpace(text[:cut]) + "…"
}

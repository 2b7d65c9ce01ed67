package reply

import (
	"context"
	"crypto/sha256"
	"fmt"
	"math"
	"sync"

	openai "github.com/sashabaranov/go-openai"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/logmask"
)

// Embedder turns texts into vectors whose cosine similarity reflects
// meaning. The knowledge base uses one, when configured, to re-rank the
// passages full-text search found.
type Embedder interface {
	// Embed returns one vector per text, in order.
	Embed(ctx context.Context, texts []string) ([][]float32, error)
}

// OpenAIEmbedderOptions configure an Embedder on an OpenAI-compatible
// embeddings API.
type OpenAIEmbedderOptions struct {
	ClientOptions
	// Model names the embedding model ("text-embedding-3-small").
	// Required.
	Model string
	// Dimensions asks text-embedding-3 models for shorter vectors. 0 keeps
	// the model's default.
	Dimensions int
	// BatchSize is how many texts one request carries. 0 means 64.
	BatchSize int
	// CacheSize is how many vectors are kept in memory, keyed by the
	// text's hash. 0 means 4096; negative disables the cache.
	CacheSize int
	// Retry bounds retries of 429 and 5xx answers.
	Retry RetryOptions
}

// OpenAIEmbedder is an Embedder on the OpenAI embeddings API, with an
// in-memory cache.
//
// Vectors are cached in memory by the hash of the text rather than stored
// with the chunks: they depend only on the text and the model, so a chunk
// that survives a document edit unchanged keeps its vector, a changed
// chunk can never be ranked with a stale one, and the store's schema stays
// free of provider-specific data. After a restart the first retrievals
// re-embed the passages they rank, one batched request each.
type OpenAIEmbedder struct {
	client *openai.Client
	opts   OpenAIEmbedderOptions
	masker *logmask.Masker

	mu    sync.Mutex
	cache map[[32]byte][]float32
	order [][32]byte // insertion order, for eviction
}

var _ Embedder = (*OpenAIEmbedder)(nil)

// NewOpenAIEmbedder validates opts and returns an embedder.
func NewOpenAIEmbedder(opts OpenAIEmbedderOptions) (*OpenAIEmbedder, error) {
	client, err := opts.client("OpenAIEmbedderOptions.Client")
	if err != nil {
		return nil, fmt.Errorf("reply: new embedder: %w", err)
	}
	if opts.Model == "" {
		return nil, fmt.Errorf("reply: new embedder: %w", inbox.Invalid("OpenAIEmbedderOptions.Model", "is required"))
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = 64
	}
	if opts.CacheSize == 0 {
		opts.CacheSize = 4096
	}
	return &OpenAIEmbedder{client: client, opts: opts, masker: logmask.NewMasker(logmask.Options{}),
		cache: map[[32]byte][]float32{}}, nil
}

// Embed returns a vector per text, asking the API only for texts not in
// the cache, in batches.
func (e *OpenAIEmbedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	keys := make([][32]byte, len(texts))
	var missing []int
	e.mu.Lock()
	for i, t := range texts {
		keys[i] = sha256.Sum256([]byte(t))
		if v, ok := e.cache[keys[i]]; ok {
			out[i] = v
		} else {
			missing = append(missing, i)
		}
	}
	e.mu.Unlock()

	for start := 0; start < len(missing); start += e.opts.BatchSize {
		batch := missing[start:min(start+e.opts.BatchSize, len(missing))]
		input := make([]string, len(batch))
		for j, i := range batch {
			input[j] = texts[i]
		}
		var res openai.EmbeddingResponse
		err := e.opts.Retry.do(ctx, e.masker, func(ctx context.Context) error {
			var err error
			res, err = e.client.CreateEmbeddings(ctx, openai.EmbeddingRequest{
				Input: input, Model: openai.EmbeddingModel(e.opts.Model), Dimensions: e.opts.Dimensions,
			})
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("embeddings %s: %w", e.opts.Model, err)
		}
		if len(res.Data) != len(input) {
			return nil, fmt.Errorf("embeddings %s: %d vectors for %d texts", e.opts.Model, len(res.Data), len(input))
		}
		for _, d := range res.Data {
			if d.Index < 0 || d.Index >= len(batch) || len(d.Embedding) == 0 {
				return nil, fmt.Errorf("embeddings %s: vector with index %d out of range or empty", e.opts.Model, d.Index)
			}
			out[batch[d.Index]] = d.Embedding
		}
	}
	for i, v := range out {
		if v == nil {
			return nil, fmt.Errorf("embeddings %s: no vector for text %d", e.opts.Model, i)
		}
	}
	e.remember(keys, out, missing)
	return out, nil
}

func (e *OpenAIEmbedder) remember(keys [][32]byte, vecs [][]float32, fresh []int) {
	if e.opts.CacheSize < 0 {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, i := range fresh {
		if _, ok := e.cache[keys[i]]; ok {
			continue
		}
		e.cache[keys[i]] = vecs[i]
		e.order = append(e.order, keys[i])
	}
	for len(e.order) > e.opts.CacheSize {
		delete(e.cache, e.order[0])
		e.order = e.order[1:]
	}
}

// cosine is the cosine similarity of two vectors, 0 when either is zero
// or their lengths differ.
func cosine(a, b []float32) float64 {
	if len(a) != len(b) || len(a) == 0 {
		return 0
	}
	var dot, na, nb float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	if na == 0 || nb == 0 {
		return 0
	}
	return dot / (math.Sqrt(na) * math.Sqrt(nb))
}

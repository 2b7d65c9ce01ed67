package webhook

import (
	"cmp"
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/microcosm-cc/bluemonday"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/internal/httpintake"
)

// Target is what the receiver needs to know about the integration a
// request is for.
type Target struct {
	Tenant      inbox.TenantID
	Integration inbox.Integration
	// Secrets are the active signing secrets ("whsec_<base64>"), opened by
	// the host from their sealed form. Several are accepted at once during
	// a rotation. An undecodable secret fails every request closed.
	Secrets []string
}

// Resolver finds the Target of a request, typically from the
// integration id in the path (r.PathValue("id")). It returns an error
// wrapping inbox.ErrNotFound for an unknown or disabled integration
// (answered 404).
type Resolver func(ctx context.Context, r *http.Request) (Target, error)

// Options configure a Receiver. Only Resolve is required.
type Options struct {
	// Resolve finds the tenant, integration and secrets of a request.
	// Required.
	Resolve Resolver
	// Replay remembers accepted webhook-ids. Nil: a new
	// MemoryReplayStore, which suits a single instance only.
	Replay ReplayStore
	// Attachments configures how attachments are kept.
	Attachments AttachmentOptions
	// Clock tells the time. Nil: the engine's clock.
	Clock inbox.Clock
	// Logger receives logs. Nil: the engine's.
	Logger *slog.Logger
	// Tolerance bounds webhook-timestamp's distance from now.
	// 0: DefaultTolerance (5 minutes).
	Tolerance time.Duration
	// MaxBodyBytes bounds request bodies. 0: DefaultMaxBodyBytes (1 MiB).
	MaxBodyBytes int64
	// ReplayWindow is how long accepted webhook-ids are remembered.
	// 0: DefaultReplayWindow (24 hours).
	ReplayWindow time.Duration
}

// Receiver is the http.Handler for custom inbound webhooks: signed JSON
// messages in the format of message.schema.json. Mount it for POST, e.g.
// mux.Handle("POST /inbox/webhooks/custom/{id}", r).
//
// Concurrent requests of a tenant are committed together (Engine.IngestOne),
// so a store that syncs to disk once per transaction serves many requests
// per sync; each request is answered only after its own transaction
// committed.
//
// Answers: 200 {"status":"stored"|"duplicate"|...} once the message is
// durably stored or recognised as a duplicate (same external_id, or a
// webhook-id already accepted); 400 with the invalid field; 401 for a
// missing, bad or stale signature; 404 for an unknown integration; 413
// for a body over the limit; 5xx when storage fails, so the sender
// retries. A refused request stores nothing.
type Receiver struct {
	eng    *inbox.Engine
	opts   Options
	keeper *attachmentKeeper
	policy *bluemonday.Policy
	clock  inbox.Clock
	log    *slog.Logger
	ep     *httpintake.Endpoint[Target]
}

var _ http.Handler = (*Receiver)(nil)

// NewReceiver validates opts and returns a receiver ingesting into eng.
func NewReceiver(eng *inbox.Engine, opts Options) (*Receiver, error) {
	if err := httpintake.CheckSetup("webhook: new receiver", eng, opts.Resolve != nil, "Options",
		opts.Tolerance < 0 || opts.MaxBodyBytes < 0 || opts.ReplayWindow < 0 || opts.Attachments.MaxBytes < 0); err != nil {
		return nil, err
	}
	if opts.Replay == nil {
		opts.Replay = NewMemoryReplayStore()
	}
	opts.MaxBodyBytes = cmp.Or(opts.MaxBodyBytes, DefaultMaxBodyBytes)
	opts.ReplayWindow = cmp.Or(opts.ReplayWindow, DefaultReplayWindow)
	r := &Receiver{eng: eng, opts: opts, keeper: newAttachmentKeeper(opts.Attachments), policy: bluemonday.UGCPolicy(), clock: opts.Clock, log: opts.Logger}
	r.clock, r.log = httpintake.EngineDefaults(eng, r.clock, r.log)
	r.ep = &httpintake.Endpoint[Target]{
		What: "custom webhook", Methods: []string{http.MethodPost}, ReplayReason: "webhook-id already accepted",
		Log: r.log, Resolve: opts.Resolve, Scope: scopeOf, Handle: r.handle, Refusal: refusalOf,
		Channel: "webhook", Metrics: eng.Metrics(),
	}
	return r, nil
}

// ServeHTTP implements http.Handler.
func (h *Receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.ep.ServeHTTP(w, r)
}

func (h *Receiver) handle(ctx context.Context, w http.ResponseWriter, r *http.Request, t Target, log *slog.Logger) (reply, error) {
	body, err := readBody(w, r, h.opts.MaxBodyBytes)
	if err != nil {
		return reply{}, err
	}
	secrets := make([]Secret, 0, len(t.Secrets))
	for _, s := range t.Secrets {
		sec, err := ParseSecret(s)
		if err != nil {
			return reply{}, err
		}
		secrets = append(secrets, sec)
	}
	now := h.clock.Now()
	v, err := VerifyStandard(r.Header, body, secrets, now, h.opts.Tolerance)
	if err != nil {
		return reply{}, err
	}
	key := replayKey(t.Integration.ID, v.ID)
	if err := checkReplay(ctx, h.opts.Replay, key, now); err != nil {
		return reply{}, err
	}
	msg, err := ParseMessage(body)
	if err != nil {
		return reply{}, err
	}
	res, err := h.ingest(ctx, t, msg, log)
	if err != nil {
		return reply{}, err
	}
	if err := h.opts.Replay.Remember(ctx, key, now.Add(h.opts.ReplayWindow)); err != nil {
		log.Warn("custom webhook: remember webhook-id", "err", err)
	}
	return res, nil
}

func (h *Receiver) ingest(ctx context.Context, t Target, msg Message, log *slog.Logger) (reply, error) {
	in := msg.Inbound(t.Integration.ID, h.policy.Sanitize)
	blobs := h.eng.Blobs()
	pending := httpintake.NewPendingFiles(blobs, log, "custom webhook: delete unused attachment")
	if len(msg.Attachments) > 0 {
		// A retry of a stored message must not store its files again.
		if id, ok, err := httpintake.StoredMessage(ctx, h.eng, t.Tenant, t.Integration.ID, msg.ExternalID); err != nil {
			return reply{}, err
		} else if ok {
			return reply{Status: string(inbox.IngestDuplicate), MessageID: id}, nil
		}
	}
	for _, a := range msg.Attachments {
		att, err := h.keeper.keep(ctx, blobs, t.Tenant, a)
		if err != nil {
			pending.Discard(ctx)
			return reply{}, err
		}
		pending.Add(att)
		in.Attachments = append(in.Attachments, att)
	}
	item, err := pending.Ingest(ctx, h.eng, t.Tenant, in)
	if err != nil {
		return reply{}, err
	}
	log.Info("custom webhook message", "channel", msg.Channel, "outcome", string(item.Status), "message", item.MessageID, "attachments", len(in.Attachments))
	return httpintake.IngestReply(item), nil
}

package vonage

import (
	"cmp"
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/internal/httpintake"
)

// WhatsAppOptions configure a WhatsAppReceiver. Only Resolve is required.
type WhatsAppOptions struct {
	// Resolve finds the tenant, integration and signature secret of a
	// request. Required.
	Resolve Resolver
	// Parts keeps replay keys (jti). Nil: a new MemoryPartStore, which
	// suits a single instance only.
	Parts PartStore
	// Media configures the download of images, files, audio and video into
	// the engine's BlobStore.
	Media MediaOptions
	// Clock tells the time. Nil: the engine's clock.
	Clock inbox.Clock
	// Logger receives logs (phone numbers masked). Nil: the engine's.
	Logger *slog.Logger
	// Tolerance bounds iat's distance from now. 0: DefaultTolerance.
	Tolerance time.Duration
	// MaxBodyBytes bounds request bodies. 0: DefaultMaxBodyBytes (1 MiB).
	MaxBodyBytes int64
	// ReplayWindow is how long accepted jtis are remembered.
	// 0: DefaultReplayWindow.
	ReplayWindow time.Duration
}

// WhatsAppReceiver is the http.Handler for Messages API webhooks (inbound
// and status URLs) of WhatsApp and of SMS routed through the Messages API.
// Mount it for POST, e.g. mux.Handle("POST /inbox/webhooks/whatsapp", r).
//
// Inbound text, image, file, audio, video, location and reply messages are
// ingested (media downloaded into the BlobStore first); status callbacks
// (submitted, delivered, read, rejected, undeliverable, failed) update the
// delivery state of the outbound message with that message_uuid.
// Answers follow SMSReceiver: 2xx only once the effect is durable.
type WhatsAppReceiver struct {
	eng   *inbox.Engine
	opts  WhatsAppOptions
	media *mediaFetcher
	clock inbox.Clock
	log   *slog.Logger
	ep    *httpintake.Endpoint[Target]
}

var _ http.Handler = (*WhatsAppReceiver)(nil)

// NewWhatsAppReceiver validates opts and returns a receiver ingesting into
// eng.
func NewWhatsAppReceiver(eng *inbox.Engine, opts WhatsAppOptions) (*WhatsAppReceiver, error) {
	if err := httpintake.CheckSetup("vonage: new whatsapp receiver", eng, opts.Resolve != nil, "WhatsAppOptions",
		opts.Tolerance < 0 || opts.MaxBodyBytes < 0 || opts.ReplayWindow < 0 || opts.Media.MaxBytes < 0); err != nil {
		return nil, err
	}
	if opts.Parts == nil {
		opts.Parts = NewMemoryPartStore()
	}
	opts.MaxBodyBytes = cmp.Or(opts.MaxBodyBytes, DefaultMaxBodyBytes)
	opts.ReplayWindow = cmp.Or(opts.ReplayWindow, DefaultReplayWindow)
	r := &WhatsAppReceiver{eng: eng, opts: opts, media: newMediaFetcher(opts.Media), clock: opts.Clock, log: opts.Logger}
	r.clock, r.log = httpintake.EngineDefaults(eng, r.clock, r.log)
	r.ep = &httpintake.Endpoint[Target]{
		What: "vonage messages webhook", Methods: []string{http.MethodPost}, ReplayReason: "replay of an accepted request",
		Log: r.log, Resolve: opts.Resolve, Scope: scopeOf, Handle: r.handle, Refusal: refusalOf,
		Channel: "whatsapp", Metrics: eng.Metrics(),
	}
	return r, nil
}

// ServeHTTP implements http.Handler.
func (h *WhatsAppReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.ep.ServeHTTP(w, r)
}

func (h *WhatsAppReceiver) handle(ctx context.Context, w http.ResponseWriter, r *http.Request, t Target, log *slog.Logger) (reply, error) {
	body, err := readBody(w, r, h.opts.MaxBodyBytes)
	if err != nil {
		return reply{}, err
	}
	now := h.clock.Now()
	claims, err := VerifyJWT(r.Header.Get("Authorization"), body, t.Secret, now, h.opts.Tolerance)
	if err != nil {
		return reply{}, err
	}
	replayKey := jwtReplayKey(t.Integration.ID, claims)
	if err := checkReplay(ctx, h.opts.Parts, replayKey, now); err != nil {
		return reply{}, err
	}
	hook, err := ParseMessagesWebhook(body)
	if err != nil {
		return reply{}, err
	}
	var res reply
	if hook.Status != nil {
		res, err = h.status(ctx, t, hook.Status, now, log)
	} else {
		res, err = h.inbound(ctx, t, hook.Inbound, log)
	}
	if err != nil {
		return reply{}, err
	}
	if err := h.opts.Parts.Remember(ctx, replayKey, now.Add(h.opts.ReplayWindow)); err != nil {
		log.Warn("vonage messages webhook: remember replay key", "err", err)
	}
	return res, nil
}

func (h *WhatsAppReceiver) status(ctx context.Context, t Target, s *MessageStatus, now time.Time, log *slog.Logger) (reply, error) {
	state, ok := deliveryFromMessagesStatus(s.Status)
	if !ok {
		return reply{Status: "ignored", Reason: "status " + s.Status + " changes nothing"}, nil
	}
	errText := ""
	if state == inbox.DeliveryFailed {
		errText = s.Channel + " " + s.Status
		if s.Error != "" {
			errText += ": " + s.Error
		}
	}
	outcome, err := recordDelivery(ctx, h.eng, t, deliveryUpdate{ProviderID: s.UUID, State: state, Error: errText, Status: s.Status}, now)
	if err != nil {
		return reply{}, err
	}
	log.Info("vonage message status", "status", s.Status, "outcome", outcome, "to", MaskPhone(s.To))
	return reply{Status: outcome}, nil
}

func (h *WhatsAppReceiver) inbound(ctx context.Context, t Target, m *InboundMessage, log *slog.Logger) (reply, error) {
	in, err := m.Inbound(t.Integration.ID)
	if err != nil {
		return reply{}, err
	}
	pending := httpintake.NewPendingFiles(h.eng.Blobs(), log, "vonage messages webhook: delete unused media")
	if m.Media != nil {
		// A provider retry of a stored message must not download the
		// media again.
		if id, ok, err := httpintake.StoredMessage(ctx, h.eng, t.Tenant, t.Integration.ID, m.UUID); err != nil {
			return reply{}, err
		} else if ok {
			return reply{Status: string(inbox.IngestDuplicate), MessageID: id}, nil
		}
		att, err := h.media.fetch(ctx, h.eng.Blobs(), t, m.Media, m.Type)
		if err != nil {
			return reply{}, err
		}
		pending.Add(att)
		if att.Rejected != "" {
			log.Warn("vonage media refused", "reason", att.Rejected, "message_uuid", m.UUID)
		}
		in.Attachments = append(in.Attachments, att)
	}
	item, err := pending.Ingest(ctx, h.eng, t.Tenant, in)
	if err != nil {
		return reply{}, err
	}
	log.Info("vonage message received", "channel", m.Channel, "type", m.Type, "from", MaskPhone(m.From), "outcome", string(item.Status), "message", item.MessageID)
	return httpintake.IngestReply(item), nil
}

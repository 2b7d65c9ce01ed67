package vonage

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/internal/httpintake"
)

// ConfigSignatureMethod is the Integration.Config key holding the SMS
// API signature method ("md5hash" when absent, the dashboard default).
const ConfigSignatureMethod = "signature_method"

// SMSOptions configure an SMSReceiver. Only Resolve is required.
type SMSOptions struct {
	// Resolve finds the tenant, integration and signature secret of a
	// request. Required.
	Resolve Resolver
	// Parts keeps replay keys and the parts of concatenated SMS. Nil: a
	// new MemoryPartStore, which suits a single instance only.
	Parts PartStore
	// Clock tells the time. Nil: the engine's clock.
	Clock inbox.Clock
	// Logger receives logs (phone numbers masked). Nil: the engine's.
	Logger *slog.Logger
	// Tolerance bounds the timestamp parameter's distance from now.
	// 0: DefaultTolerance (5 minutes).
	Tolerance time.Duration
	// MaxBodyBytes bounds request bodies. 0: DefaultMaxBodyBytes (1 MiB).
	MaxBodyBytes int64
	// ReplayWindow is how long accepted nonces are remembered.
	// 0: DefaultReplayWindow (24 hours).
	ReplayWindow time.Duration
	// PartTimeout is how long parts of a concatenated SMS wait for their
	// siblings before Flush ingests the message with gaps marked.
	// 0: DefaultPartTimeout (24 hours).
	PartTimeout time.Duration
	// FlushInterval is how often Run looks for such messages. 0: one
	// minute.
	FlushInterval time.Duration
}

// SMSReceiver is the http.Handler for SMS API webhooks: inbound messages
// and delivery receipts, as GET query, form POST or JSON POST. Mount it
// for both methods, e.g. mux.Handle("/inbox/webhooks/sms", r).
//
// Answers: 200 once the message is stored, recognised as a duplicate or
// replay, or (for one part of a concatenated SMS) once the part is kept;
// 400 with the invalid field; 401 for a missing, bad or stale signature;
// 404 for an unknown integration; 413 for a body over the limit; 5xx when
// storage fails, so Vonage retries. A refused request stores nothing.
type SMSReceiver struct {
	eng   *inbox.Engine
	opts  SMSOptions
	clock inbox.Clock
	log   *slog.Logger
	ep    *httpintake.Endpoint[Target]
}

var _ http.Handler = (*SMSReceiver)(nil)

// NewSMSReceiver validates opts and returns a receiver ingesting into eng.
func NewSMSReceiver(eng *inbox.Engine, opts SMSOptions) (*SMSReceiver, error) {
	if err := httpintake.CheckSetup("vonage: new sms receiver", eng, opts.Resolve != nil, "SMSOptions",
		opts.Tolerance < 0 || opts.MaxBodyBytes < 0 || opts.ReplayWindow < 0 || opts.PartTimeout < 0 || opts.FlushInterval < 0); err != nil {
		return nil, err
	}
	if opts.Parts == nil {
		opts.Parts = NewMemoryPartStore()
	}
	opts.MaxBodyBytes = cmp.Or(opts.MaxBodyBytes, DefaultMaxBodyBytes)
	opts.ReplayWindow = cmp.Or(opts.ReplayWindow, DefaultReplayWindow)
	if opts.PartTimeout == 0 {
		opts.PartTimeout = DefaultPartTimeout
	}
	if opts.FlushInterval == 0 {
		opts.FlushInterval = time.Minute
	}
	r := &SMSReceiver{eng: eng, opts: opts, clock: opts.Clock, log: opts.Logger}
	r.clock, r.log = httpintake.EngineDefaults(eng, r.clock, r.log)
	r.ep = &httpintake.Endpoint[Target]{
		What: "vonage sms webhook", Methods: []string{http.MethodGet, http.MethodPost}, ReplayReason: "replay of an accepted request",
		Log: r.log, Resolve: opts.Resolve, Scope: scopeOf, Handle: r.handle, Refusal: refusalOf,
		Channel: "sms", Metrics: eng.Metrics(),
	}
	return r, nil
}

// ServeHTTP implements http.Handler.
func (h *SMSReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.ep.ServeHTTP(w, r)
}

func (h *SMSReceiver) handle(ctx context.Context, w http.ResponseWriter, r *http.Request, t Target, log *slog.Logger) (reply, error) {
	body, err := readBody(w, r, h.opts.MaxBodyBytes)
	if err != nil {
		return reply{}, err
	}
	params, err := ReadSMSParams(r.URL.RawQuery, r.Header.Get("Content-Type"), body)
	if err != nil {
		if len(body) == 0 && r.URL.RawQuery == "" {
			return reply{}, verifyErr(CodeEmptyBody, "the request carries no parameters")
		}
		return reply{}, err
	}
	method, err := ParseSignatureMethod(t.Integration.Config[ConfigSignatureMethod])
	if err != nil {
		return reply{}, verifyErr(CodeInvalidSecret, "the integration's signature method is invalid")
	}
	now := h.clock.Now()
	if err := VerifySMS(params, t.Secret, method, now, h.opts.Tolerance); err != nil {
		return reply{}, err
	}
	replayKey := smsReplayKey(t.Integration.ID, params)
	if err := checkReplay(ctx, h.opts.Parts, replayKey, now); err != nil {
		return reply{}, err
	}
	hook, err := ParseSMS(params)
	if err != nil {
		return reply{}, err
	}
	var res reply
	switch {
	case hook.Receipt != nil:
		res, err = h.receipt(ctx, t, hook.Receipt, now, log)
	case hook.Message.Concat != nil && hook.Message.Concat.Total > 1:
		res, err = h.part(ctx, t, hook.Message, now, log)
	default:
		res, err = h.ingest(ctx, t, hook.Message.Inbound(t.Integration.ID), nil, log)
	}
	if err != nil {
		return reply{}, err
	}
	// Only now is the request's effect durable: remember it.
	if err := h.opts.Parts.Remember(ctx, replayKey, now.Add(h.opts.ReplayWindow)); err != nil {
		log.Warn("vonage sms webhook: remember replay key", "err", err)
	}
	return res, nil
}

func (h *SMSReceiver) receipt(ctx context.Context, t Target, dr *DeliveryReceipt, now time.Time, log *slog.Logger) (reply, error) {
	state, ok := deliveryFromSMSStatus(dr.Status)
	if !ok {
		return reply{Status: "ignored", Reason: "interim status " + dr.Status}, nil
	}
	errText := ""
	if state == inbox.DeliveryFailed {
		errText = "sms " + dr.Status
		if dr.ErrorCode != "" && dr.ErrorCode != "0" {
			errText += " (err-code " + dr.ErrorCode + ")"
		}
	}
	outcome, err := recordDelivery(ctx, h.eng, t, deliveryUpdate{ProviderID: dr.MessageID, State: state, Error: errText, Status: dr.Status}, now)
	if err != nil {
		return reply{}, err
	}
	log.Info("vonage sms delivery receipt", "status", dr.Status, "outcome", outcome, "to", MaskPhone(dr.To))
	return reply{Status: outcome}, nil
}

// part keeps one part of a concatenated SMS and ingests the message once
// every part is in, whichever instance received them.
func (h *SMSReceiver) part(ctx context.Context, t Target, m *SMS, now time.Time, log *slog.Logger) (reply, error) {
	partKey := partReplayKey(t.Integration.ID, m.MessageID)
	if seen, err := h.opts.Parts.Seen(ctx, partKey, now); err != nil {
		return reply{}, fmt.Errorf("check sms part: %w", err)
	} else if seen {
		return reply{Status: string(inbox.IngestDuplicate), Reason: "part of a message already ingested"}, nil
	}
	group := concatGroupKey(t.Integration.ID, m)
	parts, err := h.opts.Parts.AddPart(ctx, group, smsPart(t.Tenant, t.Integration.ID, m), now.Add(h.opts.PartTimeout))
	if err != nil {
		return reply{}, fmt.Errorf("store sms part: %w", err)
	}
	if !complete(parts) {
		log.Info("vonage sms part kept", "from", MaskPhone(m.From), "part", m.Concat.Part, "total", m.Concat.Total, "have", len(parts))
		return reply{Status: "pending", Reason: "part " + strconv.Itoa(m.Concat.Part) + " of " + strconv.Itoa(m.Concat.Total) + " kept until the others arrive"}, nil
	}
	return h.ingestParts(ctx, t, group, parts, log)
}

// ingestParts ingests an assembled message, then forgets its parts and
// remembers their ids so late retries are duplicates.
func (h *SMSReceiver) ingestParts(ctx context.Context, t Target, group string, parts []SMSPart, log *slog.Logger) (reply, error) {
	res, err := h.ingest(ctx, t, AssembleSMS(parts), parts, log)
	if err != nil {
		return reply{}, err
	}
	until := h.clock.Now().Add(h.opts.ReplayWindow)
	for _, p := range parts {
		if err := h.opts.Parts.Remember(ctx, partReplayKey(t.Integration.ID, p.MessageID), until); err != nil {
			log.Warn("vonage sms webhook: remember part", "err", err)
		}
	}
	if err := h.opts.Parts.DeleteParts(ctx, group); err != nil {
		log.Warn("vonage sms webhook: delete parts", "err", err)
	}
	return res, nil
}

func (h *SMSReceiver) ingest(ctx context.Context, t Target, in inbox.Inbound, parts []SMSPart, log *slog.Logger) (reply, error) {
	item, err := h.eng.IngestOne(ctx, t.Tenant, in)
	if err != nil {
		return reply{}, err
	}
	log.Info("vonage sms received", "from", MaskPhone(in.From.Phone), "outcome", string(item.Status), "message", item.MessageID, "parts", len(parts))
	return httpintake.IngestReply(item), nil
}

// Flush ingests concatenated messages whose parts waited longer than
// PartTimeout, with the missing parts marked, and returns how many it
// ingested.
func (h *SMSReceiver) Flush(ctx context.Context) (int, error) {
	groups, err := h.opts.Parts.ExpiredGroups(ctx, h.clock.Now(), 100)
	if err != nil {
		return 0, fmt.Errorf("vonage: list expired sms parts: %w", err)
	}
	n := 0
	for _, g := range groups {
		if len(g.Parts) == 0 {
			continue
		}
		first := g.Parts[0]
		t := Target{Tenant: inbox.TenantID(first.Tenant), Integration: inbox.Integration{ID: first.IntegrationID, TenantID: inbox.TenantID(first.Tenant)}}
		log := h.log.With("tenant", first.Tenant, "integration", first.IntegrationID)
		if _, err := h.ingestParts(ctx, t, g.Key, g.Parts, log); err != nil {
			return n, fmt.Errorf("vonage: flush incomplete sms: %w", err)
		}
		n++
	}
	return n, nil
}

// Run calls Flush every FlushInterval until ctx ends.
func (h *SMSReceiver) Run(ctx context.Context) error {
	tick := time.NewTicker(h.opts.FlushInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			if _, err := h.Flush(ctx); err != nil && ctx.Err() == nil {
				h.log.Warn("vonage: flush incomplete sms", "err", err)
			}
		}
	}
}

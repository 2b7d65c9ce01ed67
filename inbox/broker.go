package inbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
)

// Broker carries events between engine instances that share a store, so a
// message ingested on one instance reaches the live UIs served by all of
// them (storage/postgres offers one on LISTEN/NOTIFY). Without a Broker,
// events stay in the process that produced them. A broker moves opaque
// payloads; the engine encodes events and ignores its own.
type Broker interface {
	// Publish sends a payload to every instance.
	Publish(ctx context.Context, payload []byte) error
	// Listen calls fn for each payload published by any instance until
	// ctx ends.
	Listen(ctx context.Context, fn func(payload []byte)) error
}

// envelope marks which instance produced an event.
type envelope struct {
	Origin string `json:"o"`
	Event  Event  `json:"e"`
}

// RunBroker relays events between this engine and the others until ctx
// ends: local events are published to the broker, and events other
// instances publish are delivered to local subscribers.
func (e *Engine) RunBroker(ctx context.Context, b Broker) error {
	var id [8]byte
	_, _ = rand.Read(id[:])
	origin := hex.EncodeToString(id[:])
	cancel := e.bus.subscribe(func(ev Event) {
		if ev.remote {
			return
		}
		payload, err := json.Marshal(envelope{Origin: origin, Event: ev})
		if err == nil {
			err = b.Publish(ctx, payload)
		}
		if err != nil && ctx.Err() == nil {
			e.log.Warn("inbox: broker publish", "event", string(ev.Type), "err", err)
		}
	})
	defer cancel()
	return b.Listen(ctx, func(payload []byte) {
		var env envelope
		if err := json.Unmarshal(payload, &env); err != nil {
			e.log.Warn("inbox: broker: undecodable event", "err", err)
			return
		}
		if env.Origin == origin {
			return
		}
		env.Event.remote = true
		e.bus.publish(env.Event)
	})
}

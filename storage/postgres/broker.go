package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/inboxkit/inboxkit/inbox"
)

// MaxPayload is the largest payload Broker.Publish accepts: PostgreSQL
// refuses NOTIFY payloads of 8000 bytes or more.
const MaxPayload = 7999

// DefaultChannel is the NOTIFY channel of a Broker without a schema.
const DefaultChannel = "inboxkit_events"

// BrokerOptions configure NewBroker. The zero value is a good default.
type BrokerOptions struct {
	// Channel is the NOTIFY channel every instance of one deployment
	// shares. It names no tenant: events carry their tenant, and each
	// engine delivers them to its subscribers as local ones. ""
	// means DefaultChannel, or DefaultChannel + "_" + Schema when Schema
	// is set, since NOTIFY channels span the whole database while stores
	// in different schemas are different deployments.
	Channel string
	// Schema is the store's Options.Schema, used to name the channel.
	Schema string
	// Logger receives reconnection logs. Nil: discarded.
	Logger *slog.Logger
	// MaxReconnectDelay caps the wait between attempts to reconnect the
	// listening connection, which doubles from 100 ms. 0 means 10 s.
	MaxReconnectDelay time.Duration
}

// Broker is an inbox.Broker on PostgreSQL LISTEN/NOTIFY: a message
// ingested by one instance reaches the subscribers of every instance
// sharing the database, with no other infrastructure. Listen holds one
// dedicated connection and reconnects when it drops; notifications sent
// while it was down are lost (events are hints to refresh, and what they
// point to is in the store). Publish uses a small pool of its own.
type Broker struct {
	cfg      *pgx.ConnConfig
	pool     *pgxpool.Pool
	channel  string
	log      *slog.Logger
	maxDelay time.Duration
}

var _ inbox.Broker = (*Broker)(nil)

var channelName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// NewBroker prepares a broker on the database named by dsn. It connects
// lazily: Publish and Listen report an unreachable server. Close it when
// done.
func NewBroker(dsn string, opts BrokerOptions) (*Broker, error) {
	poolCfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres broker: %w", inbox.Invalid("dsn", "cannot be parsed as a PostgreSQL connection string"))
	}
	channel := opts.Channel
	if channel == "" {
		channel = DefaultChannel
		if opts.Schema != "" {
			channel += "_" + opts.Schema
		}
	}
	if !channelName.MatchString(channel) {
		return nil, fmt.Errorf("postgres broker: %w", inbox.Invalid("BrokerOptions.Channel", "must be a lower-case SQL identifier of at most 63 bytes"))
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.MaxReconnectDelay <= 0 {
		opts.MaxReconnectDelay = 10 * time.Second
	}
	poolCfg.MaxConns = 2
	poolCfg.ConnConfig.RuntimeParams["application_name"] = "inboxkit-broker-publish"
	pool, err := pgxpool.NewWithConfig(context.Background(), poolCfg)
	if err != nil {
		return nil, fmt.Errorf("postgres broker: %w", inbox.Invalid("dsn", "cannot be used to connect"))
	}
	listenCfg := poolCfg.ConnConfig.Copy()
	listenCfg.RuntimeParams["application_name"] = "inboxkit-broker-listen"
	return &Broker{cfg: listenCfg, pool: pool, channel: channel, log: logger.With("channel", channel), maxDelay: opts.MaxReconnectDelay}, nil
}

// Channel returns the NOTIFY channel the broker uses.
func (b *Broker) Channel() string { return b.channel }

// Publish notifies every listening instance. Payloads of MaxPayload bytes
// or more are refused with inbox.ErrInvalid, as are payloads holding NUL
// bytes (NOTIFY carries text).
func (b *Broker) Publish(ctx context.Context, payload []byte) error {
	if len(payload) > MaxPayload {
		return fmt.Errorf("postgres broker: publish: %w", inbox.Invalid("payload", fmt.Sprintf("is %d bytes: NOTIFY payloads must be shorter than 8000 bytes", len(payload))))
	}
	for _, c := range payload {
		if c == 0 {
			return fmt.Errorf("postgres broker: publish: %w", inbox.Invalid("payload", "must not contain NUL bytes"))
		}
	}
	if _, err := b.pool.Exec(ctx, `SELECT pg_notify($1, $2)`, b.channel, string(payload)); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("postgres broker: publish: %w", classify(err))
	}
	return nil
}

// Listen calls fn, one payload at a time, for every notification on the
// channel until ctx ends, then returns nil. A dropped connection is
// reopened with exponential backoff; Listen returns an error only when its
// first connection is refused for good (a refused login, a database that
// does not exist).
func (b *Broker) Listen(ctx context.Context, fn func(payload []byte)) error {
	delay := 100 * time.Millisecond
	first := true
	for {
		err := b.listenOnce(ctx, fn, func() {
			first = false
			delay = 100 * time.Millisecond
		})
		if ctx.Err() != nil {
			return nil
		}
		if first && (errors.Is(err, inbox.ErrUnauthorized) || errors.Is(err, inbox.ErrInvalid)) {
			return err
		}
		b.log.Warn("postgres broker: listening connection lost, reconnecting", "err", err, "retry_in", delay)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(delay):
		}
		delay = min(delay*2, b.maxDelay)
	}
}

// listenOnce connects, listens and delivers until the connection fails.
func (b *Broker) listenOnce(ctx context.Context, fn func([]byte), listening func()) error {
	conn, err := pgx.ConnectConfig(ctx, b.cfg)
	if err != nil {
		return fmt.Errorf("connect: %w", classify(err))
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = conn.Close(closeCtx)
	}()
	if _, err := conn.Exec(ctx, `LISTEN `+pgx.Identifier{b.channel}.Sanitize()); err != nil {
		return fmt.Errorf("listen: %w", classify(err))
	}
	listening()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return fmt.Errorf("wait for notification: %w", classify(err))
		}
		fn([]byte(n.Payload))
	}
}

// Close closes the publishing pool. Listen stops with its context.
func (b *Broker) Close() { b.pool.Close() }

package awsio

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// Config selects and configures a backend. It mirrors rptctl's global
// flags (CONTRACT.md section 1).
type Config struct {
	Backend     string // "local" (also when empty) or "aws"
	DataDir     string // local: where everything is kept
	Queue       string // a name, or (aws) a queue URL
	DLQ         string
	Bucket      string
	S3PathStyle bool

	// Logger receives what background work logs: the local backend's
	// payload sweep. nil: discarded.
	Logger *slog.Logger
	// NoSweep turns off the local backend's payload sweep, for short
	// commands and tests.
	NoSweep bool
	// NoCreate: Open creates nothing, and fails with a clear error when
	// the data folder, a queue or the bucket is missing. Commands that only
	// read or move existing data set it, so that a typo in --data-dir or
	// --queue does not make a new, empty system.
	NoCreate bool
}

// Backend is what one rptctl process talks to: the work queue, its
// dead-letter queue and the bucket. Queue and DLQ also implement Peeker.
type Backend struct {
	Queue  Queue
	DLQ    Queue
	Store  Store
	Bucket string
	// MaxMessageSize is the largest message the queue accepts, body and
	// attributes counted as MessageSize counts: the queue's
	// MaximumMessageSize on AWS, LocalMaxMessageSize locally. Senders
	// offload above min(their inline limit, MaxMessageSize).
	MaxMessageSize int
	// MaxReceive is the queue's maxReceiveCount (its redrive policy): the
	// receive on which a failure is the message's last before the DLQ.
	// 0 when the queue has no redrive policy.
	MaxReceive int
	close      func() error
}

// Close releases the backend's resources.
func (b *Backend) Close() error {
	if b.close == nil {
		return nil
	}
	return b.close()
}

// SetupOptions are the settings `rptctl setup` applies.
type SetupOptions struct {
	MaxReceive int           // receives before a message moves to the DLQ; 0: 5
	Visibility time.Duration // the queue's default visibility timeout; 0: DefaultVisibility
	// PayloadExpiry is the age at which offloaded payloads expire
	// (rounded up to whole days on AWS); 0: DefaultPayloadExpiry.
	PayloadExpiry time.Duration
}

func (o SetupOptions) withDefaults() SetupOptions {
	if o.MaxReceive <= 0 {
		o.MaxReceive = DefaultMaxReceive
	}
	if o.Visibility <= 0 {
		o.Visibility = DefaultVisibility
	}
	if o.PayloadExpiry <= 0 {
		o.PayloadExpiry = DefaultPayloadExpiry
	}
	return o
}

// SetupResult says what Setup did: the resources it created, those it
// found already there (and brought in line with the options), and
// warnings about what it could not do.
type SetupResult struct {
	Created  []string `json:"created"`
	Found    []string `json:"found"`
	Warnings []string `json:"warnings"`
}

func (r *SetupResult) note(created bool, what string) {
	if created {
		r.Created = append(r.Created, what)
	} else {
		r.Found = append(r.Found, what)
	}
}

// Open connects to the backend cfg names. The local backend creates what
// is missing (data folder, queue and DLQ with maxReceiveCount 5, bucket
// folder) unless cfg.NoCreate, when it fails saying what is missing; the
// AWS backend creates nothing (see Setup) and fails when the
// queues do not exist.
func Open(ctx context.Context, cfg Config) (*Backend, error) {
	switch cfg.Backend {
	case "", "local":
		b, _, err := openLocal(ctx, cfg, nil)
		return b, err
	case "aws":
		return openAWS(ctx, cfg)
	default:
		return nil, fmt.Errorf("backend %q: use local or aws", cfg.Backend)
	}
}

// Setup creates what the backend needs and is safe to run again: the DLQ,
// the queue with its redrive policy and visibility timeout, the bucket,
// and the expiry of offloaded payloads (a lifecycle rule on AWS; locally
// SweepPayloads does it). Existing resources are updated to opts.
func Setup(ctx context.Context, cfg Config, opts SetupOptions) (SetupResult, error) {
	opts = opts.withDefaults()
	switch cfg.Backend {
	case "", "local":
		b, res, err := openLocal(ctx, cfg, &opts)
		if err != nil {
			return res, err
		}
		return res, b.Close()
	case "aws":
		return setupAWS(ctx, cfg, opts)
	default:
		return SetupResult{}, fmt.Errorf("backend %q: use local or aws", cfg.Backend)
	}
}

package awsio

import (
	"context"
	"fmt"
	"time"
)

// Config selects and configures a backend. It mirrors rptctl's global
// flags (CONTRACT.md section 1).
type Config struct {
	Backend     string // "local" or "aws"
	DataDir     string // local: where everything is kept
	Queue       string // a name, or (aws) a queue URL
	DLQ         string
	Bucket      string
	S3PathStyle bool
}

// Backend is what one rptctl process talks to: the work queue, its
// dead-letter queue and the bucket.
type Backend struct {
	Queue  Queue
	DLQ    Queue
	Store  Store
	Bucket string
	close  func() error
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
	MaxReceive int           // receives before a message moves to the DLQ
	Visibility time.Duration // the queue's default visibility timeout
}

// Open connects to the backend cfg names. It creates nothing: see Setup.
func Open(ctx context.Context, cfg Config) (*Backend, error) {
	// TODO: placeholder until the backends land.
	return nil, fmt.Errorf("backend %q: not built yet", cfg.Backend)
}

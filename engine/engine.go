// Package engine is rptctl's ingest server and parser engine: the HTTP
// API of CONTRACT.md section 2 that queues attachments (section 3), and
// the pipelines that receive them, parse, enrich, store the results
// (section 4) and log one line per batch (section 6).
package engine

import (
	"context"
	"time"

	"github.com/rptctl/rptctl/awsio"
	"github.com/rptctl/rptctl/reports"
)

// Sender sends messages to a queue. awsio.Queue satisfies it.
type Sender interface {
	Send(ctx context.Context, body string, attrs map[string]awsio.Attribute) (string, error)
}

// Queue is the work queue as the engine uses it: SQS standard queue
// semantics (at-least-once delivery, visibility timeout, fresh receipt
// handle on every receive). awsio.Queue satisfies it.
type Queue interface {
	Sender
	Receive(ctx context.Context, opts awsio.ReceiveOptions) ([]awsio.Message, error)
	Delete(ctx context.Context, receipt string) error
	ChangeVisibility(ctx context.Context, receipt string, timeout time.Duration) error
	Stats(ctx context.Context) (awsio.QueueStats, error)
}

// Store is the object store as the engine uses it. awsio.Store
// satisfies it.
type Store interface {
	Put(ctx context.Context, key string, body []byte) error
	Get(ctx context.Context, key string) ([]byte, error)
	Head(ctx context.Context, key string) (awsio.ObjectInfo, error)
	List(ctx context.Context, prefix string) ([]awsio.ObjectInfo, error)
	Delete(ctx context.Context, key string) error
}

// PayloadCodec turns attachments into queue bodies and back, inline or
// offloaded to the store. *awsio.Payloads satisfies it.
type PayloadCodec interface {
	Encode(ctx context.Context, key string, raw []byte,
		attrs map[string]awsio.Attribute) (string, map[string]awsio.Attribute, bool, error)
	Decode(ctx context.Context, m awsio.Message) ([]byte, error)
}

// Enricher fills the Source of every record of a report. It must never
// fail nor block for long: a lookup that cannot be answered is left
// empty. *enrich.Enricher satisfies it.
type Enricher interface {
	Report(ctx context.Context, r *reports.Report)
}

// ParseFunc parses one attachment; reports.Parse is the default.
type ParseFunc func(data []byte, opts reports.Options) ([]*reports.Report, error)

// The backends satisfy the engine's interfaces.
var (
	_ Queue        = awsio.Queue(nil)
	_ Store        = awsio.Store(nil)
	_ PayloadCodec = (*awsio.Payloads)(nil)
)

// Message attribute names (CONTRACT.md section 3).
const (
	AttrTraceID     = "traceId"
	AttrCompanyID   = "companyId"
	AttrCustomerID  = "customerId"
	AttrContentType = "contentType"
	AttrReceivedAt  = "receivedAt"
	AttrFilename    = "filename"
)

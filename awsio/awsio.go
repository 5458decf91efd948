// Package awsio is rptctl's storage and queue layer: Amazon SQS and S3
// through aws-sdk-go-v2, and an embedded backend with the same semantics
// on local disk (a queue on SQLite, an object store of files).
package awsio

import (
	"context"
	"errors"
	"strings"
	"time"
)

// Attribute is one SQS message attribute. DataType is "String" or "Number".
type Attribute struct {
	DataType string
	Value    string
}

// Message is one received message.
type Message struct {
	ID            string
	ReceiptHandle string // fresh on every receive
	Body          string
	Attributes    map[string]Attribute
	ReceiveCount  int       // ApproximateReceiveCount, this receive included
	FirstReceived time.Time // ApproximateFirstReceiveTimestamp
	SentAt        time.Time
}

// ReceiveOptions shapes one receive call.
type ReceiveOptions struct {
	Max        int           // 1 to 10
	Visibility time.Duration // how long the messages stay hidden
	Wait       time.Duration // long poll, at most 20 s
}

// QueueStats are the approximate depths of a queue.
type QueueStats struct {
	Name     string `json:"name"`
	Visible  int64  `json:"visible"`
	InFlight int64  `json:"inFlight"`
	Delayed  int64  `json:"delayed"`
}

// ObjectInfo describes one stored object.
type ObjectInfo struct {
	Key      string
	Size     int64
	Modified time.Time
}

// Errors callers check with errors.Is.
var (
	// ErrNotFound: no object under that key.
	ErrNotFound = errors.New("object not found")
	// ErrReceiptInvalid: the receipt handle is stale or unknown, for
	// example because the message was received again since.
	ErrReceiptInvalid = errors.New("receipt handle is no longer valid")
	// ErrUnavailable: the queue or store could not be reached.
	ErrUnavailable = errors.New("backend unavailable")
)

// Queue is an SQS standard queue as rptctl uses it.
type Queue interface {
	Name() string
	Send(ctx context.Context, body string, attrs map[string]Attribute) (string, error)
	Receive(ctx context.Context, opts ReceiveOptions) ([]Message, error)
	Delete(ctx context.Context, receipt string) error
	ChangeVisibility(ctx context.Context, receipt string, timeout time.Duration) error
	Stats(ctx context.Context) (QueueStats, error)
	Purge(ctx context.Context) error
}

// Store is an S3 bucket as rptctl uses it.
type Store interface {
	Put(ctx context.Context, key string, body []byte) error
	Get(ctx context.Context, key string) ([]byte, error)
	Head(ctx context.Context, key string) (ObjectInfo, error)
	List(ctx context.Context, prefix string) ([]ObjectInfo, error)
	Delete(ctx context.Context, key string) error
}

// Peeker reads a queue's messages without receiving them, for listing a
// dead-letter queue. The local backend reads them in place; see the AWS
// backend's Peek for what it costs there.
type Peeker interface {
	Peek(ctx context.Context, limit int) ([]Message, error)
}

// MessageSize is a message's size as SQS counts it against
// MaximumMessageSize: the body and each attribute's name, data type and
// value, in bytes.
func MessageSize(body string, attrs map[string]Attribute) int {
	n := len(body)
	for name, a := range attrs {
		n += len(name) + len(a.DataType) + len(a.Value)
	}
	return n
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// BatchDeleter deletes several messages in one call where the backend
// can. errs holds, per receipt, nil or why that one was not deleted
// (wrapping ErrReceiptInvalid for stale handles); err is a failure of
// the whole call.
type BatchDeleter interface {
	DeleteBatch(ctx context.Context, receipts []string) (errs []error, err error)
}

// DeleteBatch deletes messages with q's BatchDeleter, or one by one.
func DeleteBatch(ctx context.Context, q Queue, receipts []string) ([]error, error) {
	if bd, ok := q.(BatchDeleter); ok {
		return bd.DeleteBatch(ctx, receipts)
	}
	errs := make([]error, len(receipts))
	for i, r := range receipts {
		err := q.Delete(ctx, r)
		if err != nil && !errors.Is(err, ErrReceiptInvalid) {
			return errs, err
		}
		errs[i] = err
	}
	return errs, nil
}

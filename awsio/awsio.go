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
	Max        int           // 1 to 10 (clamped)
	Visibility time.Duration // how long the messages stay hidden; 0: the queue's default
	Wait       time.Duration // long poll, at most 20 s; 0: answer at once
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

// Queue is an SQS standard queue as rptctl uses it: at-least-once
// delivery in roughly the order sent. Implementations are safe for
// concurrent use; errors reaching the service wrap ErrUnavailable.
type Queue interface {
	// Name is the queue's name (also when it was given by URL).
	Name() string
	// Send queues a message and returns its ID.
	Send(ctx context.Context, body string, attrs map[string]Attribute) (string, error)
	// Receive returns up to opts.Max messages, each with a fresh receipt
	// handle, hidden for the visibility timeout; none when opts.Wait
	// passes first. A message received more than the queue's
	// maxReceiveCount times goes to its DLQ instead.
	Receive(ctx context.Context, opts ReceiveOptions) ([]Message, error)
	// Delete removes the message a receipt names. Locally a stale handle
	// fails with ErrReceiptInvalid; SQS may answer success without
	// deleting. Either way the message stays.
	Delete(ctx context.Context, receipt string) error
	// ChangeVisibility hides the message for timeout from now (0: shows
	// it at once); a stale handle fails with ErrReceiptInvalid.
	ChangeVisibility(ctx context.Context, receipt string, timeout time.Duration) error
	// Stats counts visible, in-flight and delayed messages (approximate
	// on SQS).
	Stats(ctx context.Context) (QueueStats, error)
	// Purge deletes every message (SQS: once a minute per queue).
	Purge(ctx context.Context) error
}

// Store is an S3 bucket as rptctl uses it. Implementations are safe for
// concurrent use; errors reaching the service wrap ErrUnavailable.
type Store interface {
	// Put writes a whole object; readers see the old or the new one.
	Put(ctx context.Context, key string, body []byte) error
	// Get reads an object; a missing key gives ErrNotFound.
	Get(ctx context.Context, key string) ([]byte, error)
	// Head describes an object; a missing key gives ErrNotFound.
	Head(ctx context.Context, key string) (ObjectInfo, error)
	// List returns the objects under prefix, sorted by key.
	List(ctx context.Context, prefix string) ([]ObjectInfo, error)
	// Delete removes an object; a missing key is no error.
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

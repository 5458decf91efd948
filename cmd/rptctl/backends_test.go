package main

import (
	"context"
	"testing"
	"time"

	"github.com/rptctl/rptctl/awsio"
	"github.com/rptctl/rptctl/awsio/awstest"
)

// testBackend is a backend a command test runs against.
type testBackend struct {
	*awsio.Backend
	cfg  awsio.Config
	wait time.Duration // the receive wait the dlq commands use on it
}

// forEachBackend runs f against a fresh local backend and a fresh one on
// the test SQS/S3 endpoint (skipped loudly without fauxqs, unless CI).
func forEachBackend(t *testing.T, opts awsio.SetupOptions,
	f func(t *testing.T, b testBackend)) {
	t.Run("local", func(t *testing.T) {
		t.Parallel()
		cfg := awsio.Config{Backend: "local", DataDir: t.TempDir(), Queue: "q",
			DLQ: "q-dlq", Bucket: "rptctl"}
		f(t, openTestBackend(t, cfg, opts, 0))
	})
	t.Run("aws", func(t *testing.T) {
		t.Parallel()
		cfg := awstest.Config(t, awstest.Endpoint(t))
		f(t, openTestBackend(t, cfg, opts, time.Second))
	})
}

func openTestBackend(t *testing.T, cfg awsio.Config, opts awsio.SetupOptions,
	wait time.Duration) testBackend {
	t.Helper()
	ctx := context.Background()
	if _, err := awsio.Setup(ctx, cfg, opts); err != nil {
		t.Fatalf("Setup: %v", err)
	}
	b, err := awsio.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = b.Close() }) // test backend: nothing to keep
	return testBackend{Backend: b, cfg: cfg, wait: wait}
}

// peekAllOf reads every message of q, in flight or not where the backend
// can (locally); on AWS only the visible ones.
func peekAllOf(t *testing.T, q awsio.Queue) []awsio.Message {
	t.Helper()
	msgs, err := q.(awsio.Peeker).Peek(context.Background(), 100_000)
	if err != nil {
		t.Fatalf("Peek %s: %v", q.Name(), err)
	}
	return msgs
}

func statsOf(t *testing.T, q awsio.Queue) awsio.QueueStats {
	t.Helper()
	s, err := q.Stats(context.Background())
	if err != nil {
		t.Fatalf("Stats %s: %v", q.Name(), err)
	}
	return s
}

// testAttrs are the attributes of a queue message of CONTRACT.md section 3.
func testAttrs(trace string) map[string]awsio.Attribute {
	return map[string]awsio.Attribute{
		"traceId":     {DataType: "String", Value: trace},
		"companyId":   {DataType: "String", Value: "acme"},
		"customerId":  {DataType: "String", Value: "shop"},
		"contentType": {DataType: "String", Value: "application/gzip"},
		"receivedAt":  {DataType: "String", Value: "2026-12-03T10:00:00Z"},
	}
}

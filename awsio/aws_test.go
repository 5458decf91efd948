package awsio_test

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rptctl/rptctl/awsio"
	"github.com/rptctl/rptctl/awsio/awstest"
)

// awsFactory sets up fresh queues and a bucket on the test endpoint.
func awsFactory(t *testing.T, opts awsio.SetupOptions) *awsio.Backend {
	t.Helper()
	cfg := awstest.Config(t, awstest.Endpoint(t))
	ctx := context.Background()
	if _, err := awsio.Setup(ctx, cfg, opts); err != nil {
		t.Fatalf("Setup: %v", err)
	}
	b, err := awsio.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

func TestAWSConformance(t *testing.T) {
	awstest.Endpoint(t) // skip (or fail on CI) once, not per subtest
	runConformance(t, awsFactory)
}

func TestAWSSetupIsRepeatable(t *testing.T) {
	cfg := awstest.Config(t, awstest.Endpoint(t))
	ctx := context.Background()
	first, err := awsio.Setup(ctx, cfg, awsio.SetupOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("first Setup: %+v", first)
	// fauxqs has no lifecycle support: a warning instead of that rule.
	if len(first.Created) != 3 || len(first.Found) != 0 {
		t.Errorf("first Setup: %+v, want dlq, queue and bucket created", first)
	}
	again, err := awsio.Setup(ctx, cfg, awsio.SetupOptions{MaxReceive: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Created) != 0 || len(again.Found) != 3 {
		t.Errorf("second Setup: %+v, want everything found", again)
	}
	if len(again.Warnings) != 1 || !strings.Contains(again.Warnings[0], "lifecycle") {
		t.Errorf("warnings %q, want one about the lifecycle rule", again.Warnings)
	}
}

func TestAWSOpen(t *testing.T) {
	b := awsFactory(t, awsio.SetupOptions{})
	if b.MaxMessageSize != 1<<20 {
		t.Errorf("MaxMessageSize = %d, want fauxqs's default 1 MiB", b.MaxMessageSize)
	}
	ctx := context.Background()

	// A queue given by URL works as one given by name.
	u, ok := b.Queue.(interface{ URL() string })
	if !ok {
		t.Fatal("aws queue has no URL")
	}
	cfg := awstest.Config(t, awstest.Endpoint(t))
	cfg.Queue, cfg.DLQ, cfg.Bucket = u.URL(), b.DLQ.Name(), b.Bucket
	byURL, err := awsio.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("Open by URL: %v", err)
	}
	if byURL.Queue.Name() != b.Queue.Name() {
		t.Errorf("name from URL %q, want %q", byURL.Queue.Name(), b.Queue.Name())
	}

	// A missing queue, DLQ or bucket says what is missing and what to do.
	missing := []struct {
		change func(c *awsio.Config)
		want   string
	}{
		{func(c *awsio.Config) { c.Queue = "no-such-" + b.Queue.Name() },
			`queue "no-such-`},
		{func(c *awsio.Config) { c.DLQ = "no-such-" + b.DLQ.Name() }, `dlq "no-such-`},
		{func(c *awsio.Config) { c.Bucket = "no-such-" + b.Bucket }, `bucket "no-such-`},
	}
	for _, m := range missing {
		c := cfg
		m.change(&c)
		_, err := awsio.Open(ctx, c)
		if err == nil || !strings.Contains(err.Error(), m.want) ||
			!strings.Contains(err.Error(), "does not exist in region") ||
			!strings.Contains(err.Error(), "setup\" to create it") {
			t.Errorf("Open with a missing resource: %v, want it to say %s... does not "+
				"exist and to run setup", err, m.want)
		}
	}
}

func TestAWSDeleteBatch(t *testing.T) {
	b := awsFactory(t, awsio.SetupOptions{})
	ctx := context.Background()
	for range 12 {
		send(t, b.Queue, "Ym9keQ==", "t")
	}
	var receipts []string
	for len(receipts) < 12 {
		msgs, err := b.Queue.Receive(ctx, awsio.ReceiveOptions{Max: 10,
			Visibility: time.Minute, Wait: time.Second})
		if err != nil || len(msgs) == 0 {
			t.Fatalf("Receive: %d, %v", len(msgs), err)
		}
		for _, m := range msgs {
			receipts = append(receipts, m.ReceiptHandle)
		}
	}
	receipts = append(receipts, "not-a-receipt")
	errs, err := awsio.DeleteBatch(ctx, b.Queue, receipts)
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range errs[:12] {
		if e != nil {
			t.Errorf("entry %d: %v", i, e)
		}
	}
	// SQS refuses the made-up receipt; fauxqs ignores it. Either way
	// nothing else is affected.
	t.Logf("made-up receipt: %v", errs[12])
	s, err := b.Queue.Stats(ctx)
	if err != nil || s.Visible+s.InFlight != 0 {
		t.Errorf("after DeleteBatch: %+v, %v", s, err)
	}
}

// TestAWSErrors runs without an endpoint: a refused connection is
// ErrUnavailable, a missing region a clear error. Not parallel: it sets
// the environment.
func TestAWSErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	_ = ln.Close() // a port nobody listens on
	for _, kv := range awstest.Env(closed) {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	t.Setenv("AWS_MAX_ATTEMPTS", "1")
	cfg := awsio.Config{Backend: "aws", Queue: "q", DLQ: "d", Bucket: "bucket"}
	ctx := context.Background()
	if _, err := awsio.Open(ctx, cfg); !errors.Is(err, awsio.ErrUnavailable) {
		t.Errorf("Open on a closed port: %v, want ErrUnavailable", err)
	}

	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_PROFILE", "")
	_, err = awsio.Open(ctx, cfg)
	if err == nil || !strings.Contains(err.Error(), "AWS_REGION") {
		t.Errorf("Open without a region: %v", err)
	}
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/rptctl/rptctl/awsio"
	"github.com/rptctl/rptctl/awsio/awstest"
	"github.com/rptctl/rptctl/engine"
)

// TestSetupVisibilityDefault: setup gives the queue the visibility the
// parser receives with, so a consumer without its own sees the same.
func TestSetupVisibilityDefault(t *testing.T) {
	for _, f := range setupCommand().Flags {
		d, ok := f.(*cli.DurationFlag)
		if !ok || d.Name != "visibility" {
			continue
		}
		if d.Value != engine.DefaultVisibility {
			t.Errorf("setup --visibility defaults to %v, parse --visibility to %v",
				d.Value, engine.DefaultVisibility)
		}
		if !strings.Contains(d.Usage, "parse and serve pass their own") {
			t.Errorf("usage %q does not say parse and serve pass their own", d.Usage)
		}
		return
	}
	t.Fatal("setup has no --visibility flag")
}

var defaultSetup = setupOptions{MaxReceive: 5, Visibility: time.Minute,
	PayloadExpiry: awsio.DefaultPayloadExpiry, Format: "table"}

func TestSetupLocal(t *testing.T) {
	cfg := awsio.Config{Backend: "local", DataDir: filepath.Join(t.TempDir(), "data"),
		Queue: "rptctl-reports", DLQ: "rptctl-reports-dlq", Bucket: "rptctl"}
	ctx := context.Background()

	var out bytes.Buffer
	if err := runSetup(ctx, defaultSetup, setupDeps{Config: cfg, Out: &out}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"created", "queue rptctl-reports (maxReceiveCount 5",
		"dlq rptctl-reports-dlq", "bucket", "data folder"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("first run lacks %q:\n%s", want, out.String())
		}
	}

	out.Reset()
	opts := defaultSetup
	opts.Format, opts.MaxReceive = "json", 2
	if err := runSetup(ctx, opts, setupDeps{Config: cfg, Out: &out}); err != nil {
		t.Fatal(err)
	}
	var res awsio.SetupResult
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("%v in %s", err, out.String())
	}
	if len(res.Created) != 0 || len(res.Found) != 4 || res.Warnings == nil {
		t.Errorf("second run: %+v, want everything found", res)
	}

	// The new maxReceiveCount took effect: the third receive moves.
	b := openTestBackend(t, cfg, awsio.SetupOptions{MaxReceive: 2}, 0)
	checkMovesAfter(t, b, 2)
}

// checkMovesAfter checks that a message moves to the DLQ after n receives.
func checkMovesAfter(t *testing.T, b testBackend, n int) {
	t.Helper()
	ctx := context.Background()
	if _, err := b.Queue.Send(ctx, "Ym9keQ==", testAttrs("poison")); err != nil {
		t.Fatal(err)
	}
	for i := 0; i <= n; i++ {
		msgs, err := b.Queue.Receive(ctx, awsio.ReceiveOptions{Max: 1,
			Visibility: time.Minute, Wait: b.wait})
		if err != nil {
			t.Fatal(err)
		}
		if i == n {
			if len(msgs) != 0 {
				t.Fatalf("receive %d got the message, want it moved", i+1)
			}
			break
		}
		if len(msgs) != 1 {
			t.Fatalf("receive %d: %d messages", i+1, len(msgs))
		}
		if err := b.Queue.ChangeVisibility(ctx, msgs[0].ReceiptHandle, 0); err != nil {
			t.Fatal(err)
		}
	}
	if s := statsOf(t, b.DLQ); s.Visible != 1 {
		t.Errorf("DLQ %+v, want the message", s)
	}
}

func TestSetupAWS(t *testing.T) {
	cfg := awstest.Config(t, awstest.Endpoint(t))
	var out bytes.Buffer
	ctx := context.Background()
	opts := defaultSetup
	opts.MaxReceive = 1
	if err := runSetup(ctx, opts, setupDeps{Config: cfg, Out: &out}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"created", "queue " + cfg.Queue, "dlq " + cfg.DLQ,
		"bucket " + cfg.Bucket, "warning", "lifecycle"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	b := openTestBackend(t, cfg, awsio.SetupOptions{MaxReceive: 1}, time.Second)
	checkMovesAfter(t, b, 1)
}

func TestSetupUsage(t *testing.T) {
	tests := []struct {
		name string
		edit func(*setupOptions)
	}{
		{"max receive 0", func(o *setupOptions) { o.MaxReceive = 0 }},
		{"max receive 1001", func(o *setupOptions) { o.MaxReceive = 1001 }},
		{"visibility 0", func(o *setupOptions) { o.Visibility = 0 }},
		{"visibility 13h", func(o *setupOptions) { o.Visibility = 13 * time.Hour }},
		{"expiry 1h", func(o *setupOptions) { o.PayloadExpiry = time.Hour }},
		{"format csv", func(o *setupOptions) { o.Format = "csv" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := defaultSetup
			tt.edit(&o)
			err := runSetup(context.Background(), o, setupDeps{
				Config: awsio.Config{Backend: "local", DataDir: t.TempDir(), Queue: "q",
					DLQ: "d", Bucket: "rptctl"}, Out: &bytes.Buffer{}})
			if code := exitCode(err, &bytes.Buffer{}); code != 2 {
				t.Errorf("exit %d (%v), want 2", code, err)
			}
		})
	}
}

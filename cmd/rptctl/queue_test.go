package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rptctl/rptctl/awsio"
)

func TestQueueStats(t *testing.T) {
	forEachBackend(t, awsio.SetupOptions{}, func(t *testing.T, b testBackend) {
		ctx := context.Background()
		for _, trace := range []string{"a", "b", "c"} {
			if _, err := b.Queue.Send(ctx, "Ym9keQ==", testAttrs(trace)); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := b.DLQ.Send(ctx, "Ym9keQ==", testAttrs("d")); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Queue.Receive(ctx, awsio.ReceiveOptions{Max: 1,
			Visibility: time.Minute}); err != nil {
			t.Fatal(err)
		}
		deps := queueStatsDeps{Queue: b.Queue, DLQ: b.DLQ, Now: time.Now}

		var out bytes.Buffer
		deps.Out = &out
		if err := runQueueStats(ctx, queueStatsOptions{Format: "json"}, deps); err != nil {
			t.Fatal(err)
		}
		var got queueStatsJSON
		if err := json.Unmarshal(out.Bytes(), &got); err != nil {
			t.Fatalf("%v in %s", err, out.String())
		}
		want := queueStatsJSON{
			Queue: awsio.QueueStats{Name: b.Queue.Name(), Visible: 2, InFlight: 1},
			DLQ:   awsio.QueueStats{Name: b.DLQ.Name(), Visible: 1},
		}
		if got != want {
			t.Errorf("got %+v, want %+v", got, want)
		}
		for _, k := range []string{`"queue"`, `"dlq"`, `"inFlight"`, `"delayed"`} {
			if !strings.Contains(out.String(), k) {
				t.Errorf("JSON lacks %s: %s", k, out.String())
			}
		}

		out.Reset()
		if err := runQueueStats(ctx, queueStatsOptions{Format: "table"}, deps); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"in flight", b.Queue.Name(), b.DLQ.Name()} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("table lacks %q:\n%s", want, out.String())
			}
		}
	})
}

func TestQueueStatsWatch(t *testing.T) {
	b := openTestBackend(t, awsio.Config{Backend: "local", DataDir: t.TempDir(),
		Queue: "q", DLQ: "q-dlq", Bucket: "rptctl"}, awsio.SetupOptions{}, 0)
	now := func() time.Time { return time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC) }
	tests := []struct {
		name   string
		opts   queueStatsOptions
		tty    bool
		checks func(t *testing.T, out string)
	}{
		{"json lines", queueStatsOptions{Format: "json", Watch: true,
			Interval: 100 * time.Millisecond, Count: 3}, false,
			func(t *testing.T, out string) {
				lines := strings.Split(strings.TrimSpace(out), "\n")
				if len(lines) != 3 {
					t.Fatalf("%d lines, want 3:\n%s", len(lines), out)
				}
				for _, l := range lines {
					var v queueStatsJSON
					if err := json.Unmarshal([]byte(l), &v); err != nil {
						t.Errorf("line %q: %v", l, err)
					}
				}
			}},
		{"terminal redraws in place", queueStatsOptions{Format: "table", Watch: true,
			Interval: 100 * time.Millisecond, Count: 2}, true,
			func(t *testing.T, out string) {
				if n := strings.Count(out, clearScreen); n != 2 {
					t.Errorf("%d screen clears, want 2", n)
				}
				if !strings.Contains(out, "2026-12-03T10:00:00Z") {
					t.Errorf("no time stamp:\n%s", out)
				}
			}},
		{"pipe gets no escapes", queueStatsOptions{Format: "table", Watch: true,
			Interval: 100 * time.Millisecond, Count: 2}, false,
			func(t *testing.T, out string) {
				if strings.Contains(out, "\x1b") {
					t.Errorf("escape sequence on a pipe:\n%q", out)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := runQueueStats(context.Background(), tt.opts, queueStatsDeps{
				Queue: b.Queue, DLQ: b.DLQ, Out: &out, OutIsTTY: tt.tty, Now: now})
			if err != nil {
				t.Fatal(err)
			}
			tt.checks(t, out.String())
		})
	}

	// Interrupting --watch is its normal end.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := runQueueStats(ctx, queueStatsOptions{Format: "table", Watch: true,
		Interval: time.Second}, queueStatsDeps{Queue: b.Queue, DLQ: b.DLQ,
		Out: &bytes.Buffer{}, Now: now})
	if err != nil {
		t.Errorf("interrupted watch: %v", err)
	}
}

func TestQueueStatsUsage(t *testing.T) {
	tests := []queueStatsOptions{
		{Format: "csv"},
		{Format: "table", Watch: true, Interval: time.Millisecond},
		{Format: "table", Count: -1},
	}
	for _, o := range tests {
		if code := exitCode(o.check(), &bytes.Buffer{}); code != 2 {
			t.Errorf("%+v: exit %d, want 2", o, code)
		}
	}
}

// flakyStats fails its first Stats calls with ErrUnavailable.
type flakyStats struct {
	awsio.Queue
	fails int
}

func (q *flakyStats) Stats(ctx context.Context) (awsio.QueueStats, error) {
	if q.fails > 0 {
		q.fails--
		return awsio.QueueStats{}, fmt.Errorf("counting: %w", awsio.ErrUnavailable)
	}
	return q.Queue.Stats(ctx)
}

// TestQueueStatsWatchUnavailable: --watch carries on past a refresh the
// backend could not answer; a single stats call fails with it.
func TestQueueStatsWatchUnavailable(t *testing.T) {
	b := openTestBackend(t, awsio.Config{Backend: "local", DataDir: t.TempDir(),
		Queue: "q", DLQ: "q-dlq", Bucket: "rptctl"}, awsio.SetupOptions{}, 0)
	now := func() time.Time { return time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC) }
	var out, errOut bytes.Buffer
	deps := queueStatsDeps{Queue: &flakyStats{Queue: b.Queue, fails: 1}, DLQ: b.DLQ,
		Out: &out, Err: &errOut, Now: now}
	opts := queueStatsOptions{Format: "json", Watch: true,
		Interval: 100 * time.Millisecond, Count: 2}
	if err := runQueueStats(context.Background(), opts, deps); err != nil {
		t.Fatalf("watch: %v", err)
	}
	if n := strings.Count(out.String(), "\n"); n != 1 {
		t.Errorf("%d refreshes printed, want 1:\n%s", n, out.String())
	}
	if !strings.Contains(errOut.String(), "unavailable") ||
		!strings.Contains(errOut.String(), "trying again") {
		t.Errorf("stderr %q, want the skipped refresh", errOut.String())
	}

	deps.Queue = &flakyStats{Queue: b.Queue, fails: 1}
	opts.Watch = false
	if err := runQueueStats(context.Background(), opts, deps); err == nil {
		t.Error("stats without --watch: no error from an unavailable backend")
	}
}

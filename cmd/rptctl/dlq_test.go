package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rptctl/rptctl/awsio"
	"github.com/rptctl/rptctl/engine"
	"github.com/rptctl/rptctl/engine/results"
)

// poison sends one message per trace to the queue, offloading those with
// big set, and drives them to the DLQ through real receives (the queue's
// maxReceiveCount must be 1).
func poison(t *testing.T, b testBackend, traces []string, big map[string]bool) {
	t.Helper()
	ctx := context.Background()
	p := &awsio.Payloads{Store: b.Store, Bucket: b.Bucket, InlineLimit: 2048}
	for _, trace := range traces {
		size := 100
		if big[trace] {
			size = 5000
		}
		body, attrs, _, err := p.Encode(ctx, results.PayloadKey("acme", "shop", trace),
			bytes.Repeat([]byte("x"), size), testAttrs(trace))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.Queue.Send(ctx, body, attrs); err != nil {
			t.Fatal(err)
		}
	}
	// Receive each once, hand it back; the next receive moves it.
	for statsOf(t, b.DLQ).Visible < int64(len(traces)) {
		msgs, err := b.Queue.Receive(ctx, awsio.ReceiveOptions{Max: 10,
			Visibility: time.Minute, Wait: b.wait})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			if err := b.Queue.ChangeVisibility(ctx, m.ReceiptHandle, 0); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func dlqDepsOf(b testBackend, out, errOut *bytes.Buffer) dlqDeps {
	return dlqDeps{Queue: b.Queue, DLQ: b.DLQ, Store: b.Store, Out: out, Err: errOut,
		Wait: b.wait}
}

func TestDLQList(t *testing.T) {
	forEachBackend(t, awsio.SetupOptions{MaxReceive: 1}, func(t *testing.T, b testBackend) {
		ctx := context.Background()
		poison(t, b, []string{"t-1", "t-2", "t-3"}, map[string]bool{"t-2": true})
		err := engine.PutFailure(ctx, b.Store, engine.Failure{TraceID: "t-1",
			CompanyID: "acme", CustomerID: "shop", Error: "parsing report: bad XML",
			ReceiveCount: 1, Permanent: true})
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Store.Put(ctx, results.FailureKey("t-3"), []byte("{broken")); err != nil {
			t.Fatal(err)
		}

		list := func() []dlqEntry {
			var out, errOut bytes.Buffer
			err := runDLQList(ctx, dlqListOptions{Limit: 100, Format: "json"},
				dlqDepsOf(b, &out, &errOut))
			if err != nil {
				t.Fatal(err)
			}
			var entries []dlqEntry
			if err := json.Unmarshal(out.Bytes(), &entries); err != nil {
				t.Fatalf("%v in %s", err, out.String())
			}
			slices.SortFunc(entries, func(a, b dlqEntry) int {
				return strings.Compare(a.TraceID, b.TraceID)
			})
			return entries
		}
		first := list()
		if len(first) != 3 {
			t.Fatalf("listed %d messages, want 3", len(first))
		}
		tests := []struct {
			trace, delivery, err string
			permanent            bool
		}{
			{"t-1", "inline", "parsing report: bad XML", true},
			{"t-2", "offloaded", "", false},
			{"t-3", "inline", "(failure record unreadable", false},
		}
		for i, tt := range tests {
			e := first[i]
			if e.TraceID != tt.trace || e.Delivery != tt.delivery ||
				!strings.HasPrefix(e.Error, tt.err) || e.Permanent != tt.permanent {
				t.Errorf("entry %d = %+v, want %+v", i, e, tt)
			}
			if e.CompanyID != "acme" || e.CustomerID != "shop" || e.Size == 0 {
				t.Errorf("entry %d = %+v", i, e)
			}
			if e.ReceiveCount < 1 || e.FirstReceived == nil {
				t.Errorf("entry %d: receive count %d, first received %v", i,
					e.ReceiveCount, e.FirstReceived)
			}
		}
		if first[1].Size != 6668 { // base64 of 5000 bytes
			t.Errorf("offloaded size %d, want 6668", first[1].Size)
		}

		// Listing leaves the messages where they were, visible.
		if s := statsOf(t, b.DLQ); s.Visible != 3 || s.InFlight != 0 {
			t.Errorf("DLQ after listing: %+v", s)
		}
		again := list()
		if len(again) != 3 {
			t.Fatalf("second listing: %d messages", len(again))
		}
		if b.cfg.Backend == "local" {
			for i := range again {
				if again[i].ReceiveCount != first[i].ReceiveCount {
					t.Errorf("listing changed the receive count of %s", again[i].TraceID)
				}
			}
		}

		var out bytes.Buffer
		err = runDLQList(ctx, dlqListOptions{Limit: 2, Format: "table"},
			dlqDepsOf(b, &out, &bytes.Buffer{}))
		if err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(out.String(), "acme"); n != 2 {
			t.Errorf("--limit 2 table has %d rows:\n%s", n, out.String())
		}
		if !strings.Contains(out.String(), "firstReceived") {
			t.Errorf("table header:\n%s", out.String())
		}
	})
}

// TestDLQListParserMoved: a message the parser moved to the DLQ itself is
// a new message there, never received; its receives and times come from
// the copy's dead-letter attributes or the failure record. Redrive sends
// it back without those attributes.
func TestDLQListParserMoved(t *testing.T) {
	forEachBackend(t, awsio.SetupOptions{}, func(t *testing.T, b testBackend) {
		ctx := context.Background()
		first := time.Date(2026, 12, 3, 9, 15, 2, 0, time.UTC)
		worked := awsio.Message{Body: "eA==", ReceiveCount: 4, FirstReceived: first,
			Attributes: testAttrs("with-attrs")}
		// As the engine moves a permanent failure: a copy, then a record.
		sends := []struct {
			trace string
			attrs map[string]awsio.Attribute
		}{
			{"with-attrs", awsio.DeadLetterAttributes(worked, 0)},
			{"record-only", testAttrs("record-only")},
		}
		for _, sd := range sends {
			if _, err := b.DLQ.Send(ctx, "eA==", sd.attrs); err != nil {
				t.Fatal(err)
			}
			err := engine.PutFailure(ctx, b.Store, engine.Failure{TraceID: sd.trace,
				CompanyID: "acme", CustomerID: "shop", Error: "parsing report: not XML",
				ReceiveCount: 2, Permanent: true})
			if err != nil {
				t.Fatal(err)
			}
		}

		var out bytes.Buffer
		err := runDLQList(ctx, dlqListOptions{Limit: 10, Format: "json"},
			dlqDepsOf(b, &out, &bytes.Buffer{}))
		if err != nil {
			t.Fatal(err)
		}
		var entries []dlqEntry
		if err := json.Unmarshal(out.Bytes(), &entries); err != nil {
			t.Fatalf("%v in %s", err, out.String())
		}
		got := make(map[string]dlqEntry)
		for _, e := range entries {
			got[e.TraceID] = e
		}
		tests := []struct {
			trace    string
			receives int
			first    *time.Time
		}{
			{"with-attrs", 4, &first},
			{"record-only", 2, nil},
		}
		for _, tt := range tests {
			e, ok := got[tt.trace]
			if !ok {
				t.Fatalf("%s not listed: %s", tt.trace, out.String())
			}
			if e.ReceiveCount != tt.receives || !equalTime(e.FirstReceived, tt.first) ||
				e.FailedAt == nil || !e.Permanent {
				t.Errorf("%s: receives %d, first received %v, failed at %v; want %d, %v "+
					"and a failure time", tt.trace, e.ReceiveCount, e.FirstReceived,
					e.FailedAt, tt.receives, tt.first)
			}
		}

		// Redrive: back on the work queue the attributes would be stale.
		opts := dlqRedriveOptions{TraceIDs: []string{"with-attrs"}, Format: "json"}
		if err := runDLQRedrive(ctx, opts, dlqDepsOf(b, &out, &bytes.Buffer{})); err != nil {
			t.Fatal(err)
		}
		msgs, err := b.Queue.Receive(ctx, awsio.ReceiveOptions{Max: 1, Wait: b.wait})
		if err != nil || len(msgs) != 1 {
			t.Fatalf("receiving the redriven message: %d, %v", len(msgs), err)
		}
		if n, _ := awsio.DeadLetterCounts(msgs[0]); n != 0 {
			t.Errorf("redriven message kept the dead-letter attributes: %v",
				msgs[0].Attributes)
		}
	})
}

func equalTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

func TestDLQRedrive(t *testing.T) {
	traces := []string{"r-1", "r-2", "r-3", "r-4", "r-5"}
	tests := []struct {
		name    string
		opts    dlqRedriveOptions
		moved   []string
		wantErr string
	}{
		{"all", dlqRedriveOptions{}, traces, ""},
		{"picked", dlqRedriveOptions{TraceIDs: []string{"r-2", "r-4"}},
			[]string{"r-2", "r-4"}, ""},
		{"limit", dlqRedriveOptions{Limit: 2}, nil, ""},
		{"dry run", dlqRedriveOptions{DryRun: true}, nil, ""},
		{"missing trace", dlqRedriveOptions{TraceIDs: []string{"r-1", "nope"}},
			[]string{"r-1"}, "nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			forEachBackend(t, awsio.SetupOptions{MaxReceive: 1},
				func(t *testing.T, b testBackend) {
					testRedrive(t, b, traces, tt.opts, tt.moved, tt.wantErr)
				})
		})
	}
}

func testRedrive(t *testing.T, b testBackend, traces []string, opts dlqRedriveOptions,
	moved []string, wantErr string) {
	ctx := context.Background()
	poison(t, b, traces, map[string]bool{"r-3": true})
	opts.Format = "json"
	var out, errOut bytes.Buffer
	err := runDLQRedrive(ctx, opts, dlqDepsOf(b, &out, &errOut))
	if wantErr != "" {
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Fatalf("redrive: %v, want an error naming %q", err, wantErr)
		}
	} else if err != nil {
		t.Fatal(err)
	}
	var rep redriveReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("%v in %q", err, out.String())
	}

	want := len(moved)
	switch {
	case opts.DryRun:
		want = 0
		if rep.Redriven != len(traces) || !rep.DryRun {
			t.Errorf("dry run reported %+v", rep)
		}
	case opts.Limit > 0:
		want = opts.Limit
	}
	if !opts.DryRun && rep.Redriven != want {
		t.Errorf("reported %d redriven, want %d", rep.Redriven, want)
	}
	q, d := statsOf(t, b.Queue), statsOf(t, b.DLQ)
	if q.Visible != int64(want) || d.Visible != int64(len(traces)-want) || d.InFlight != 0 {
		t.Errorf("after redrive: queue %+v, DLQ %+v; want %d moved", q, d, want)
	}

	// Redriven messages are whole: attributes, and payloads that decode.
	p := &awsio.Payloads{Store: b.Store, Bucket: b.Bucket}
	var got []string
	for _, m := range peekAllOf(t, b.Queue) {
		got = append(got, m.Attributes["traceId"].Value)
		raw, err := p.Decode(ctx, m)
		if err != nil {
			t.Errorf("decoding redriven %s: %v", m.Attributes["traceId"].Value, err)
		}
		if len(raw) != 100 && len(raw) != 5000 {
			t.Errorf("redriven payload of %d bytes", len(raw))
		}
		if m.Attributes["contentType"].Value != "application/gzip" {
			t.Errorf("attributes lost: %v", m.Attributes)
		}
	}
	slices.Sort(got)
	if moved != nil && fmt.Sprint(got) != fmt.Sprint(moved) {
		t.Errorf("queue holds %v, want %v", got, moved)
	}
}

// cancelAfterSends is a queue whose context is cancelled right after its
// n-th successful send: a redrive interrupted between send and delete.
type cancelAfterSends struct {
	awsio.Queue
	n      int
	cancel context.CancelFunc
}

func (c *cancelAfterSends) Send(ctx context.Context, body string,
	attrs map[string]awsio.Attribute) (string, error) {
	id, err := c.Queue.Send(ctx, body, attrs)
	if err == nil {
		c.n--
		if c.n == 0 {
			c.cancel()
		}
	}
	return id, err
}

// TestDLQRedriveInterrupted: every message ends in the queue or the DLQ
// (the interrupted one possibly in both), none hidden, none lost.
func TestDLQRedriveInterrupted(t *testing.T) {
	traces := []string{"i-1", "i-2", "i-3", "i-4", "i-5", "i-6"}
	forEachBackend(t, awsio.SetupOptions{MaxReceive: 1}, func(t *testing.T, b testBackend) {
		poison(t, b, traces, nil)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		deps := dlqDepsOf(b, &bytes.Buffer{}, &bytes.Buffer{})
		deps.Queue = &cancelAfterSends{Queue: b.Queue, n: 3, cancel: cancel}
		err := runDLQRedrive(ctx, dlqRedriveOptions{Format: "table"}, deps)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("redrive: %v, want it cancelled", err)
		}
		if !strings.Contains(err.Error(), "in both") {
			t.Errorf("error does not say where the message is: %v", err)
		}

		q, d := statsOf(t, b.Queue), statsOf(t, b.DLQ)
		if q.InFlight != 0 || d.InFlight != 0 {
			t.Errorf("messages left hidden: queue %+v, DLQ %+v", q, d)
		}
		seen := map[string]int{}
		for _, queue := range []awsio.Queue{b.Queue, b.DLQ} {
			for _, m := range peekAllOf(t, queue) {
				seen[m.Attributes["traceId"].Value]++
			}
		}
		dup := 0
		for _, trace := range traces {
			switch seen[trace] {
			case 1:
			case 2:
				dup++
			default:
				t.Errorf("%s is %d times in queue and DLQ", trace, seen[trace])
			}
		}
		if dup > 1 {
			t.Errorf("%d messages in both queues, at most the interrupted one may be", dup)
		}
		if q.Visible != 3 {
			t.Errorf("queue holds %d, want the 3 sent", q.Visible)
		}
	})
}

func TestDLQPurge(t *testing.T) {
	forEachBackend(t, awsio.SetupOptions{MaxReceive: 1}, func(t *testing.T, b testBackend) {
		poison(t, b, []string{"p-1", "p-2"}, nil)
		var out bytes.Buffer
		deps := dlqDepsOf(b, &out, &bytes.Buffer{})
		err := runDLQPurge(context.Background(), dlqPurgeOptions{}, deps)
		if code := exitCode(err, &bytes.Buffer{}); code != 2 {
			t.Errorf("purge without --yes: exit %d, want 2", code)
		}
		if s := statsOf(t, b.DLQ); s.Visible != 2 {
			t.Fatalf("purge without --yes touched the DLQ: %+v", s)
		}
		if err := runDLQPurge(context.Background(), dlqPurgeOptions{Yes: true},
			deps); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), "2 message") {
			t.Errorf("output %q", out.String())
		}
		if s := statsOf(t, b.DLQ); s.Visible+s.InFlight != 0 {
			t.Errorf("after purge: %+v", s)
		}
	})
}

// failAgain is a work queue whose every message fails at once and lands
// in the DLQ again as a new message, as when a parser runs beside the
// redrive and the cause is not gone.
type failAgain struct {
	awsio.Queue
	dlq awsio.Queue
}

func (q *failAgain) Send(ctx context.Context, body string,
	attrs map[string]awsio.Attribute) (string, error) {
	id, err := q.Queue.Send(ctx, body, attrs)
	if err != nil {
		return id, err
	}
	_, err = q.dlq.Send(ctx, body, attrs)
	return id, err
}

// A redrive moves each message once, and ends, even when every message
// it moves is back in the DLQ at once.
func TestDLQRedriveEndsWhenMessagesFailAgain(t *testing.T) {
	traces := []string{"again-1", "again-2", "again-3"}
	forEachBackend(t, awsio.SetupOptions{MaxReceive: 1}, func(t *testing.T, b testBackend) {
		poison(t, b, traces, nil)
		deps := dlqDepsOf(b, &bytes.Buffer{}, &bytes.Buffer{})
		deps.Queue = &failAgain{Queue: b.Queue, dlq: b.DLQ}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		var out bytes.Buffer
		deps.Out = &out
		if err := runDLQRedrive(ctx, dlqRedriveOptions{Format: "json"}, deps); err != nil {
			t.Fatal(err)
		}
		var rep redriveReport
		if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
			t.Fatal(err)
		}
		if rep.Redriven != len(traces) {
			t.Errorf("redriven %d, want each of the %d once", rep.Redriven, len(traces))
		}
		if d := statsOf(t, b.DLQ); d.Visible != int64(len(traces)) || d.InFlight != 0 {
			t.Errorf("DLQ %+v, want the %d failed copies visible", d, len(traces))
		}
	})
}

// failures/ is keyed by trace id alone: another company's failure under
// the same trace id is not shown as this message's error.
func TestDLQListIgnoresOtherCompanysFailure(t *testing.T) {
	forEachBackend(t, awsio.SetupOptions{MaxReceive: 1}, func(t *testing.T, b testBackend) {
		poison(t, b, []string{"shared-1", "own-1"}, nil)
		ctx := context.Background()
		put := func(trace, company, msg string) {
			rec, err := json.Marshal(map[string]any{"traceId": trace, "companyId": company,
				"customerId": "shop", "error": msg, "receiveCount": 1})
			if err != nil {
				t.Fatal(err)
			}
			if err := b.Store.Put(ctx, results.FailureKey(trace), rec); err != nil {
				t.Fatal(err)
			}
		}
		put("shared-1", "beta", "beta's error")
		put("own-1", "acme", "acme's error")

		var out bytes.Buffer
		err := runDLQList(ctx, dlqListOptions{Limit: 100, Format: "json"},
			dlqDepsOf(b, &out, &bytes.Buffer{}))
		if err != nil {
			t.Fatal(err)
		}
		var entries []dlqEntry
		if err := json.Unmarshal(out.Bytes(), &entries); err != nil {
			t.Fatalf("%v: %s", err, out.String())
		}
		got := map[string]string{}
		for _, e := range entries {
			got[e.TraceID] = e.Error
		}
		if got["shared-1"] != "" || got["own-1"] != "acme's error" {
			t.Errorf("errors shown: %q", got)
		}
	})
}

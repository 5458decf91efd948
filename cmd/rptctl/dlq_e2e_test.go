package main

// End-to-end tests of the dlq commands with real processes: a poison
// message listed while serve runs, then repaired and redriven; and a
// redrive killed halfway.

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/rptctl/rptctl/awsio"
	"github.com/rptctl/rptctl/engine"
	"github.com/rptctl/rptctl/engine/results"
)

func TestE2EDLQRedriveLocal(t *testing.T) { testDLQRedriveE2E(t, localSystem(t)) }

func TestE2EDLQRedriveAWS(t *testing.T) { testDLQRedriveE2E(t, awsSystem(t)) }

// testDLQRedriveE2E: an offloaded poison attachment reaches the DLQ;
// `dlq list` shows it with its error while serve runs; once its payload
// is repaired, `dlq redrive` returns it and it is processed once.
func testDLQRedriveE2E(t *testing.T, s *system) {
	srv := startServe(t, s, "--inline-limit", "1024", "--visibility", "2s")
	b := s.backend(t)

	poison := poisonFile(t)
	row := submitFiles(t, s, srv.url, "acme", []string{poison}, "--wait")[poison]
	if row.State != "failed" || row.Delivery != "offloaded" {
		t.Fatalf("poison: %+v, want failed and offloaded", row)
	}
	deadline := time.Now().Add(time.Minute)
	for !inDLQ(t, b, row.TraceID) {
		if time.Now().After(deadline) {
			t.Fatal("the poison message never reached the DLQ")
		}
		time.Sleep(50 * time.Millisecond)
	}

	out, errOut, code := s.run(t, "dlq", "list", "--format", "json")
	if code != 0 {
		t.Fatalf("dlq list: exit %d: %s", code, errOut)
	}
	var entries []dlqEntry
	if err := json.Unmarshal([]byte(out), &entries); err != nil {
		t.Fatalf("dlq list output: %v\n%s", err, out)
	}
	if len(entries) != 1 || entries[0].TraceID != row.TraceID ||
		entries[0].Delivery != "offloaded" || entries[0].Error == "" ||
		entries[0].CompanyID != "acme" || !entries[0].Permanent {
		t.Fatalf("dlq list: %+v", entries)
	}
	// The parser moved it itself: a new message in the DLQ, whose receives
	// on the work queue come from its attributes or failure record.
	if entries[0].ReceiveCount != 1 || entries[0].FailedAt == nil {
		t.Errorf("dlq list of a parser-moved message: receives %d, failed at %v; "+
			"want 1 and a time", entries[0].ReceiveCount, entries[0].FailedAt)
	}

	// Repair the cause: the payload becomes a valid report of the same
	// size, so the pointer's size attribute still holds.
	repairPayload(t, b, results.PayloadKey("acme", "c1", row.TraceID), row.TraceID)

	out, errOut, code = s.run(t, "dlq", "redrive", "--trace-id", row.TraceID)
	if code != 0 || !strings.Contains(out, row.TraceID) {
		t.Fatalf("dlq redrive: exit %d\n%s\n%s", code, out, errOut)
	}
	st := waitState(t, b.Store, "acme", row.TraceID, engine.StateProcessed)
	if len(st.Reports) != 1 {
		t.Errorf("status after redrive: %+v", st)
	}
	srv.stop()
	checkEmpty(t, b)
	res := readResults(t, b.Store, "acme")
	if len(res) != 1 {
		t.Fatalf("%d reports stored, want 1", len(res))
	}
	for k, r := range res {
		if r.objects != 1 || r.messages != 7 {
			t.Errorf("report %s: %d objects, %d messages; want 1, 7", k, r.objects, r.messages)
		}
	}
}

// repairPayload overwrites the poison's payload with the base64 of a
// valid report padded to the poison's size.
func repairPayload(t *testing.T, b *awsio.Backend, key, trace string) {
	t.Helper()
	ctx := context.Background()
	old, err := b.Store.Get(ctx, key)
	if err != nil {
		t.Fatalf("reading the poison's payload: %v", err)
	}
	size := base64.StdEncoding.DecodedLen(len(old)) - strings.Count(string(old), "=")
	tmpl, id := templateReport(t)
	report := strings.Replace(tmpl, id, trace, 1)
	if len(report) > size {
		t.Fatalf("template report of %d bytes does not fit the poison's %d", len(report), size)
	}
	// Trailing white space after the root element is allowed (XML 1.0 Misc).
	report += strings.Repeat("\n", size-len(report))
	body := base64.StdEncoding.EncodeToString([]byte(report))
	if len(body) != len(old) {
		t.Fatalf("repaired payload has %d bytes, the pointer says %d", len(body), len(old))
	}
	if err := b.Store.Put(ctx, key, []byte(body)); err != nil {
		t.Fatal(err)
	}
}

func TestE2EDLQRedriveKilledLocal(t *testing.T) { testRedriveKilled(t, localSystem(t)) }

func TestE2EDLQRedriveKilledAWS(t *testing.T) { testRedriveKilled(t, awsSystem(t)) }

// testRedriveKilled kills `dlq redrive` with SIGKILL after it has moved
// a hundred of 300 messages: afterwards every message is in the queue or
// the DLQ, at most one (the one between send and delete) in both.
func testRedriveKilled(t *testing.T, s *system) {
	b := s.backend(t)
	ctx := context.Background()
	tmpl, id := templateReport(t)
	const total = 300
	for i := range total {
		trace := fmt.Sprintf("k-%03d", i)
		body := base64.StdEncoding.EncodeToString([]byte(strings.Replace(tmpl, id, trace, 1)))
		if _, err := b.DLQ.Send(ctx, body, testAttrs(trace)); err != nil {
			t.Fatal(err)
		}
	}

	p := startProc(t, s, "dlq", "redrive")
	deadline := time.Now().Add(time.Minute)
	for !strings.Contains(strings.Join(p.log(), "\n"), "redriving: 100 moved") {
		select {
		case <-p.done:
			t.Fatalf("redrive ended before the kill: %v\n%s", p.err, p.tail())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("redrive made no progress\n%s", p.tail())
		}
		time.Sleep(time.Millisecond)
	}
	// Somewhere in the next batch: between a receive, a send and a delete.
	time.Sleep(time.Duration(rand.IntN(5000)) * time.Microsecond)
	p.kill()

	q, d := statsOf(t, b.Queue), statsOf(t, b.DLQ)
	t.Logf("after the kill: queue %+v, DLQ %+v", q, d)
	n := q.Visible + q.InFlight + d.Visible + d.InFlight
	if n != total && n != total+1 {
		t.Errorf("%d messages in queue and DLQ, want %d (or one more)", n, total)
	}
	if q.Visible < 100 || q.Visible == total {
		t.Errorf("queue holds %d: the kill was not halfway", q.Visible)
	}
	defer checkRedrivenStoredOnce(t, s, b, q.Visible)
	if s.cfg.Backend != "local" {
		return // on SQS messages held by the dead process stay hidden for minutes
	}
	seen := map[string]int{}
	for _, queue := range []awsio.Queue{b.Queue, b.DLQ} {
		for _, m := range peekAllOf(t, queue) {
			seen[m.Attributes["traceId"].Value]++
		}
	}
	both := 0
	for i := range total {
		switch c := seen[fmt.Sprintf("k-%03d", i)]; c {
		case 1:
		case 2:
			both++
		default:
			t.Errorf("k-%03d is %d times in queue and DLQ", i, c)
		}
	}
	if both > 1 {
		t.Errorf("%d messages in both, want at most 1", both)
	}
}

// checkRedrivenStoredOnce processes the queue with `parse --once` and
// checks that the redriven reports are stored once each, the one sent
// twice (if any) included.
func checkRedrivenStoredOnce(t *testing.T, s *system, b *awsio.Backend, queued int64) {
	t.Helper()
	if _, errOut, code := s.run(t, "parse", "--once", "--no-dns"); code != 0 {
		t.Fatalf("parse --once: exit %d: %s", code, errOut)
	}
	if st := statsOf(t, b.Queue); st.Visible+st.InFlight != 0 {
		t.Errorf("queue not drained: %+v", st)
	}
	res := readResults(t, b.Store, "acme")
	if int64(len(res)) != queued {
		t.Errorf("%d reports stored for %d redriven messages", len(res), queued)
	}
	for k, r := range res {
		if r.objects != 1 || r.messages != 7 {
			t.Errorf("report %s: %d objects, %d messages; want 1, 7", k, r.objects, r.messages)
		}
	}
}

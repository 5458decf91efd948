package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rptctl/rptctl/awsio"
	"github.com/rptctl/rptctl/engine"
	"github.com/rptctl/rptctl/engine/results"
)

// templateReport is a corpus report whose id the tests replace to make
// as many distinct reports as they need (2 records, 7 messages).
func templateReport(t testing.TB) (string, string) {
	t.Helper()
	const id = "7184939909066071528"
	data, err := os.ReadFile(filepath.Join(corpusRoot(t), "cases",
		"b21-aggregate-midnight-utc.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), id) {
		t.Fatalf("template report lacks its id %s", id)
	}
	return string(data), id
}

// postRaw submits one attachment and returns the HTTP status.
func postRaw(c *http.Client, url, company, trace string, body []byte) (int, error) {
	req, err := http.NewRequest("POST", url+"/v1/reports", bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("X-Company-Id", company)
	req.Header.Set("X-Customer-Id", "c1")
	req.Header.Set("X-Trace-Id", trace)
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// waitState polls the status of traceID until it is one of states.
func waitState(t testing.TB, st awsio.Store, company, trace string,
	states ...string) engine.Status {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		s, err := engine.GetStatus(context.Background(), st, company, trace)
		if err == nil {
			for _, want := range states {
				if s.State == want {
					return s
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: state %q (%v), want one of %v", trace, s.State, err, states)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestE2ECrashSafety kills the server with SIGKILL while hundreds of
// submissions are in flight, restarts it, and checks that every accepted
// report is stored exactly once and none reached the DLQ.
func TestE2ECrashSafety(t *testing.T) {
	tmpl, id := templateReport(t)
	s := localSystem(t)
	srv := startServe(t, s, "--visibility", "2s")

	const total, killAt = 300, 150
	var accepted sync.Map
	var n atomic.Int64
	var once sync.Once
	c := &http.Client{Timeout: 10 * time.Second}
	var wg sync.WaitGroup
	next := make(chan int)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				trace := fmt.Sprintf("crash-%03d", i)
				body := strings.Replace(tmpl, id, trace, 1)
				code, err := postRaw(c, srv.url, "acme", trace, []byte(body))
				if err == nil && code == http.StatusAccepted {
					accepted.Store(trace, true)
					if n.Add(1) == killAt {
						once.Do(srv.kill)
					}
				}
			}
		}()
	}
	for i := range total {
		next <- i
	}
	close(next)
	wg.Wait()
	once.Do(srv.kill)
	if n.Load() < killAt {
		t.Fatalf("only %d submissions accepted before the kill", n.Load())
	}

	b := s.backend(t)
	var traces []string
	accepted.Range(func(k, _ any) bool {
		traces = append(traces, k.(string))
		return true
	})
	pending := 0
	for _, tr := range traces {
		if st, err := engine.GetStatus(context.Background(), b.Store, "acme", tr); err != nil ||
			st.State != engine.StateProcessed {
			pending++
		}
	}
	t.Logf("%d of %d accepted submissions not yet processed at the kill", pending,
		len(traces))

	srv2 := startServe(t, s, "--visibility", "2s")
	for _, tr := range traces {
		st := waitState(t, b.Store, "acme", tr, engine.StateProcessed, engine.StateFailed)
		if st.State != engine.StateProcessed || len(st.Reports) != 1 {
			t.Errorf("%s: %+v", tr, st)
		}
	}
	srv2.stop()
	// Messages queued whose answer was lost in the kill are drained too.
	if _, errOut, code := s.run(t, "parse", "--once", "--no-dns", "--visibility", "2s"); code != 0 {
		t.Fatalf("parse --once: exit %d: %s", code, errOut)
	}

	checkEmpty(t, b)
	res := readResults(t, b.Store, "acme")
	if len(res) < len(traces) {
		t.Errorf("%d reports stored for %d accepted submissions", len(res), len(traces))
	}
	for k, r := range res {
		if r.objects != 1 || r.lines != 2 || r.messages != 7 {
			t.Errorf("report %s stored as %d objects, %d lines, %d messages; want 1, 2, 7",
				k, r.objects, r.lines, r.messages)
		}
	}
	t.Logf("%d accepted before and around the kill, %d reports stored", len(traces), len(res))
}

// checkEmpty checks that the queue and the DLQ are both empty.
func checkEmpty(t testing.TB, b *awsio.Backend) {
	t.Helper()
	for _, q := range []awsio.Queue{b.Queue, b.DLQ} {
		st, err := q.Stats(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if st.Visible+st.InFlight+st.Delayed != 0 {
			t.Errorf("queue %s not empty: %+v", q.Name(), st)
		}
	}
}

// poisonFile writes a valid gzip stream around garbage.
func poisonFile(t testing.TB) string {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	garbage := make([]byte, 4096)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range garbage {
		garbage[i] = byte(r.UintN(256))
	}
	zw.Write(garbage)
	zw.Close()
	path := filepath.Join(t.TempDir(), "poison.xml.gz")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestE2EFailuresLocal: a poison attachment goes to the DLQ at once with
// its error; a message whose results cannot be stored goes there after
// maxReceiveCount tries; the other reports are processed.
func TestE2EFailuresLocal(t *testing.T) {
	root := corpusRoot(t)
	s := localSystem(t)
	// A file where the results folder of company "ro" should be makes
	// every result put of that company fail, whoever runs the test.
	results := filepath.Join(s.cfg.DataDir, s.cfg.Bucket, "results")
	if err := os.MkdirAll(results, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(results, "company=ro"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	srv := startServe(t, s, "--visibility", "1s", "--max-receive", "5")
	b := s.backend(t)

	good := []string{filepath.Join(root, "cases", "b21-aggregate-midnight-utc.xml"),
		filepath.Join(root, "real", "mox", "google.eml")}
	ro := submitFiles(t, s, srv.url, "ro", good[:1])[good[0]]
	poison := poisonFile(t)
	rows := submitFiles(t, s, srv.url, "acme", append(good, poison), "--wait")
	for _, g := range good {
		if rows[g].State != "processed" {
			t.Errorf("%s: %+v", g, rows[g])
		}
	}
	checkPoison(t, b, rows[poison])

	st := waitState(t, b.Store, "ro", ro.TraceID, engine.StateFailed)
	deadline := time.Now().Add(time.Minute)
	for !inDLQ(t, b, ro.TraceID) {
		if time.Now().After(deadline) {
			t.Fatalf("the unstorable message never reached the DLQ; status %+v", st)
		}
		time.Sleep(100 * time.Millisecond)
	}
	f, err := engine.GetFailure(context.Background(), b.Store, ro.TraceID)
	if err != nil || f.Permanent || f.ReceiveCount != 5 || !strings.Contains(f.Error, "storing") {
		t.Errorf("failure record %+v, %v; want 5 receives, not permanent, a storing error",
			f, err)
	}
	srv.stop()
	if st, _ := b.Queue.Stats(context.Background()); st.Visible+st.InFlight != 0 {
		t.Errorf("queue not empty: %+v", st)
	}
}

func checkPoison(t testing.TB, b *awsio.Backend, row submitRow) {
	t.Helper()
	if row.State != "failed" {
		t.Fatalf("poison: %+v, want failed", row)
	}
	f, err := engine.GetFailure(context.Background(), b.Store, row.TraceID)
	if err != nil || !f.Permanent || f.ReceiveCount != 1 || f.Error == "" {
		t.Errorf("poison failure record %+v, %v", f, err)
	}
	if !inDLQ(t, b, row.TraceID) {
		t.Errorf("poison not in the DLQ")
	}
}

func TestE2EPointerInteropLocal(t *testing.T) { testPointerInterop(t, localSystem(t)) }

func TestE2EPointerInteropAWS(t *testing.T) { testPointerInterop(t, awsSystem(t)) }

// testPointerInterop sends messages as other extended clients write
// them (the legacy class name and size attribute, spaced JSON) plus a
// poison message, and runs `parse --once` over them.
func testPointerInterop(t *testing.T, s *system) {
	tmpl, id := templateReport(t)
	b := s.backend(t)
	ctx := context.Background()
	send := func(trace string, raw []byte) {
		key := results.PayloadKey("acme", "c1", trace)
		body := base64.StdEncoding.EncodeToString(raw)
		if err := b.Store.Put(ctx, key, []byte(body)); err != nil {
			t.Fatal(err)
		}
		ptr := fmt.Sprintf(`[ "com.amazon.sqs.javamessaging.MessageS3Pointer", `+
			`{ "s3BucketName" : %q, "s3Key" : %q } ]`, b.Bucket, key)
		attrs := map[string]awsio.Attribute{
			engine.AttrTraceID:    {DataType: "String", Value: trace},
			engine.AttrCompanyID:  {DataType: "String", Value: "acme"},
			engine.AttrCustomerID: {DataType: "String", Value: "c1"},
			"SQSLargePayloadSize": {DataType: "Number", Value: fmt.Sprint(len(body))},
		}
		if _, err := b.Queue.Send(ctx, ptr, attrs); err != nil {
			t.Fatal(err)
		}
	}
	send("legacy-pointer", []byte(strings.Replace(tmpl, id, "legacy-pointer", 1)))
	poison, err := os.ReadFile(poisonFile(t))
	if err != nil {
		t.Fatal(err)
	}
	send("poison", poison)

	if _, errOut, code := s.run(t, "--log-format", "json", "parse", "--once", "--no-dns",
		"--visibility", "5s"); code != 0 {
		t.Fatalf("parse --once: exit %d: %s", code, errOut)
	}
	st := waitState(t, b.Store, "acme", "legacy-pointer", engine.StateProcessed)
	res := readResults(t, b.Store, "acme")
	if len(st.Reports) != 1 || res[st.Reports[0]] == nil || res[st.Reports[0]].lines != 2 {
		t.Errorf("legacy pointer: status %+v, results %v", st, res)
	}
	checkPoison(t, b, submitRow{TraceID: "poison", State: "failed"})
}

// TestE2EMaxReceiveFromQueue: with `setup --max-receive 2` and no
// --max-receive on serve, the status of a message whose results cannot be
// stored turns `failed` on its second receive, when it moves to the DLQ,
// so that `submit --wait` ends.
func TestE2EMaxReceiveFromQueue(t *testing.T) {
	root := corpusRoot(t)
	s := localSystem(t)
	if _, errOut, code := s.run(t, "setup", "--max-receive", "2"); code != 0 {
		t.Fatalf("setup: exit %d: %s", code, errOut)
	}
	results := filepath.Join(s.cfg.DataDir, s.cfg.Bucket, "results")
	if err := os.MkdirAll(results, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(results, "company=ro"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	srv := startServe(t, s, "--visibility", "1s")
	defer srv.stop()

	file := filepath.Join(root, "cases", "b21-aggregate-midnight-utc.xml")
	row := submitFiles(t, s, srv.url, "ro", []string{file}, "--wait")[file]
	if row.State != "failed" {
		t.Errorf("submit --wait: %+v, want failed", row)
	}
	b := s.backend(t)
	f, err := engine.GetFailure(context.Background(), b.Store, row.TraceID)
	if err != nil || f.ReceiveCount != 2 || f.Permanent {
		t.Errorf("failure record %+v, %v; want 2 receives, not permanent", f, err)
	}
}

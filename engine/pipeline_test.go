package engine

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/rptctl/rptctl/awsio"
	"github.com/rptctl/rptctl/engine/results"
	"github.com/rptctl/rptctl/reports"
)

// fakeParse reads a tiny test format instead of real reports, one
// directive a line: `report ID RECORDS` gives an aggregate report with
// that many records, `error TEXT` a part that failed.
func fakeParse(data []byte, opts reports.Options) ([]*reports.Report, error) {
	var out []*reports.Report
	var errs []error
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 3 && f[0] == "report":
			n, _ := strconv.Atoi(f[2]) // test input is well-formed
			out = append(out, fakeReport(f[1], n))
		case len(f) >= 2 && f[0] == "error":
			errs = append(errs, &reports.PartError{File: opts.Name,
				Err: errors.New(strings.Join(f[1:], " "))})
		}
	}
	return out, errors.Join(errs...)
}

func fakeReport(id string, records int) *reports.Report {
	begin := time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)
	r := &reports.Report{Kind: reports.KindAggregate, OrgName: "Example", ReportID: id,
		DateBegin: begin, DateEnd: begin.Add(24*time.Hour - time.Second),
		Policy: &reports.Policy{Domain: "example.com", P: "none"}, ReportKey: "key-" + id}
	for i := range records {
		dmarc := "pass"
		if i%2 == 1 {
			dmarc = "fail"
		}
		r.Records = append(r.Records, reports.Record{
			SourceIP: fmt.Sprintf("192.0.2.%d", i%250), Count: 2, DMARC: dmarc,
			Disposition: "none", HeaderFrom: "example.com"})
	}
	return r
}

// rig is an engine over fakes, with its log captured.
type rig struct {
	q     *fakeQueue
	store *memStore
	logs  *syncBuffer
	reg   *prometheus.Registry
	cfg   Config
}

func newRig(t *testing.T, maxReceive int) *rig {
	t.Helper()
	r := &rig{q: newFakeQueue(maxReceive), store: newMemStore(), logs: &syncBuffer{},
		reg: prometheus.NewRegistry()}
	r.cfg = Config{
		Queue: r.q, DLQ: r.q.dlq, Store: r.store, Payloads: inlineCodec{}, Parse: fakeParse,
		Pipelines: 2, Parsers: 2, BatchRecords: 200, Visibility: 300 * time.Millisecond,
		Wait: 20 * time.Millisecond, MaxReceive: maxReceive, Once: true,
		Metrics: NewMetrics(r.reg),
		Logger:  slog.New(slog.NewJSONHandler(r.logs, nil)),
	}
	return r
}

func (r *rig) submit(t *testing.T, trace, body string) {
	t.Helper()
	attrs := map[string]awsio.Attribute{
		AttrTraceID: str(trace), AttrCompanyID: str("acme"), AttrCustomerID: str("c1"),
	}
	enc := base64.StdEncoding.EncodeToString([]byte(body))
	if _, err := r.q.Send(context.Background(), enc, attrs); err != nil {
		t.Fatal(err)
	}
}

func (r *rig) run(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := New(r.cfg).Run(ctx); err != nil {
		t.Fatal(err)
	}
	if ctx.Err() != nil {
		t.Fatal("engine did not stop by itself with Once")
	}
}

func (r *rig) status(t *testing.T, trace string) Status {
	t.Helper()
	st, err := GetStatus(context.Background(), r.store, "acme", trace)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// batchLines returns the `report batch` log lines.
func (r *rig) batchLines(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(r.logs.String(), "\n") {
		if !strings.Contains(line, `"msg":"report batch"`) {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestEngineStoresBatches(t *testing.T) {
	tests := []struct {
		name        string
		body        string
		wantObjects []string // under the customer's kind=aggregate date folder
		wantRecords int
		wantBatches int
		wantErr     bool
	}{
		{"one batch", "report a 3", []string{"key-a.ndjson.gz"}, 3, 1, false},
		{"exactly full", "report b 200", []string{"key-b.ndjson.gz"}, 200, 1, false},
		{"three batches", "report c 401", []string{"key-c-0002.ndjson.gz",
			"key-c-0003.ndjson.gz", "key-c.ndjson.gz"}, 401, 3, false},
		{"zero records", "report d 0", []string{"key-d.ndjson.gz"}, 0, 1, false},
		{"two reports", "report e 1\nreport f 250", []string{"key-e.ndjson.gz",
			"key-f-0002.ndjson.gz", "key-f.ndjson.gz"}, 251, 3, false},
		{"partial", "report g 2\nerror bad zip entry", []string{"key-g.ndjson.gz"},
			2, 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, 5)
			r.submit(t, "t1", tt.body)
			r.run(t)

			prefix := "results/company=acme/customer=c1/kind=aggregate/date=2024-01-02/"
			got := r.store.keys(prefix)
			if strings.Join(got, ",") != prefix+strings.Join(tt.wantObjects, ","+prefix) {
				t.Errorf("objects = %v, want %v", got, tt.wantObjects)
			}
			records := 0
			for _, k := range got {
				lines, err := results.Decode(r.store.objs[k])
				if err != nil {
					t.Fatal(err)
				}
				for i := range lines {
					if lines[i].IsRecord() {
						records++
					}
				}
			}
			if records != tt.wantRecords {
				t.Errorf("stored %d records, want %d", records, tt.wantRecords)
			}
			if n := len(r.batchLines(t)); n != tt.wantBatches {
				t.Errorf("%d report batch lines, want %d", n, tt.wantBatches)
			}
			if left := r.q.snapshot(); len(left) != 0 {
				t.Errorf("queue still holds %d messages", len(left))
			}
			st := r.status(t, "t1")
			if st.State != StateProcessed || (st.Error != "") != tt.wantErr {
				t.Errorf("status = %+v", st)
			}
		})
	}
}

func TestEngineBatchLogLine(t *testing.T) {
	r := newRig(t, 5)
	r.cfg.BatchRecords = 2
	r.submit(t, "t1", "report a 3")
	r.run(t)

	lines := r.batchLines(t)
	if len(lines) != 2 {
		t.Fatalf("%d batch lines, want 2", len(lines))
	}
	want := []string{"traceId", "companyId", "customerId", "reportKey", "kind", "orgName",
		"reportId", "policyDomain", "batch", "batches", "records", "messages", "dmarcPass",
		"dmarcFail", "rows"}
	for _, l := range lines {
		for _, k := range want {
			if _, ok := l[k]; !ok {
				t.Errorf("log line lacks %s: %v", k, l)
			}
		}
		// time, level and msg are the handler's; the rest is the contract.
		if len(l) != len(want)+3 {
			t.Errorf("log line has %d fields, want %d: %v", len(l), len(want)+3, l)
		}
	}
	first := lines[0]
	if lines[0]["batch"].(float64) != 1 {
		first = lines[1]
	}
	if first["records"].(float64) != 2 || first["messages"].(float64) != 4 ||
		first["dmarcPass"].(float64) != 2 || first["dmarcFail"].(float64) != 2 ||
		first["batches"].(float64) != 2 {
		t.Errorf("first batch line counts wrong: %v", first)
	}
	rows := first["rows"].([]any)
	row := rows[0].(map[string]any)
	for _, k := range []string{"sourceIp", "hostname", "service", "count", "dmarc",
		"disposition", "headerFrom"} {
		if _, ok := row[k]; !ok {
			t.Errorf("row lacks %s: %v", k, row)
		}
	}
}

// A batch that cannot be stored keeps the message: it is not deleted, its
// error is recorded, it comes back and after maxReceive receives lands in
// the DLQ. Other messages go through.
func TestEngineFailedBatchGoesToDLQ(t *testing.T) {
	r := newRig(t, 3)
	r.cfg.Visibility = 50 * time.Millisecond
	r.store.fail = func(key string) error {
		if strings.Contains(key, "key-bad-0002") {
			return errBoom
		}
		return nil
	}
	r.cfg.BatchRecords = 10
	r.submit(t, "bad", "report bad 25")
	r.submit(t, "good", "report good 25")
	r.run(t)

	if left := r.q.snapshot(); len(left) != 0 {
		t.Fatalf("queue still holds %v", left)
	}
	dlq := r.q.dlq.snapshot()
	if len(dlq) != 1 || dlq[0].Attributes[AttrTraceID].Value != "bad" {
		t.Fatalf("DLQ = %+v, want the bad message", dlq)
	}
	f, err := GetFailure(context.Background(), r.store, "bad")
	if err != nil {
		t.Fatal(err)
	}
	if f.ReceiveCount != 3 || f.Permanent || !strings.Contains(f.Error, "boom") ||
		f.CompanyID != "acme" || f.MessageID == "" {
		t.Errorf("failure record = %+v", f)
	}
	if st := r.status(t, "bad"); st.State != StateFailed {
		t.Errorf("bad status = %+v", st)
	}
	if st := r.status(t, "good"); st.State != StateProcessed || len(st.Reports) != 1 {
		t.Errorf("good status = %+v", st)
	}
	m := r.cfg.Metrics
	if got := counterValue(t, m.Messages.WithLabelValues(evDeleted)); got != 1 {
		t.Errorf("deleted = %v, want 1", got)
	}
	if got := counterValue(t, m.Messages.WithLabelValues(evFailed)); got != 3 {
		t.Errorf("failed = %v, want 3", got)
	}
}

// Bytes that can never parse go to the DLQ at once.
func TestEnginePermanentFailure(t *testing.T) {
	for _, body := range []string{"error not a report", "nothing here"} {
		r := newRig(t, 5)
		r.submit(t, "poison", body)
		r.submit(t, "fine", "report a 1")
		r.run(t)

		dlq := r.q.dlq.snapshot()
		if len(dlq) != 1 || dlq[0].Attributes[AttrTraceID].Value != "poison" {
			t.Fatalf("%q: DLQ = %+v, want the poison message", body, dlq)
		}
		received := r.cfg.Metrics.Messages.WithLabelValues(evReceived)
		if got := counterValue(t, received); got != 2 {
			t.Errorf("%q: %v receives, want 2 (poison moved at its first)", body, got)
		}
		f, err := GetFailure(context.Background(), r.store, "poison")
		if err != nil || !f.Permanent || f.Error == "" {
			t.Errorf("%q: failure record = %+v, %v", body, f, err)
		}
		if st := r.status(t, "poison"); st.State != StateFailed {
			t.Errorf("%q: status = %+v", body, st)
		}
		if st := r.status(t, "fine"); st.State != StateProcessed {
			t.Errorf("%q: status = %+v", body, st)
		}
	}
}

// gate blocks the parser on chosen reports until released.
type gate struct {
	entered chan string
	open    chan struct{}
}

func (g *gate) parse(data []byte, opts reports.Options) ([]*reports.Report, error) {
	if strings.Contains(string(data), "slow") {
		g.entered <- string(data)
		<-g.open
	}
	return fakeParse(data, opts)
}

// The heartbeat keeps a slow message hidden: it is extended while held and
// never received twice.
func TestEngineHeartbeat(t *testing.T) {
	r := newRig(t, 5)
	g := &gate{entered: make(chan string, 1), open: make(chan struct{})}
	r.cfg.Parse = g.parse
	r.cfg.Visibility = 150 * time.Millisecond
	r.submit(t, "slow", "report slow 1")

	done := make(chan struct{})
	go func() {
		defer close(done)
		r.run(t)
	}()
	<-g.entered
	for len(r.q.visibilityChanges("m0001")) < 4 {
		time.Sleep(10 * time.Millisecond)
	}
	close(g.open)
	<-done

	if st := r.status(t, "slow"); st.State != StateProcessed {
		t.Errorf("status = %+v", st)
	}
	for _, d := range r.q.visibilityChanges("m0001") {
		if d != r.cfg.Visibility {
			t.Errorf("visibility changed to %v, want %v", d, r.cfg.Visibility)
		}
	}
	m := r.cfg.Metrics
	if got := counterValue(t, m.Messages.WithLabelValues(evReceived)); got != 1 {
		t.Errorf("received %v times, want once", got)
	}
}

// On a stop, the message being parsed is finished and the messages not
// yet started are released at once (visibility 0).
func TestEngineShutdownReleases(t *testing.T) {
	r := newRig(t, 5)
	g := &gate{entered: make(chan string, 1), open: make(chan struct{})}
	r.cfg.Parse = g.parse
	r.cfg.Pipelines, r.cfg.Parsers, r.cfg.Once = 1, 1, false
	r.cfg.Visibility = time.Hour
	r.submit(t, "slow", "report slow 1")
	for i := range 5 {
		r.submit(t, fmt.Sprintf("t%d", i), fmt.Sprintf("report r%d 1", i))
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- New(r.cfg).Run(ctx) }()
	<-g.entered
	cancel()
	close(g.open)
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	if st := r.status(t, "slow"); st.State != StateProcessed {
		t.Errorf("the message being parsed was not finished: %+v", st)
	}
	left := r.q.snapshot()
	if len(left) != 5 {
		t.Fatalf("%d messages left, want the 5 not started", len(left))
	}
	st, _ := r.q.Stats(context.Background()) // fakeQueue.Stats fails only on demand
	if st.Visible != 5 {
		t.Errorf("%d visible after stop, want 5 released", st.Visible)
	}
}

// counterValue reads one counter.
func counterValue(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

// The message is deleted only once its last batch is stored: while the
// last batch is held up, the others are stored and the message stays.
func TestEngineDeletesAfterLastBatch(t *testing.T) {
	r := newRig(t, 5)
	r.cfg.BatchRecords = 10
	last := "key-a-0003.ndjson.gz"
	reached, release := make(chan struct{}), make(chan struct{})
	r.store.block = func(_ context.Context, key string) {
		if strings.HasSuffix(key, last) {
			close(reached)
			<-release
		}
	}
	r.submit(t, "t1", "report a 25")
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.run(t)
	}()
	<-reached
	if n := len(r.store.keys("results/")); n != 2 {
		t.Errorf("%d batches stored before the last, want 2", n)
	}
	if left := r.q.snapshot(); len(left) != 1 {
		t.Errorf("message deleted before its last batch was stored")
	}
	close(release)
	<-done
	if left := r.q.snapshot(); len(left) != 0 {
		t.Errorf("message not deleted after its last batch")
	}
}

// When the drain time after a stop runs out, work in progress is dropped
// and its message handed back at once, with no failure recorded.
func TestEngineDrainTimeoutReleases(t *testing.T) {
	r := newRig(t, 5)
	r.cfg.Once, r.cfg.Drain, r.cfg.Visibility = false, 20*time.Millisecond, time.Hour
	stuck := make(chan struct{})
	r.store.block = func(ctx context.Context, key string) {
		if strings.HasPrefix(key, "results/") {
			close(stuck)
			<-ctx.Done() // until the drain time is over
		}
	}
	r.submit(t, "t1", "report a 1")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- New(r.cfg).Run(ctx) }()
	<-stuck
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	st, _ := r.q.Stats(context.Background()) // fakeQueue.Stats fails only on demand
	if st.Visible != 1 {
		t.Errorf("queue %+v, want the message visible again", st)
	}
	if _, err := GetFailure(context.Background(), r.store, "t1"); err == nil {
		t.Error("a failure was recorded for a message dropped at shutdown")
	}
}

package results

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rptctl/rptctl/awsio"
	"github.com/rptctl/rptctl/reports"
)

// countingReader records which objects a query reads.
type countingReader struct {
	Reader
	mu   sync.Mutex
	gets []string
}

func (c *countingReader) Get(ctx context.Context, key string) ([]byte, error) {
	c.mu.Lock()
	c.gets = append(c.gets, key)
	c.mu.Unlock()
	return c.Reader.Get(ctx, key)
}

// flagFixture stores ten days of a period (2024-03-01 to 03-10) and some
// history before it:
//   - Known: 50 passing messages a day, also seen before the period;
//   - Spiky: 40 a day, 500 on 03-05, also seen before the period;
//   - Bad: 100 messages on three days, 20 of each passing; new;
//   - no enrichment: 7 messages on 03-02.
func flagFixture(t *testing.T) awsio.Store {
	return fillFlagFixture(t, newStore(t))
}

func fillFlagFixture(t *testing.T, s awsio.Store) awsio.Store {
	o := Origin{TraceID: "t", CompanyID: "acme", CustomerID: "c1"}
	start := date("2024-03-01")
	for i := range 10 {
		d := start.AddDate(0, 0, i)
		spiky := int64(40)
		if i == 4 {
			spiky = 500
		}
		recs := []rec{
			{ip: "192.0.2.1", service: "Known", host: "a.known.example", count: 50,
				dmarc: "pass"},
			{ip: "192.0.2.2", service: "Spiky", host: "b.spiky.example", count: spiky,
				dmarc: "pass"},
		}
		if i < 3 {
			recs = append(recs,
				rec{ip: "198.51.100.9", service: "Bad", count: 20, dmarc: "pass",
					disposition: "none"},
				rec{ip: "198.51.100.9", service: "Bad", count: 80, dmarc: "fail",
					disposition: "reject"})
		}
		if i == 1 {
			recs = append(recs, rec{ip: "203.0.113.7", count: 7, dmarc: "fail",
				disposition: "quarantine"})
		}
		storeReport(t, s, o, aggReport(fmt.Sprint("day", i), d, recs...), 0)
	}
	hist := aggReport("old", date("2024-02-20"),
		rec{ip: "192.0.2.1", service: "Known", count: 5, dmarc: "pass"},
		rec{ip: "192.0.2.2", service: "Spiky", count: 5, dmarc: "pass"})
	storeReport(t, s, o, hist, 0)
	after := aggReport("after", date("2024-03-11"),
		rec{ip: "192.0.2.1", service: "Known", count: 999, dmarc: "pass"})
	storeReport(t, s, o, after, 0)
	return s
}

func period() Filter {
	return Filter{Company: "acme", From: date("2024-03-01"), To: date("2024-03-11")}
}

func TestSourcesByServiceFlags(t *testing.T) {
	q := NewQuerier(flagFixture(t), 4)
	rows, err := q.Sources(context.Background(), SourcesQuery{Filter: period(), By: ByService})
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		messages, pass int64
		reports        int
		flags          []string
	}
	wants := map[string]want{
		"Spiky":   {messages: 860, pass: 860, reports: 10, flags: []string{FlagSpike}},
		"Known":   {messages: 500, pass: 500, reports: 10, flags: []string{}},
		"Bad":     {messages: 300, pass: 60, reports: 3, flags: []string{FlagNew, FlagFailing}},
		NoService: {messages: 7, pass: 0, reports: 1, flags: []string{FlagNew, FlagFailing}},
	}
	if len(rows) != len(wants) {
		t.Fatalf("got %d rows, want %d: %+v", len(rows), len(wants), rows)
	}
	for _, r := range rows {
		w, ok := wants[r.Key]
		if !ok {
			t.Errorf("unexpected row %q", r.Key)
			continue
		}
		if r.Messages != w.messages || r.DMARCPass != w.pass || r.Reports != w.reports ||
			!slices.Equal(r.Flags, w.flags) {
			t.Errorf("row %s: messages %d pass %d reports %d flags %v, want %+v",
				r.Key, r.Messages, r.DMARCPass, r.Reports, r.Flags, w)
		}
		if r.DMARCPass+r.DMARCFail != r.Messages {
			t.Errorf("row %s: pass+fail %d != messages %d", r.Key,
				r.DMARCPass+r.DMARCFail, r.Messages)
		}
	}
	if rows[0].Key != "Spiky" {
		t.Errorf("rows not sorted by messages: first %q", rows[0].Key)
	}
	bad := rows[2]
	wantD := Dispositions{None: 60, Reject: 240}
	if bad.Dispositions != wantD || bad.DKIMAligned != 60 || bad.SPFAligned != 0 {
		t.Errorf("Bad: dispositions %+v dkim %d spf %d", bad.Dispositions, bad.DKIMAligned,
			bad.SPFAligned)
	}
	if !bad.FirstSeen.Equal(date("2024-03-01")) ||
		!bad.LastSeen.Equal(date("2024-03-04").Add(-time.Second)) {
		t.Errorf("Bad: seen %s to %s", bad.FirstSeen, bad.LastSeen)
	}
}

func TestSourcesFlagThresholds(t *testing.T) {
	q := NewQuerier(flagFixture(t), 2)
	tests := []struct {
		name  string
		flags FlagOptions
		key   string
		want  []string
	}{
		{"lower fail threshold", FlagOptions{FailBelow: 0.1}, "Bad", []string{FlagNew}},
		{"spike needs more", FlagOptions{SpikeMin: 1000}, "Spiky", []string{}},
		{"spike factor high", FlagOptions{SpikeFactor: 20}, "Spiky", []string{}},
		{"spike factor low", FlagOptions{SpikeFactor: 2, SpikeMin: 10}, "Known",
			[]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := q.Sources(context.Background(),
				SourcesQuery{Filter: period(), By: ByService, Flags: tt.flags})
			if err != nil {
				t.Fatal(err)
			}
			r := findRow(t, rows, tt.key)
			if !slices.Equal(r.Flags, tt.want) {
				t.Errorf("flags %v, want %v", r.Flags, tt.want)
			}
		})
	}
}

func TestSourcesNewNeedsHistoryInLookback(t *testing.T) {
	q := NewQuerier(flagFixture(t), 2)
	// The history report is 10 days before the period: a 5-day look-back
	// does not see it, so Known becomes new.
	rows, err := q.Sources(context.Background(),
		SourcesQuery{Filter: period(), By: ByService, Lookback: 5 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if r := findRow(t, rows, "Known"); !r.HasFlag(FlagNew) {
		t.Errorf("Known flags %v, want new", r.Flags)
	}
	// Without a period start there is no history, and no new flag.
	f := period()
	f.From = time.Time{}
	rows, err = q.Sources(context.Background(), SourcesQuery{Filter: f, By: ByService})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.HasFlag(FlagNew) {
			t.Errorf("%s flagged new in an open period", r.Key)
		}
	}
}

func TestSourcesGroupings(t *testing.T) {
	q := NewQuerier(flagFixture(t), 3)
	tests := []struct {
		by       Grouping
		key      string
		messages int64
		check    func(r SourceRow) bool
	}{
		{ByHostname, "b.spiky.example", 860, func(r SourceRow) bool {
			return r.Hostname == r.Key && r.Service == "Spiky" && r.Country == "NL" &&
				r.ASN == 64500 && r.IP == ""
		}},
		{ByHostname, NoHostname, 307, func(r SourceRow) bool { return r.Hostname == "" }},
		{ByIP, "198.51.100.9", 300, func(r SourceRow) bool {
			return r.IP == r.Key && r.Service == "Bad" && r.Hostname == ""
		}},
		{ByDay, "2024-03-05", 550, func(r SourceRow) bool {
			return r.Service == "" && r.IP == "" && r.HasFlag(FlagSpike) &&
				!r.HasFlag(FlagNew)
		}},
		{ByDay, "2024-03-02", 197, func(r SourceRow) bool { return r.HasFlag(FlagFailing) }},
		{ByService, "Known", 500, func(r SourceRow) bool {
			return r.Service == "Known" && r.Hostname == "" && r.Country == ""
		}},
	}
	for _, tt := range tests {
		t.Run(string(tt.by)+"/"+tt.key, func(t *testing.T) {
			rows, err := q.Sources(context.Background(),
				SourcesQuery{Filter: period(), By: tt.by})
			if err != nil {
				t.Fatal(err)
			}
			var sum int64
			for _, r := range rows {
				sum += r.Messages
			}
			if sum != 1667 {
				t.Errorf("rows sum to %d messages, want 1667", sum)
			}
			r := findRow(t, rows, tt.key)
			if r.Messages != tt.messages || !tt.check(r) {
				t.Errorf("row %+v: want %d messages and the check to hold", r, tt.messages)
			}
		})
	}
}

func TestSourcesReadsOnlyThePeriod(t *testing.T) {
	cr := &countingReader{Reader: flagFixture(t)}
	q := NewQuerier(cr, 4)
	f := Filter{Company: "acme", From: date("2024-03-04"), To: date("2024-03-06")}
	_, err := q.Sources(context.Background(), SourcesQuery{Filter: f, By: ByIP,
		Lookback: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	// 03-03 (look-back), 03-04 and 03-05.
	if len(cr.gets) != 3 {
		t.Errorf("read %d objects, want 3: %v", len(cr.gets), cr.gets)
	}
	for _, k := range cr.gets {
		if !strings.Contains(k, "date=2024-03-0") {
			t.Errorf("read %s outside the period", k)
		}
	}
}

func TestSourcesFilters(t *testing.T) {
	s := newStore(t)
	d := date("2024-05-01")
	r1 := aggReport("r1", d,
		rec{ip: "192.0.2.1", count: 3, dmarc: "pass", headerFrom: "Example.COM"},
		rec{ip: "192.0.2.2", count: 4, dmarc: "pass", headerFrom: "other.org"})
	// One report in three batches of one record.
	r2 := aggReport("r2", d,
		rec{ip: "192.0.2.1", count: 1, dmarc: "pass"},
		rec{ip: "192.0.2.1", count: 1, dmarc: "pass"},
		rec{ip: "192.0.2.1", count: 1, dmarc: "fail"})
	storeReport(t, s, Origin{CompanyID: "acme", CustomerID: "c1"}, r1, 0)
	storeReport(t, s, Origin{CompanyID: "acme", CustomerID: "c2"}, r2, 1)
	storeReport(t, s, Origin{CompanyID: "other", CustomerID: "c1"}, r2, 0)
	storeReport(t, s, Origin{CompanyID: "other", CustomerID: "c2"}, r2, 2)
	tests := []struct {
		name     string
		f        Filter
		messages int64
		reports  int
	}{
		{"company", Filter{Company: "acme"}, 10, 2},
		{"customer", Filter{Company: "acme", Customer: "c2"}, 3, 1},
		{"domain any case", Filter{Company: "acme", Domain: "EXAMPLE.com"}, 6, 2},
		{"other domain", Filter{Company: "acme", Domain: "other.org"}, 4, 1},
		{"other company, two customers", Filter{Company: "other"}, 6, 2},
		{"other company, one customer", Filter{Company: "other", Customer: "c2"}, 3, 1},
		{"no such company", Filter{Company: "nobody"}, 0, 0},
		{"before", Filter{Company: "acme", To: d}, 0, 0},
		{"day itself", Filter{Company: "acme", From: d, To: d.AddDate(0, 0, 1)}, 10, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := NewQuerier(s, 0)
			rows, err := q.Sources(context.Background(), SourcesQuery{Filter: tt.f, By: ByDay})
			if err != nil {
				t.Fatal(err)
			}
			var messages int64
			reps := 0
			for _, r := range rows {
				messages += r.Messages
				reps += r.Reports
			}
			if messages != tt.messages || reps != tt.reports {
				t.Errorf("%d messages in %d reports, want %d in %d",
					messages, reps, tt.messages, tt.reports)
			}
		})
	}
}

func TestSourcesNeedsCompany(t *testing.T) {
	q := NewQuerier(newStore(t), 0)
	_, err := q.Sources(context.Background(), SourcesQuery{By: ByService})
	if !errors.Is(err, ErrNoCompany) {
		t.Errorf("err = %v, want ErrNoCompany", err)
	}
}

// failingReader fails every Get after the listing.
type failingReader struct{ Reader }

func (failingReader) Get(context.Context, string) ([]byte, error) {
	return nil, fmt.Errorf("get: %w", awsio.ErrUnavailable)
}

func TestScanErrors(t *testing.T) {
	s := flagFixture(t)
	bad := ResultKey("acme", "c1", reports.KindAggregate, date("2024-03-03"), "corrupt", 1)
	if err := s.Put(context.Background(), bad, []byte("not gzip")); err != nil {
		t.Fatal(err)
	}

	t.Run("corrupt object skipped", func(t *testing.T) {
		var last Progress
		rows, err := NewQuerier(s, 2).Sources(context.Background(), SourcesQuery{
			Filter: period(), By: ByDay, Progress: func(p Progress) { last = p },
		})
		if err != nil {
			t.Fatal(err)
		}
		if last.Skipped != 1 || last.LastErr == nil || last.Done != last.Total {
			t.Errorf("progress %+v, want one skipped and all done", last)
		}
		if len(rows) != 10 {
			t.Errorf("%d days, want 10", len(rows))
		}
	})
	t.Run("store unavailable", func(t *testing.T) {
		_, err := NewQuerier(failingReader{s}, 2).Sources(context.Background(),
			SourcesQuery{Filter: period(), By: ByDay})
		if !errors.Is(err, awsio.ErrUnavailable) {
			t.Errorf("err = %v, want ErrUnavailable", err)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := NewQuerier(s, 2).Sources(ctx, SourcesQuery{Filter: period(), By: ByDay})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	})
	t.Run("callback error ends the scan", func(t *testing.T) {
		stop := errors.New("stop")
		calls := 0
		err := NewQuerier(s, 4).Scan(context.Background(), period(), func(Chunk) error {
			calls++
			return stop
		})
		if !errors.Is(err, stop) || calls != 1 {
			t.Errorf("err = %v after %d calls, want stop after 1", err, calls)
		}
	})
}

func TestReportReadsAllBatches(t *testing.T) {
	s := newStore(t)
	r := aggReport("batched", date("2024-05-01"),
		rec{ip: "192.0.2.1", count: 1, dmarc: "pass"},
		rec{ip: "192.0.2.2", count: 2, dmarc: "pass"},
		rec{ip: "192.0.2.3", count: 3, dmarc: "fail"})
	o := Origin{CompanyID: "acme", CustomerID: "c1"}
	storeReport(t, s, o, r, 1)
	storeReport(t, s, o, aggReport("neighbour", date("2024-05-01"),
		rec{ip: "192.0.2.9", count: 9, dmarc: "pass"}), 0)

	q := NewQuerier(s, 0)
	objs, err := q.Objects(context.Background(), Filter{Company: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	var first Object
	for _, ob := range objs {
		if ob.ReportKey == r.ReportKey && ob.Batch == 2 {
			first = ob
		}
	}
	lines, err := q.Report(context.Background(), first)
	if err != nil {
		t.Fatal(err)
	}
	var ips []string
	for _, l := range lines {
		ips = append(ips, l.SourceIP)
	}
	if want := []string{"192.0.2.1", "192.0.2.2", "192.0.2.3"}; !slices.Equal(ips, want) {
		t.Errorf("report lines %v, want %v", ips, want)
	}
}

func findRow(t *testing.T, rows []SourceRow, key string) SourceRow {
	t.Helper()
	for _, r := range rows {
		if r.Key == key {
			return r
		}
	}
	t.Fatalf("no row %q in %d rows", key, len(rows))
	return SourceRow{}
}

func TestDecodeLinesMatchesDecode(t *testing.T) {
	r := aggReport("dec", date("2024-05-01"),
		rec{ip: "192.0.2.1", service: "A", count: 3, dmarc: "pass"},
		rec{ip: "192.0.2.2", count: 4, dmarc: "fail", headerFrom: "other.org"})
	data, err := Encode(Lines(r, Origin{CompanyID: "acme", CustomerID: "c1"}))
	if err != nil {
		t.Fatal(err)
	}
	want, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	// Twice, so the second run reuses a pooled decoder.
	for range 2 {
		got, err := decodeLines(data, false, func(*Line) bool { return true }, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) || got[1].HeaderFrom != "other.org" ||
			got[0].Source == nil || got[0].Source.Service != "A" {
			t.Errorf("decodeLines = %+v, want %+v", got, want)
		}
	}
	only, err := decodeLines(data, true, func(l *Line) bool { return l.DMARC == "fail" },
		borrowLines())
	if err != nil || len(only) != 1 || only[0].SourceIP != "192.0.2.2" ||
		only[0].HeaderFrom != "other.org" || only[0].Count != 4 ||
		only[0].DKIMResults != nil {
		t.Errorf("filtered summary decode = %+v, %v", only, err)
	}
	releaseLines(only)
	if _, err := decodeLines([]byte("not gzip"), false, func(*Line) bool { return true },
		nil); err == nil {
		t.Error("decodeLines accepted bytes that are not gzip")
	}
}

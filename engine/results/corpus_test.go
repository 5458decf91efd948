package results

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rptctl/rptctl/awsio"
	"github.com/rptctl/rptctl/reports"
)

// corpusDir is ../shared/corpus seen from the repository root.
const corpusDir = "../../../shared/corpus"

// corpusFacts are the INDEX.tsv facts of the aggregate reports, each
// distinct report once (the same report sits in several files).
type corpusFacts struct {
	files    []string            // files holding at least one good report
	messages map[string]int64    // per report identity
	day      map[string]string   // identity -> UTC day of dateBegin
	records  map[string]int      // identity -> records
	policies map[string]int      // TLS identity -> policies
	failures map[string]struct{} // failure identities
}

func readCorpusFacts(t *testing.T) corpusFacts {
	t.Helper()
	f := corpusFacts{
		messages: map[string]int64{}, day: map[string]string{}, records: map[string]int{},
		policies: map[string]int{}, failures: map[string]struct{}{},
	}
	seenFile := map[string]bool{}
	for _, sub := range []string{"real", "cases"} {
		data, err := os.ReadFile(filepath.Join(corpusDir, sub, "INDEX.tsv"))
		if err != nil {
			t.Skipf("corpus not found (%v): it lives beside the repository", err)
		}
		for i, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			c := strings.Split(line, "\t")
			if i == 0 || len(c) < 12 || c[3] != "ok" {
				continue
			}
			path := filepath.Join(corpusDir, sub, c[0])
			if !seenFile[path] {
				seenFile[path] = true
				f.files = append(f.files, path)
			}
			id := strings.Join([]string{c[2], c[4], c[5], c[8], c[6], c[7]}, "|")
			switch reports.Kind(c[2]) {
			case reports.KindAggregate:
				f.messages[id], _ = strconv.ParseInt(c[10], 10, 64)
				f.records[id], _ = strconv.Atoi(c[9])
				f.day[id] = c[6][:10]
			case reports.KindTLSRPT:
				f.policies[id], _ = strconv.Atoi(c[11])
			case reports.KindFailure:
				// Failure reports have no report id or period in the
				// index: one file is one report.
				f.failures[path] = struct{}{}
			}
		}
	}
	return f
}

// evenSource enriches records as a test can predict: IPv4 sources with an
// even last octet belong to service Even, host even-<ip>; others stay
// unenriched.
func evenSource(ip string) *reports.Source {
	i := strings.LastIndexByte(ip, '.')
	if strings.Contains(ip, ":") || i < 0 {
		return nil
	}
	n, err := strconv.Atoi(ip[i+1:])
	if err != nil || n%2 == 1 {
		return nil
	}
	return &reports.Source{Service: "Even", Hostname: "even-" + ip, Country: "ZZ"}
}

// storeCorpus parses the corpus and stores its reports as the pipeline
// would, in batches of 200 records. It returns the parsed records'
// messages per IP, each stored report counted once.
func storeCorpus(t *testing.T, s awsio.Store, f corpusFacts) map[string]int64 {
	t.Helper()
	byIP := map[string]int64{}
	stored := map[string]bool{}
	o := Origin{TraceID: "corpus", CompanyID: "corpus", CustomerID: "c1"}
	for _, path := range f.files {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		rs, err := reports.Parse(data, reports.Options{Name: filepath.Base(path)})
		if len(rs) == 0 {
			t.Fatalf("%s: no report parsed: %v", path, err)
		}
		for _, r := range rs {
			if stored[r.ReportKey] {
				continue
			}
			stored[r.ReportKey] = true
			for i := range r.Records {
				rec := &r.Records[i]
				rec.Source = evenSource(rec.SourceIP)
				byIP[rec.SourceIP] += rec.Count
			}
			storeReport(t, s, o, r, 200)
		}
	}
	return byIP
}

// TestCorpus stores the corpus once, as the pipeline would, and queries
// it.
func TestCorpus(t *testing.T) {
	facts := readCorpusFacts(t)
	s := newStore(t)
	byIP := storeCorpus(t, s, facts)
	t.Run("sources add up to the facts", func(t *testing.T) {
		testSourcesAddUp(t, s, facts, byIP)
	})
	t.Run("dataset holds every line", func(t *testing.T) {
		testDatasetHolds(t, s, facts)
	})
}

func testSourcesAddUp(t *testing.T, s awsio.Store, facts corpusFacts,
	byIP map[string]int64) {

	var total int64
	perDay := map[string]int64{}
	for id, m := range facts.messages {
		total += m
		perDay[facts.day[id]] += m
	}
	q := NewQuerier(s, 8)
	sums := map[Grouping]map[string]int64{}
	for _, by := range []Grouping{ByService, ByHostname, ByIP, ByDay} {
		rows, err := q.Sources(context.Background(),
			SourcesQuery{Filter: Filter{Company: "corpus"}, By: by})
		if err != nil {
			t.Fatal(err)
		}
		sums[by] = map[string]int64{}
		var got int64
		for _, r := range rows {
			got += r.Messages
			sums[by][r.Key] = r.Messages
		}
		if got != total {
			t.Errorf("by %s: rows sum to %d messages, corpus facts say %d", by, got, total)
		}
	}

	for d, want := range perDay {
		if got := sums[ByDay][d]; got != want {
			t.Errorf("day %s: %d messages, corpus facts say %d", d, got, want)
		}
	}
	for d := range sums[ByDay] {
		if _, ok := perDay[d]; !ok {
			t.Errorf("day %s not in the corpus facts", d)
		}
	}
	var even int64
	for ip, want := range byIP {
		if got := sums[ByIP][ip]; got != want {
			t.Errorf("ip %s: %d messages, parsed records say %d", ip, got, want)
		}
		if evenSource(ip) != nil {
			even += want
			if got := sums[ByHostname]["even-"+ip]; got != want {
				t.Errorf("hostname even-%s: %d messages, want %d", ip, got, want)
			}
		}
	}
	if sums[ByService]["Even"] != even || sums[ByService][NoService] != total-even {
		t.Errorf("services %v, want Even %d and %s %d", sums[ByService], even, NoService,
			total-even)
	}
}

func testDatasetHolds(t *testing.T, s awsio.Store, facts corpusFacts) {

	d := NewDataset(Filter{Company: "corpus"}, 0)
	err := NewQuerier(s, 4).Load(context.Background(), d, func(c Chunk) error {
		d.Add(c)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	records, policies := 0, 0
	for _, n := range facts.records {
		records += n
	}
	for _, n := range facts.policies {
		policies += n
	}
	if len(d.Aggregate) != records || len(d.TLS) != policies ||
		len(d.Failures) != len(facts.failures) {
		t.Errorf("dataset has %d records, %d TLS policies, %d failure reports; "+
			"corpus facts say %d, %d, %d", len(d.Aggregate), len(d.TLS), len(d.Failures),
			records, policies, len(facts.failures))
	}
	if !d.Done() || d.Progress.Skipped != 0 {
		t.Errorf("progress %+v", d.Progress)
	}

	// The trend of the whole company holds every message, day by day.
	var total, trendTotal int64
	for _, m := range facts.messages {
		total += m
	}
	trend := d.Trend(nil)
	for i, p := range trend {
		trendTotal += p.Messages
		if i > 0 && !p.Day.Equal(trend[i-1].Day.Add(24*time.Hour)) {
			t.Fatalf("trend skips from %s to %s", trend[i-1].Day, p.Day)
		}
	}
	if trendTotal != total {
		t.Errorf("trend sums to %d messages, corpus facts say %d", trendTotal, total)
	}
}

package enrich

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/rptctl/rptctl/reports"
)

// corpusLarge is a real aggregate report of 2,286 records (from the
// parsedmarc project's samples).
const corpusLarge = "parsedmarc/!large-example.com!1711897200!1711983600.xml"

// TestCorpusReport enriches a real report against a server that
// knows none of its addresses: every record gets a Source, and the server
// gets one question per distinct address.
func TestCorpusReport(t *testing.T) {
	path := filepath.Join("..", "..", "..", "shared", "corpus", "real", corpusLarge)
	data, err := os.ReadFile(path)
	if err != nil && os.Getenv("CI") == "true" {
		t.Fatalf("corpus missing in CI: %v", err)
	}
	if err != nil {
		t.Skipf("SKIP: corpus not here (../shared/corpus beside the repository): %v", err)
	}
	parsed, err := reports.Parse(data, reports.Options{Name: path})
	if err != nil || len(parsed) != 1 {
		t.Fatalf("Parse = %d reports, %v", len(parsed), err)
	}
	r := parsed[0]
	// The first 400 records keep the test fast under -race on small CI
	// machines; the benchmark measures the large case.
	r.Records = r.Records[:min(len(r.Records), 400)]

	ts := startServer(t, records(t))
	e := testEnricher(t, Options{DNSServers: []string{ts.addr}}, newFakeClock())
	e.Report(t.Context(), r)

	distinct := make(map[string]bool)
	for i, rec := range r.Records {
		distinct[rec.SourceIP] = true
		want := reports.Source{Service: ServiceNoPTR, ServiceType: TypeUnknown}
		if rec.Source == nil || *rec.Source != want {
			t.Fatalf("record %d (%s): Source = %+v, want %+v", i, rec.SourceIP, rec.Source, want)
		}
	}
	// Distinct questions, not queries: on a loaded machine a lost packet
	// is legitimately asked again.
	if n := ts.distinct(); n != len(distinct) {
		t.Errorf("server asked %d questions for %d distinct addresses", n, len(distinct))
	}
	t.Logf("%d records, %d distinct addresses, %d queries",
		len(r.Records), len(distinct), ts.total())
}

package results

import (
	"context"
	"crypto/sha256"
	"fmt"
	"testing"
	"time"

	"github.com/rptctl/rptctl/awsio"
	"github.com/rptctl/rptctl/reports"
)

// newStore opens a local backend in a temporary folder and returns its
// object store, the one the pipeline writes results to.
func newStore(t testing.TB) awsio.Store {
	t.Helper()
	b, err := awsio.Open(context.Background(), awsio.Config{
		Backend: "local",
		DataDir: t.TempDir(),
		Queue:   "q",
		DLQ:     "q-dlq",
		Bucket:  "rptctl",
	})
	if err != nil {
		t.Fatalf("opening local backend: %v", err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("closing local backend: %v", err)
		}
	})
	return b.Store
}

// storeReport writes r as the pipeline does: its lines, encoded, at
// ResultKey, in batches of batchRecords lines (0: one batch).
func storeReport(t testing.TB, s awsio.Store, o Origin, r *reports.Report,
	batchRecords int) {
	t.Helper()
	lines := Lines(r, o)
	if len(lines) == 0 {
		return
	}
	if batchRecords <= 0 {
		batchRecords = len(lines)
	}
	for batch, start := 1, 0; start < len(lines); batch, start = batch+1, start+batchRecords {
		end := min(start+batchRecords, len(lines))
		data, err := Encode(lines[start:end])
		if err != nil {
			t.Fatal(err)
		}
		key := ResultKey(o.CompanyID, o.CustomerID, r.Kind, r.DateBegin, r.ReportKey, batch)
		if err := s.Put(context.Background(), key, data); err != nil {
			t.Fatalf("storing %s: %v", key, err)
		}
	}
}

// rec is a compact aggregate record for tests.
type rec struct {
	ip, service, host string
	count             int64
	dmarc             string // pass or fail
	disposition       string
	headerFrom        string
}

// aggReport builds an aggregate report of one day with recs.
func aggReport(id string, begin time.Time, recs ...rec) *reports.Report {
	r := &reports.Report{
		Kind: reports.KindAggregate, OrgName: "Reporter", ReportID: id,
		DateBegin: begin, DateEnd: begin.Add(24*time.Hour - time.Second),
		Policy: &reports.Policy{Domain: "example.com", P: "reject"},
	}
	for _, x := range recs {
		rr := reports.Record{
			SourceIP: x.ip, Count: x.count, Disposition: x.disposition,
			DKIM: x.dmarc, SPF: "fail", DMARC: x.dmarc, HeaderFrom: x.headerFrom,
		}
		if rr.Disposition == "" {
			rr.Disposition = "none"
		}
		if rr.HeaderFrom == "" {
			rr.HeaderFrom = "example.com"
		}
		if x.service != "" || x.host != "" {
			rr.Source = &reports.Source{Service: x.service, Hostname: x.host,
				Country: "NL", ASN: 64500}
		}
		r.Records = append(r.Records, rr)
	}
	r.ReportKey = fmt.Sprintf("%x", sha256.Sum256([]byte(id)))[:32]
	return r
}

func date(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

package results

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/rptctl/rptctl/awsio"
	"github.com/rptctl/rptctl/reports"
)

// benchReports is the size of the benchmark account.
const benchReports = 10_000

// fillBenchStore stores n aggregate reports of 5 records each, spread
// over 30 days, 40 services and 200 IPs, as the pipeline would.
func fillBenchStore(b *testing.B, s awsio.Store, n int) {
	b.Helper()
	start := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	errs := make(chan error, 1)
	next := make(chan int)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := putBenchReport(s, start, i); err != nil {
					select {
					case errs <- err:
					default:
					}
				}
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	select {
	case err := <-errs:
		b.Fatal(err)
	default:
	}
}

func putBenchReport(s awsio.Store, start time.Time, i int) error {
	day := start.AddDate(0, 0, i%30)
	r := &reports.Report{
		Kind: reports.KindAggregate, ReportKey: fmt.Sprintf("%032x", i),
		OrgName: fmt.Sprint("reporter-", i%25), ReportID: fmt.Sprint(i),
		DateBegin: day, DateEnd: day.Add(24*time.Hour - time.Second),
		Policy: &reports.Policy{Domain: "example.com", P: "reject"},
	}
	for j := range 5 {
		ip := (i*5 + j) % 200
		r.Records = append(r.Records, reports.Record{
			SourceIP: fmt.Sprintf("192.0.2.%d", ip), Count: int64(1 + j*10),
			Disposition: "none", DKIM: "pass", SPF: "pass", DMARC: "pass",
			HeaderFrom: "example.com", EnvelopeFrom: "example.com",
			DKIMResults: []reports.DKIMResult{{Domain: "example.com", Selector: "s1",
				Result: "pass"}},
			SPFResults: []reports.SPFResult{{Domain: "example.com", Scope: "mfrom",
				Result: "pass"}},
			Source: &reports.Source{Hostname: fmt.Sprintf("mta%d.svc%d.example", ip, ip%40),
				HostnameVerified: true, BaseDomain: fmt.Sprintf("svc%d.example", ip%40),
				Service: fmt.Sprint("Service ", ip%40), ServiceType: "esp", Country: "US",
				ASN: 64496},
		})
	}
	data, err := Encode(Lines(r, Origin{TraceID: "t", CompanyID: "bench", CustomerID: "c1"}))
	if err != nil {
		return err
	}
	return s.Put(context.Background(),
		ResultKey("bench", "c1", r.Kind, r.DateBegin, r.ReportKey, 1), data)
}

// BenchmarkSources reads 10,000 stored reports (50,000 records) from a
// local store with the default workers. Sources groups them all by
// service; FirstChunk is how long until a screen gets its first results.
func BenchmarkSources(b *testing.B) {
	s := newStore(b)
	fillBenchStore(b, s, benchReports)
	q := NewQuerier(s, 0)
	f := Filter{Company: "bench"}

	b.Run("Sources", func(b *testing.B) {
		for b.Loop() {
			rows, err := q.Sources(context.Background(), SourcesQuery{Filter: f, By: ByService})
			if err != nil {
				b.Fatal(err)
			}
			if len(rows) != 40 {
				b.Fatalf("%d services, want 40", len(rows))
			}
		}
		b.ReportMetric(float64(benchReports)*float64(b.N)/b.Elapsed().Seconds(), "reports/s")
	})
	b.Run("FirstChunk", func(b *testing.B) {
		stop := errors.New("first chunk")
		for b.Loop() {
			err := q.Scan(context.Background(), f, func(Chunk) error { return stop })
			if !errors.Is(err, stop) {
				b.Fatal(err)
			}
		}
	})
}

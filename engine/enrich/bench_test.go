package enrich

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/rptctl/rptctl/reports"
)

// benchDelay is how long the benchmark's DNS server takes to answer, about
// a recursive resolver's time for a name it has not cached.
const benchDelay = 20 * time.Millisecond

// benchZone answers for every address of the benchmarking range
// 198.18.0.0/15 (RFC 2544): PTR h-198-18-x-y.bench.example, whose A record
// is the address, after benchDelay.
func benchZone(q dns.Question, _ string) zoneReply {
	r := zoneReply{rcode: dns.RcodeSuccess, delay: benchDelay}
	switch q.Qtype {
	case dns.TypePTR:
		labels := strings.Split(strings.TrimSuffix(q.Name, ".in-addr.arpa."), ".")
		host := fmt.Sprintf("h-%s-%s-%s-%s.bench.example.",
			labels[3], labels[2], labels[1], labels[0])
		r.answer = []dns.RR{&dns.PTR{Hdr: header(q), Ptr: host}}
	case dns.TypeA:
		ip, _ := strings.CutPrefix(strings.TrimSuffix(q.Name, ".bench.example."), "h-")
		a := netip.MustParseAddr(strings.ReplaceAll(ip, "-", "."))
		r.answer = []dns.RR{&dns.A{Hdr: header(q), A: a.AsSlice()}}
	default:
		r.rcode = dns.RcodeNameError
	}
	return r
}

func header(q dns.Question) dns.RR_Header {
	return dns.RR_Header{Name: q.Name, Rrtype: q.Qtype, Class: dns.ClassINET, Ttl: 3600}
}

// benchReport is an aggregate report with n distinct source addresses.
func benchReport(n int) *reports.Report {
	r := &reports.Report{Kind: reports.KindAggregate, Records: make([]reports.Record, n)}
	base := netip.MustParseAddr("198.18.0.1")
	for i := range r.Records {
		r.Records[i].SourceIP = base.String()
		base = base.Next()
	}
	return r
}

// BenchmarkReport enriches a report of 1,000 distinct addresses against a
// server that answers after 20 ms: each address costs a PTR and an A query,
// so a cold pass should take about 2,000 x 20 ms / MaxInFlight. A warm pass
// over the same addresses must make no query at all.
func BenchmarkReport(b *testing.B) {
	ts := startServer(b, benchZone)
	r := benchReport(1000)

	for _, inflight := range []int{16, 64, 256} {
		b.Run(fmt.Sprintf("cold/inflight=%d", inflight), func(b *testing.B) {
			before := ts.total()
			for b.Loop() {
				e := testEnricher(b, Options{
					DNSServers:  []string{ts.addr},
					MaxInFlight: inflight,
				}, newFakeClock())
				e.Report(b.Context(), r)
			}
			checkBench(b, r)
			b.ReportMetric(float64(ts.total()-before)/float64(b.N), "queries/op")
		})
	}

	// Without PTR records each address costs one query: 1,000 x 20 ms / 64.
	nx := startServer(b, func(dns.Question, string) zoneReply {
		return zoneReply{rcode: dns.RcodeNameError, delay: benchDelay}
	})
	b.Run("cold-noptr/inflight=64", func(b *testing.B) {
		before := nx.total()
		for b.Loop() {
			e := testEnricher(b, Options{DNSServers: []string{nx.addr}}, newFakeClock())
			e.Report(b.Context(), r)
		}
		b.ReportMetric(float64(nx.total()-before)/float64(b.N), "queries/op")
	})

	b.Run("warm", func(b *testing.B) {
		e := testEnricher(b, Options{DNSServers: []string{ts.addr}}, newFakeClock())
		e.Report(b.Context(), r)
		before := ts.total()
		for b.Loop() {
			e.Report(b.Context(), r)
		}
		checkBench(b, r)
		b.ReportMetric(float64(ts.total()-before)/float64(b.N), "queries/op")
	})
}

func checkBench(b *testing.B, r *reports.Report) {
	for _, rec := range r.Records {
		if rec.Source == nil || !rec.Source.HostnameVerified {
			b.Fatalf("%s: Source = %+v, want verified", rec.SourceIP, rec.Source)
		}
	}
}

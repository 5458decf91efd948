package enrich

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/rptctl/rptctl/reports"
)

func TestSource(t *testing.T) {
	ts := startServer(t, records(t,
		// Google, confirmed.
		"1.2.0.192.in-addr.arpa. 300 IN PTR mail-ej1-f41.google.com.",
		"mail-ej1-f41.google.com. 300 IN A 192.0.2.1",
		// Claims Google, forward name points elsewhere.
		"2.2.0.192.in-addr.arpa. 300 IN PTR mail.google.com.",
		"mail.google.com. 300 IN A 198.51.100.9",
		// A host we do not know, confirmed.
		"3.2.0.192.in-addr.arpa. 300 IN PTR smtp.example.net.",
		"smtp.example.net. 300 IN A 198.51.100.1",
		"smtp.example.net. 300 IN A 192.0.2.3",
		// Amazon EC2.
		"7.2.0.192.in-addr.arpa. 300 IN PTR ec2-192-0-2-7.compute-1.amazonaws.com.",
		"ec2-192-0-2-7.compute-1.amazonaws.com. 300 IN A 192.0.2.7",
		// Several PTRs: the second in sorted order is the confirmed one.
		"8.2.0.192.in-addr.arpa. 300 IN PTR b.example.org.",
		"8.2.0.192.in-addr.arpa. 300 IN PTR A.example.org.",
		"a.example.org. 300 IN A 198.51.100.2",
		"b.example.org. 300 IN A 192.0.2.8",
		// Several PTRs, none confirmed: the first in sorted order.
		"9.2.0.192.in-addr.arpa. 300 IN PTR z.example.org.",
		"9.2.0.192.in-addr.arpa. 300 IN PTR y.example.org.",
		// A name without PTR records (NODATA).
		"10.2.0.192.in-addr.arpa. 300 IN TXT \"no ptr here\"",
		// Microsoft 365 over IPv6.
		"1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa. 300 IN PTR "+
			"mail-db8eur05on2100.outbound.protection.outlook.com.",
		"mail-db8eur05on2100.outbound.protection.outlook.com. 300 IN AAAA 2001:db8::1",
	))
	e := testEnricher(t, Options{DNSServers: []string{ts.addr}}, newFakeClock())

	tests := []struct {
		ip   string
		want reports.Source
	}{
		{"192.0.2.1", reports.Source{Hostname: "mail-ej1-f41.google.com",
			HostnameVerified: true, BaseDomain: "google.com",
			Service: "Google", ServiceType: "Email Provider"}},
		{"192.0.2.2", reports.Source{Hostname: "mail.google.com",
			BaseDomain: "google.com", Service: "google.com", ServiceType: TypeUnknown}},
		{"192.0.2.3", reports.Source{Hostname: "smtp.example.net", HostnameVerified: true,
			BaseDomain: "example.net", Service: "example.net", ServiceType: TypeUnknown}},
		{"::ffff:192.0.2.3", reports.Source{Hostname: "smtp.example.net",
			HostnameVerified: true, BaseDomain: "example.net", Service: "example.net",
			ServiceType: TypeUnknown}},
		{"192.0.2.7", reports.Source{Hostname: "ec2-192-0-2-7.compute-1.amazonaws.com",
			HostnameVerified: true, BaseDomain: "amazonaws.com",
			Service: "Amazon EC2", ServiceType: "Cloud"}},
		{"192.0.2.8", reports.Source{Hostname: "b.example.org", HostnameVerified: true,
			BaseDomain: "example.org", Service: "example.org", ServiceType: TypeUnknown}},
		{"192.0.2.9", reports.Source{Hostname: "y.example.org",
			BaseDomain: "example.org", Service: "example.org", ServiceType: TypeUnknown}},
		{"192.0.2.10", reports.Source{Service: ServiceNoPTR, ServiceType: TypeUnknown}},
		{"192.0.2.99", reports.Source{Service: ServiceNoPTR, ServiceType: TypeUnknown}},
		{"2001:db8::1", reports.Source{
			Hostname:         "mail-db8eur05on2100.outbound.protection.outlook.com",
			HostnameVerified: true, BaseDomain: "outlook.com",
			Service: "Microsoft 365", ServiceType: "Email Provider"}},
		{" 192.0.2.1 ", reports.Source{Hostname: "mail-ej1-f41.google.com",
			HostnameVerified: true, BaseDomain: "google.com",
			Service: "Google", ServiceType: "Email Provider"}},
		{"not-an-ip", reports.Source{}},
		{"", reports.Source{}},
	}
	for _, tt := range tests {
		t.Run(tt.ip, func(t *testing.T) {
			if got := e.Source(t.Context(), tt.ip); got != tt.want {
				t.Errorf("Source(%q)\n got %+v\nwant %+v", tt.ip, got, tt.want)
			}
		})
	}
}

func TestSourceServFail(t *testing.T) {
	for _, rcode := range []int{dns.RcodeServerFailure, dns.RcodeRefused} {
		t.Run(dns.RcodeToString[rcode], func(t *testing.T) {
			ts := startServer(t, rcodeZone(rcode))
			e := testEnricher(t, Options{DNSServers: []string{ts.addr}}, newFakeClock())
			if got := e.Source(t.Context(), "192.0.2.1"); got != (reports.Source{}) {
				t.Errorf("Source = %+v, want empty: a server failure says nothing", got)
			}
			// One server: asked twice (the retry), then never again.
			if n := ts.count("PTR", "1.2.0.192.in-addr.arpa"); n != 2 {
				t.Errorf("server asked %d times, want 2", n)
			}
		})
	}
}

// TestRetryNextServer checks that a failing server is followed by the next.
func TestRetryNextServer(t *testing.T) {
	bad := startServer(t, rcodeZone(dns.RcodeServerFailure))
	good := startServer(t, records(t,
		"1.2.0.192.in-addr.arpa. 300 IN PTR mx.example.com.",
		"mx.example.com. 300 IN A 192.0.2.1",
	))
	e := testEnricher(t, Options{DNSServers: []string{bad.addr, good.addr}}, newFakeClock())
	got := e.Source(t.Context(), "192.0.2.1")
	if got.Hostname != "mx.example.com" || !got.HostnameVerified {
		t.Errorf("Source = %+v, want mx.example.com verified", got)
	}
	if bad.total() != 2 || good.total() != 2 {
		t.Errorf("bad server asked %d, good %d; want 2 each (PTR and A)",
			bad.total(), good.total())
	}
}

// TestNegativeCaching checks that NXDOMAIN is kept for the SOA minimum
// (600 s in the test zone) and a server failure only briefly.
func TestNegativeCaching(t *testing.T) {
	const name = "1.2.0.192.in-addr.arpa"
	tests := []struct {
		name   string
		zone   zone
		keep   time.Duration
		source reports.Source
	}{
		{"nxdomain", records(t), 600 * time.Second,
			reports.Source{Service: ServiceNoPTR, ServiceType: TypeUnknown}},
		{"nodata", records(t, `1.2.0.192.in-addr.arpa. 300 IN TXT "x"`), 600 * time.Second,
			reports.Source{Service: ServiceNoPTR, ServiceType: TypeUnknown}},
		{"servfail", rcodeZone(dns.RcodeServerFailure), defaultTTLs.Failure,
			reports.Source{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := startServer(t, tt.zone)
			clock := newFakeClock()
			e := testEnricher(t, Options{DNSServers: []string{ts.addr}}, clock)

			if got := e.Source(t.Context(), "192.0.2.1"); got != tt.source {
				t.Fatalf("Source = %+v, want %+v", got, tt.source)
			}
			asked := ts.count("PTR", name)

			// Within the TTL: from the cache.
			clock.advance(tt.keep - time.Second)
			if got := e.Source(t.Context(), "192.0.2.1"); got != tt.source {
				t.Fatalf("cached Source = %+v, want %+v", got, tt.source)
			}
			if n := ts.count("PTR", name); n != asked {
				t.Fatalf("asked %d times within the TTL, want %d", n, asked)
			}

			// Past it: asked again, and the server now knows the name.
			ts.setZone(records(t,
				"1.2.0.192.in-addr.arpa. 300 IN PTR mx.example.com.",
				"mx.example.com. 300 IN A 192.0.2.1",
			))
			clock.advance(2 * time.Second)
			got := e.Source(t.Context(), "192.0.2.1")
			if got.Hostname != "mx.example.com" || !got.HostnameVerified {
				t.Errorf("after the TTL Source = %+v, want mx.example.com verified", got)
			}
			if n := ts.count("PTR", name); n != asked+1 {
				t.Errorf("asked %d times after the TTL, want %d", n, asked+1)
			}
		})
	}
}

// TestPositiveTTL checks that answers expire with their TTL, bounded by
// the floor and the ceiling.
func TestPositiveTTL(t *testing.T) {
	tests := []struct {
		ttl  int
		keep time.Duration
	}{
		{120, 120 * time.Second},
		{0, defaultTTLs.Floor},
		{5, defaultTTLs.Floor},
		{30 * 86400, defaultTTLs.Ceiling},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.ttl), func(t *testing.T) {
			ts := startServer(t, records(t,
				fmt.Sprintf("1.2.0.192.in-addr.arpa. %d IN PTR mx.example.com.", tt.ttl),
				"mx.example.com. 86400 IN A 192.0.2.1",
			))
			clock := newFakeClock()
			e := testEnricher(t, Options{DNSServers: []string{ts.addr}}, clock)
			const name = "1.2.0.192.in-addr.arpa"

			for _, step := range []struct {
				advance time.Duration
				want    int
			}{
				{0, 1},
				{tt.keep - time.Second, 1},
				{time.Second, 2},
			} {
				clock.advance(step.advance)
				if got := e.Source(t.Context(), "192.0.2.1"); !got.HostnameVerified {
					t.Fatalf("Source = %+v, want verified", got)
				}
				if n := ts.count("PTR", name); n != step.want {
					t.Fatalf("at +%v asked %d times, want %d", step.advance, n, step.want)
				}
			}
		})
	}
}

// TestTruncatedRetriesOverTCP checks that a truncated UDP answer is asked
// again over TCP, and that a server truncating over TCP too is a failure.
func TestTruncatedRetriesOverTCP(t *testing.T) {
	full := records(t,
		"1.2.0.192.in-addr.arpa. 300 IN PTR mx.example.com.",
		"mx.example.com. 300 IN A 192.0.2.1",
	)
	tests := []struct {
		name             string
		truncate         map[string]bool // by proto
		verified         bool
		wantUDP, wantTCP int
	}{
		{"udp", map[string]bool{"udp": true}, true, 1, 1},
		{"udp and tcp", map[string]bool{"udp": true, "tcp": true}, false, 2, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := startServer(t, func(q dns.Question, proto string) zoneReply {
				if tt.truncate[proto] && q.Qtype == dns.TypePTR {
					return zoneReply{rcode: dns.RcodeSuccess, truncated: true}
				}
				return full(q, proto)
			})
			e := testEnricher(t, Options{DNSServers: []string{ts.addr}}, newFakeClock())

			got := e.Source(t.Context(), "192.0.2.1")
			if got.HostnameVerified != tt.verified {
				t.Errorf("Source = %+v, want verified %v", got, tt.verified)
			}
			if !tt.verified && got != (reports.Source{}) {
				t.Errorf("Source = %+v, want empty", got)
			}
			const name = "1.2.0.192.in-addr.arpa"
			u, c := ts.countProto("udp", "PTR", name), ts.countProto("tcp", "PTR", name)
			if u != tt.wantUDP || c != tt.wantTCP {
				t.Errorf("PTR asked %d times over UDP and %d over TCP, want %d and %d",
					u, c, tt.wantUDP, tt.wantTCP)
			}
		})
	}
}

// TestUnansweringServer checks that a server that never answers costs a
// timeout per try, and that the report is still enriched, with empty fields.
func TestUnansweringServer(t *testing.T) {
	t.Parallel()
	ts := startServer(t, func(dns.Question, string) zoneReply { return zoneReply{drop: true} })
	reg := prometheus.NewRegistry()
	e := testEnricher(t, Options{
		DNSServers: []string{ts.addr},
		Timeout:    50 * time.Millisecond,
		Registerer: reg,
	}, newFakeClock())

	r := &reports.Report{Records: []reports.Record{
		{SourceIP: "192.0.2.1"}, {SourceIP: "192.0.2.2"}, {SourceIP: "192.0.2.1"},
	}}
	e.Report(t.Context(), r)
	for i, rec := range r.Records {
		if rec.Source == nil || *rec.Source != (reports.Source{}) {
			t.Errorf("record %d: Source = %+v, want empty and not nil", i, rec.Source)
		}
	}
	if n := ts.total(); n != 4 {
		t.Errorf("server asked %d times, want 4 (2 addresses, 2 tries each)", n)
	}
	if got := counterValue(t, reg, "rptctl_enrich_dns_timeouts_total"); got != 4 {
		t.Errorf("timeouts counted %v, want 4 (one per query sent)", got)
	}
}

// TestCallerGivesUp checks that a caller whose context ends gets an empty
// Source at once while its query goes on for the cache, and that a caller
// whose context has ended starts no query.
func TestCallerGivesUp(t *testing.T) {
	arrived, release := make(chan struct{}), make(chan struct{})
	full := records(t,
		"1.2.0.192.in-addr.arpa. 300 IN PTR mx.example.com.",
		"mx.example.com. 300 IN A 192.0.2.1",
	)
	var once sync.Once
	ts := startServer(t, func(q dns.Question, proto string) zoneReply {
		once.Do(func() {
			close(arrived)
			<-release
		})
		return full(q, proto)
	})
	e := testEnricher(t, Options{DNSServers: []string{ts.addr}}, newFakeClock())

	ctx, cancel := context.WithCancel(t.Context())
	got := make(chan reports.Source)
	go func() { got <- e.Source(ctx, "192.0.2.1") }()
	<-arrived
	cancel()
	if s := <-got; s != (reports.Source{}) {
		t.Errorf("Source of a caller that gave up = %+v, want empty", s)
	}

	close(release)
	if s := e.Source(t.Context(), "192.0.2.1"); !s.HostnameVerified {
		t.Errorf("Source afterwards = %+v, want verified", s)
	}
	if n := ts.count("PTR", "1.2.0.192.in-addr.arpa"); n != 1 {
		t.Errorf("PTR asked %d times, want 1", n)
	}

	if s := e.Source(ctx, "192.0.2.2"); s != (reports.Source{}) {
		t.Errorf("Source with an ended context = %+v, want empty", s)
	}
	if n := ts.count("PTR", "2.2.0.192.in-addr.arpa"); n != 0 {
		t.Errorf("PTR asked %d times with an ended context, want 0", n)
	}
}

// TestConcurrentLookupsCollapse checks that many goroutines asking about
// one address make one query of each kind.
func TestConcurrentLookupsCollapse(t *testing.T) {
	ts := startServer(t, records(t,
		"1.2.0.192.in-addr.arpa. 300 IN PTR mx.example.com.",
		"mx.example.com. 300 IN A 192.0.2.1",
	))
	e := testEnricher(t, Options{DNSServers: []string{ts.addr}}, newFakeClock())

	var wg sync.WaitGroup
	for range 200 {
		wg.Go(func() {
			if got := e.Source(t.Context(), "192.0.2.1"); !got.HostnameVerified {
				t.Errorf("Source = %+v, want verified", got)
			}
		})
	}
	// And through Report, which shares the same cache and flights.
	r := &reports.Report{Records: make([]reports.Record, 500)}
	for i := range r.Records {
		r.Records[i].SourceIP = "192.0.2.1"
	}
	wg.Go(func() { e.Report(t.Context(), r) })
	wg.Wait()

	if n := ts.count("PTR", "1.2.0.192.in-addr.arpa"); n != 1 {
		t.Errorf("PTR asked %d times, want 1", n)
	}
	if n := ts.count("A", "mx.example.com"); n != 1 {
		t.Errorf("A asked %d times, want 1", n)
	}
	for i, rec := range r.Records {
		if rec.Source == nil || rec.Source.Hostname != "mx.example.com" {
			t.Fatalf("record %d: Source = %+v", i, rec.Source)
		}
	}
}

// TestReport checks that every record and the failure part get a Source,
// each distinct address looked up once.
func TestReport(t *testing.T) {
	ts := startServer(t, records(t,
		"1.2.0.192.in-addr.arpa. 300 IN PTR o1.ptr1234.sendgrid.net.",
		"o1.ptr1234.sendgrid.net. 300 IN A 192.0.2.1",
	))
	e := testEnricher(t, Options{DNSServers: []string{ts.addr}}, newFakeClock())

	sendgrid := reports.Source{Hostname: "o1.ptr1234.sendgrid.net", HostnameVerified: true,
		BaseDomain: "sendgrid.net", Service: "SendGrid", ServiceType: "ESP"}
	noPTR := reports.Source{Service: ServiceNoPTR, ServiceType: TypeUnknown}

	agg := &reports.Report{Kind: reports.KindAggregate, Records: []reports.Record{
		{SourceIP: "192.0.2.1"}, {SourceIP: "192.0.2.50"}, {SourceIP: "192.0.2.1"},
	}}
	e.Report(t.Context(), agg)
	for i, want := range []reports.Source{sendgrid, noPTR, sendgrid} {
		if got := agg.Records[i].Source; got == nil || *got != want {
			t.Errorf("record %d: Source = %+v, want %+v", i, got, want)
		}
	}
	if agg.Records[0].Source == agg.Records[2].Source {
		t.Error("records share one *Source; each must have its own")
	}
	if n := ts.total(); n != 3 {
		t.Errorf("server asked %d times, want 3 (2 PTR, 1 A)", n)
	}

	fail := &reports.Report{Kind: reports.KindFailure,
		Failure: &reports.Failure{SourceIP: "192.0.2.1"}}
	e.Report(t.Context(), fail)
	if got := fail.Failure.Source; got == nil || *got != sendgrid {
		t.Errorf("failure Source = %+v, want %+v", got, sendgrid)
	}

	// Nothing to do is fine too.
	e.Report(t.Context(), &reports.Report{Kind: reports.KindTLSRPT})
}

func TestNoDNS(t *testing.T) {
	e := testEnricher(t, Options{NoDNS: true}, newFakeClock())
	if got := e.Source(t.Context(), "192.0.2.1"); got != (reports.Source{}) {
		t.Errorf("Source with NoDNS = %+v, want empty", got)
	}
}

func TestMetrics(t *testing.T) {
	ts := startServer(t, records(t,
		"1.2.0.192.in-addr.arpa. 300 IN PTR mx.example.com.",
		"mx.example.com. 300 IN A 192.0.2.1",
	))
	reg := prometheus.NewRegistry()
	opts := Options{DNSServers: []string{ts.addr}, Registerer: reg}
	e := testEnricher(t, opts, newFakeClock())
	// A second Enricher on the same registry shares the counters.
	e2 := testEnricher(t, opts, newFakeClock())

	e.Source(t.Context(), "192.0.2.1")
	e.Source(t.Context(), "192.0.2.1")
	e2.Source(t.Context(), "192.0.2.2")

	for name, want := range map[string]float64{
		"rptctl_enrich_dns_cache_hits_total":   2,
		"rptctl_enrich_dns_cache_misses_total": 3,
		"rptctl_enrich_dns_timeouts_total":     0,
	} {
		if got := counterValue(t, reg, name); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	if got := counterValue(t, reg, "rptctl_enrich_dns_queries_total",
		"type", "PTR", "outcome", "ok"); got != 1 {
		t.Errorf("PTR ok queries = %v, want 1", got)
	}
	if got := counterValue(t, reg, "rptctl_enrich_dns_queries_total",
		"type", "PTR", "outcome", "nxdomain"); got != 1 {
		t.Errorf("PTR nxdomain queries = %v, want 1", got)
	}
}

// counterValue sums the counter name in reg over the series whose labels
// include the given name/value pairs.
func counterValue(t *testing.T, reg *prometheus.Registry, name string, labels ...string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			if hasLabels(m, labels) {
				sum += m.GetCounter().GetValue()
			}
		}
	}
	return sum
}

func hasLabels(m *dto.Metric, labels []string) bool {
	for i := 0; i+1 < len(labels); i += 2 {
		found := false
		for _, lp := range m.GetLabel() {
			if lp.GetName() == labels[i] && lp.GetValue() == labels[i+1] {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// TestDeadServerRests checks that a server that stops answering rests
// after tripAfter timeouts in a row, is probed by one question after
// restFor, and is used again once it answers.
func TestDeadServerRests(t *testing.T) {
	t.Parallel()
	drop := func(dns.Question, string) zoneReply { return zoneReply{drop: true} }
	ts := startServer(t, drop)
	clock := newFakeClock()
	reg := prometheus.NewRegistry()
	e := testEnricher(t, Options{
		DNSServers: []string{ts.addr},
		// Long enough for the answers at the end even on a loaded machine.
		Timeout:    100 * time.Millisecond,
		Registerer: reg,
	}, clock)

	// Two tries per question: the third address trips the server.
	for _, ip := range []string{"192.0.2.1", "192.0.2.2", "192.0.2.3"} {
		if got := e.Source(t.Context(), ip); got != (reports.Source{}) {
			t.Fatalf("Source(%s) = %+v, want empty", ip, got)
		}
	}
	if n := ts.total(); n != tripAfter {
		t.Fatalf("server asked %d times, want %d", n, tripAfter)
	}

	// Resting: nothing is sent.
	e.Source(t.Context(), "192.0.2.4")
	if n := ts.total(); n != tripAfter {
		t.Errorf("resting server asked %d times, want %d", n, tripAfter)
	}
	if got := counterValue(t, reg, "rptctl_enrich_dns_queries_total",
		"outcome", "skipped"); got != 1 {
		t.Errorf("skipped queries = %v, want 1", got)
	}

	// After the rest one probe, which times out: resting again.
	clock.advance(restFor)
	e.Source(t.Context(), "192.0.2.5")
	e.Source(t.Context(), "192.0.2.6")
	if n := ts.total(); n != tripAfter+1 {
		t.Errorf("server asked %d times after one probe, want %d", n, tripAfter+1)
	}

	// The server answers again: the next probe brings it back.
	ts.setZone(records(t,
		"7.2.0.192.in-addr.arpa. 300 IN PTR mx.example.com.",
		"mx.example.com. 300 IN A 192.0.2.7",
	))
	clock.advance(restFor)
	if got := e.Source(t.Context(), "192.0.2.7"); !got.HostnameVerified {
		t.Errorf("Source after recovery = %+v, want verified", got)
	}
	if got := e.Source(t.Context(), "192.0.2.8"); got.Service != ServiceNoPTR {
		t.Errorf("Source after recovery = %+v, want %s", got, ServiceNoPTR)
	}
}

// TestTimeoutBurstDoesNotRest checks that timeouts from a server that is
// still answering other questions (lost packets) do not make it rest.
func TestTimeoutBurstDoesNotRest(t *testing.T) {
	t.Parallel()
	answer := records(t, "1.2.0.192.in-addr.arpa. 300 IN PTR mx.example.com.",
		"mx.example.com. 300 IN A 192.0.2.1")
	ts := startServer(t, func(q dns.Question, proto string) zoneReply {
		if q.Name == "1.2.0.192.in-addr.arpa." || q.Name == "mx.example.com." {
			return answer(q, proto)
		}
		return zoneReply{drop: true}
	})
	clock := newFakeClock()
	const timeout = 100 * time.Millisecond // room for the answers on a loaded machine
	e := testEnricher(t, Options{DNSServers: []string{ts.addr}, Timeout: timeout}, clock)

	e.Source(t.Context(), "192.0.2.1") // answered just now
	for _, ip := range []string{"192.0.2.2", "192.0.2.3", "192.0.2.4", "192.0.2.5"} {
		e.Source(t.Context(), ip)
	}
	if n := ts.total(); n != 2+8 {
		t.Fatalf("server asked %d times, want 10: it answered within the timeout", n)
	}

	// Silent for a whole timeout: the next timeout makes it rest.
	clock.advance(timeout)
	e.Source(t.Context(), "192.0.2.6")
	e.Source(t.Context(), "192.0.2.7")
	if n := ts.total(); n != 11 {
		t.Errorf("server asked %d times, want 11: resting after one more timeout", n)
	}
}

// TestCloseStopsQueries checks that Close ends the queries in flight: their
// waiters get an empty Source, and nothing is cached.
func TestCloseStopsQueries(t *testing.T) {
	arrived, release := make(chan struct{}), make(chan struct{})
	defer close(release)
	var once sync.Once
	ts := startServer(t, func(dns.Question, string) zoneReply {
		once.Do(func() { close(arrived) })
		<-release
		return zoneReply{drop: true}
	})
	e := testEnricher(t, Options{DNSServers: []string{ts.addr}, Timeout: time.Minute},
		newFakeClock())

	got := make(chan reports.Source)
	go func() { got <- e.Source(t.Context(), "192.0.2.1") }()
	<-arrived
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if s := <-got; s != (reports.Source{}) {
		t.Errorf("Source = %+v, want empty", s)
	}
	if n := e.lookup.cache.len(); n != 0 {
		t.Errorf("cache holds %d entries after Close, want 0", n)
	}
}

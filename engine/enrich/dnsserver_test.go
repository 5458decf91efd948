package enrich

import (
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// zone answers one question for the test server: rcode and records, or
// drop to send nothing. proto is "udp" or "tcp".
type zone func(q dns.Question, proto string) (resp zoneReply)

// zoneReply is a zone's answer.
type zoneReply struct {
	rcode     int
	answer    []dns.RR
	ns        []dns.RR
	truncated bool
	drop      bool
	delay     time.Duration
}

// testServer is a real DNS server on 127.0.0.1, UDP and TCP on one port,
// that counts the questions it gets.
type testServer struct {
	addr string

	mu      sync.Mutex
	zone    zone
	queries map[string]int // "proto TYPE name"
}

// startServer starts a DNS server answering from z until the test ends.
func startServer(t testing.TB, z zone) *testServer {
	t.Helper()
	ts := &testServer{zone: z, queries: make(map[string]int)}
	pc, l := listenPair(t)
	ts.addr = pc.LocalAddr().String()

	for _, srv := range []*dns.Server{
		{PacketConn: pc, Handler: ts},
		{Listener: l, Handler: ts},
	} {
		started := make(chan struct{})
		srv.NotifyStartedFunc = func() { close(started) }
		go func() { _ = srv.ActivateAndServe() }() // ends at Shutdown
		<-started
		t.Cleanup(func() { _ = srv.Shutdown() })
	}
	return ts
}

// listenPair binds UDP and TCP on the same free port of 127.0.0.1.
func listenPair(t testing.TB) (net.PacketConn, net.Listener) {
	t.Helper()
	for range 50 {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := pc.LocalAddr().(*net.UDPAddr).Port
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err == nil {
			return pc, l
		}
		pc.Close()
	}
	t.Fatal("no free port for UDP and TCP")
	return nil, nil
}

// ServeDNS answers from the zone.
func (ts *testServer) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	q := req.Question[0]
	proto := w.RemoteAddr().Network()
	ts.mu.Lock()
	ts.queries[proto+" "+dns.TypeToString[q.Qtype]+" "+q.Name]++
	z := ts.zone
	ts.mu.Unlock()

	r := z(q, proto)
	if r.drop {
		return
	}
	time.Sleep(r.delay)
	m := new(dns.Msg)
	m.SetRcode(req, r.rcode)
	m.Answer, m.Ns, m.Truncated = r.answer, r.ns, r.truncated
	_ = w.WriteMsg(m) // the client's problem if it went away
}

// setZone replaces the zone.
func (ts *testServer) setZone(z zone) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.zone = z
}

// count is the number of questions of type qtype (e.g. "PTR") about name
// (without final dot) over either protocol.
func (ts *testServer) count(qtype, name string) int {
	return ts.countProto("udp", qtype, name) + ts.countProto("tcp", qtype, name)
}

func (ts *testServer) countProto(proto, qtype, name string) int {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.queries[proto+" "+qtype+" "+dns.Fqdn(name)]
}

// distinct is the number of different questions asked, over either
// protocol.
func (ts *testServer) distinct() int {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	seen := make(map[string]bool)
	for key := range ts.queries {
		_, question, _ := strings.Cut(key, " ")
		seen[question] = true
	}
	return len(seen)
}

// total is the number of questions of every kind.
func (ts *testServer) total() int {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	n := 0
	for _, c := range ts.queries {
		n += c
	}
	return n
}

// records is a static zone: RRs in text form. Questions with no record of
// their type get NXDOMAIN, or NODATA when the name has other records, with
// the SOA below in the authority section.
func records(t testing.TB, rrs ...string) zone {
	t.Helper()
	byKey := make(map[string][]dns.RR)
	names := make(map[string]bool)
	for _, s := range rrs {
		rr, err := dns.NewRR(s)
		if err != nil {
			t.Fatalf("bad test record %q: %v", s, err)
		}
		h := rr.Header()
		key := dns.TypeToString[h.Rrtype] + " " + strings.ToLower(h.Name)
		byKey[key] = append(byKey[key], rr)
		names[strings.ToLower(h.Name)] = true
	}
	soa := mustRR(t, "test. 3600 IN SOA ns.test. admin.test. 1 7200 900 1209600 600")
	return func(q dns.Question, _ string) zoneReply {
		name := strings.ToLower(q.Name)
		if ans, ok := byKey[dns.TypeToString[q.Qtype]+" "+name]; ok {
			return zoneReply{rcode: dns.RcodeSuccess, answer: ans}
		}
		if names[name] {
			return zoneReply{rcode: dns.RcodeSuccess, ns: []dns.RR{soa}}
		}
		return zoneReply{rcode: dns.RcodeNameError, ns: []dns.RR{soa}}
	}
}

func mustRR(t testing.TB, s string) dns.RR {
	t.Helper()
	rr, err := dns.NewRR(s)
	if err != nil {
		t.Fatalf("bad test record %q: %v", s, err)
	}
	return rr
}

// rcodeZone answers every question with rcode and nothing else.
func rcodeZone(rcode int) zone {
	return func(dns.Question, string) zoneReply { return zoneReply{rcode: rcode} }
}

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// testEnricher builds an Enricher on servers with clock, failing the test
// on error and closing it at the end.
func testEnricher(t testing.TB, opts Options, clock *fakeClock) *Enricher {
	t.Helper()
	if opts.Timeout == 0 {
		opts.Timeout = time.Second
	}
	e, err := newEnricher(opts, env{
		now:        clock.now,
		resolvConf: "/nonexistent/resolv.conf",
		ttl:        defaultTTLs,
		cacheSize:  defaultCacheSize,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := e.Close(); err != nil {
			t.Error(err)
		}
	})
	return e
}

// Package enrich tells who sent mail from a source IP: the reverse DNS name
// (RFC 1035 section 3.5 in-addr.arpa, RFC 3596 section 2.5 ip6.arpa) with
// forward confirmation, the base domain from the public suffix list, the
// sending service, and, when MaxMind-format databases are given, the country
// and the autonomous system.
//
// One [Enricher] is meant to be shared by every pipeline of a process: its
// cache of DNS answers and its limit on queries in flight go with it.
package enrich

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rptctl/rptctl/reports"
)

// Defaults of [Options].
const (
	DefaultTimeout     = 2 * time.Second
	DefaultMaxInFlight = 64
)

// maxPTRCandidates bounds the PTR names we try to confirm when an address
// has several: each costs a forward query, and real senders have one.
const maxPTRCandidates = 3

// Options configures an [Enricher]. The zero value enriches with the
// system's resolvers (/etc/resolv.conf), the embedded service map and no
// country or network data.
type Options struct {
	// DNSServers are the recursive resolvers to ask, as HOST or HOST:PORT
	// (port 53 by default), tried in order. Empty: the nameservers of
	// /etc/resolv.conf.
	DNSServers []string
	// Timeout bounds each DNS query to one server. Zero: DefaultTimeout.
	// A question is tried max(2, len(DNSServers)) times before giving up.
	Timeout time.Duration
	// NoDNS turns every lookup off: Hostname, BaseDomain and Service stay
	// empty; country and network are still filled from the databases.
	NoDNS bool
	// ServiceMap is a CSV file (domain,name,type) whose entries override
	// and extend the embedded service map.
	ServiceMap string
	// GeoIPDB is a MaxMind-format Country or City database. Empty: no
	// Country.
	GeoIPDB string
	// ASNDB is a MaxMind-format ASN database. Empty: no ASN or ASOrg.
	ASNDB string
	// MaxInFlight bounds the DNS queries on the wire at once, across every
	// caller, and the addresses one Report call enriches at once. Zero:
	// DefaultMaxInFlight.
	MaxInFlight int
	// Logger receives a debug line per DNS query with its duration. Nil:
	// nothing is logged.
	Logger *slog.Logger
	// Registerer, when non-nil, gets the enrichment's counters: DNS queries
	// by type and outcome, cache hits and misses, timeouts.
	Registerer prometheus.Registerer
}

// Enricher fills the Source of report records. It is safe for concurrent
// use by any number of goroutines, and meant to be shared.
type Enricher struct {
	workers  int
	lookup   *lookup // nil with NoDNS
	services *serviceMap
	geo      *geo
	cancel   context.CancelFunc
}

// env is what tests replace: the clock, the resolv.conf file and the
// cache's TTL policy.
type env struct {
	now        func() time.Time
	resolvConf string
	ttl        ttlPolicy
	cacheSize  int
}

// New builds an Enricher from opts. It fails only on configuration the
// operator must fix: an unreadable service map or database, a malformed
// server address, no server to ask.
func New(opts Options) (*Enricher, error) {
	return newEnricher(opts, env{
		now:        time.Now,
		resolvConf: "/etc/resolv.conf",
		ttl:        defaultTTLs,
		cacheSize:  defaultCacheSize,
	})
}

func newEnricher(opts Options, ev env) (*Enricher, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	timeout := positiveOr(opts.Timeout, DefaultTimeout)
	workers := positiveOr(opts.MaxInFlight, DefaultMaxInFlight)

	services, err := loadServices(opts.ServiceMap)
	if err != nil {
		return nil, err
	}
	m, err := newMetrics(opts.Registerer)
	if err != nil {
		return nil, err
	}
	e := &Enricher{workers: workers, services: services, cancel: func() {}}
	var servers []string
	if !opts.NoDNS {
		if servers, err = serverList(opts.DNSServers, ev.resolvConf); err != nil {
			return nil, err
		}
		base, cancel := context.WithCancel(context.Background())
		e.cancel = cancel
		e.lookup = &lookup{
			res: newResolver(resolverConfig{
				servers:     servers,
				timeout:     timeout,
				maxInFlight: workers,
				log:         log,
				metrics:     m,
				now:         ev.now,
			}),
			cache:   newCache(ev.cacheSize, ev.now),
			ttl:     ev.ttl,
			base:    base,
			metrics: m,
		}
	}
	if e.geo, err = openGeo(opts.GeoIPDB, opts.ASNDB); err != nil {
		e.cancel()
		return nil, err
	}
	log.Debug("source enrichment ready",
		"dns", !opts.NoDNS,
		"servers", servers,
		"timeout", timeout,
		"inFlight", workers,
		"serviceMap", opts.ServiceMap,
		"geoipDB", opts.GeoIPDB,
		"asnDB", opts.ASNDB)
	return e, nil
}

// positiveOr is v, or def when v is not positive.
func positiveOr[T ~int | ~int64](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// Report sets the Source of every record of r and of its failure part,
// looking each distinct address up once, several at a time. It never fails:
// what could not be found (DNS trouble, ctx ended) is left empty. It
// returns when every address is done or ctx ends.
func (e *Enricher) Report(ctx context.Context, r *reports.Report) {
	var ips []string
	for i := range r.Records {
		ips = append(ips, r.Records[i].SourceIP)
	}
	if r.Failure != nil && r.Failure.SourceIP != "" {
		ips = append(ips, r.Failure.SourceIP)
	}
	found := e.sources(ctx, ips)

	for i := range r.Records {
		s := found[r.Records[i].SourceIP]
		r.Records[i].Source = &s
	}
	if r.Failure != nil && r.Failure.SourceIP != "" {
		s := found[r.Failure.SourceIP]
		r.Failure.Source = &s
	}
}

// sources enriches the distinct addresses of ips with at most e.workers
// at a time.
func (e *Enricher) sources(ctx context.Context, ips []string) map[string]reports.Source {
	found := make(map[string]reports.Source, len(ips))
	var todo []string
	for _, ip := range ips {
		if _, seen := found[ip]; !seen {
			found[ip] = reports.Source{}
			todo = append(todo, ip)
		}
	}

	var (
		mu   sync.Mutex
		wg   sync.WaitGroup
		next = make(chan string)
	)
	for range min(e.workers, len(todo)) {
		wg.Go(func() {
			for ip := range next {
				s := e.Source(ctx, ip)
				mu.Lock()
				found[ip] = s
				mu.Unlock()
			}
		})
	}
	for _, ip := range todo {
		next <- ip
	}
	close(next)
	wg.Wait()
	return found
}

// Source returns what is known about ip, an IPv4 or IPv6 address in any
// textual form. It never fails: an address that does not parse gets an
// empty Source. See [ServiceNoPTR] and [TypeUnknown] for the Service of
// addresses that are not a known sender. A hostname that does not forward
// confirm is shown but not mapped to a service: anyone can publish a PTR
// naming google.com for their own address.
func (e *Enricher) Source(ctx context.Context, ip string) reports.Source {
	var s reports.Source
	addr, err := netip.ParseAddr(strings.TrimSpace(ip))
	if err != nil {
		return s
	}
	addr = addr.Unmap().WithZone("")

	e.geo.fill(&s, addr)
	if e.lookup != nil {
		e.fillHost(ctx, &s, addr)
	}
	return s
}

// fillHost sets the hostname, base domain and service of s.
func (e *Enricher) fillHost(ctx context.Context, s *reports.Source, addr netip.Addr) {
	rev, err := dns.ReverseAddr(addr.String())
	if err != nil {
		return
	}
	ptr := e.lookup.ask(ctx, rev, dns.TypePTR)
	switch {
	case ptr.outcome.negative():
		s.Service, s.ServiceType = ServiceNoPTR, TypeUnknown
		return
	case ptr.outcome != outcomeOK:
		return // DNS trouble: nothing is known
	}

	s.Hostname, s.HostnameVerified = e.confirm(ctx, ptr.names, addr)
	s.BaseDomain = baseDomain(s.Hostname)
	s.Service, s.ServiceType = cmp.Or(s.BaseDomain, s.Hostname), TypeUnknown
	if !s.HostnameVerified {
		return
	}
	if svc, ok := e.services.match(s.Hostname); ok {
		s.Service, s.ServiceType = svc.Name, svc.Type
	}
}

// confirm picks the hostname of ip among its PTR names (sorted): the
// first whose A or AAAA records hold ip, else the first. names holds at
// most maxPTRCandidates names, so that many PTRs cost few queries.
func (e *Enricher) confirm(ctx context.Context, names []string, ip netip.Addr) (string, bool) {
	qtype := dns.TypeAAAA
	if ip.Is4() {
		qtype = dns.TypeA
	}
	want := ip.String()
	for _, name := range names {
		if _, ok := dns.IsDomainName(name); !ok {
			continue
		}
		fwd := e.lookup.ask(ctx, dns.Fqdn(name), qtype)
		for _, a := range fwd.addrs {
			if a == want {
				return name, true
			}
		}
	}
	return names[0], false
}

// Close stops the queries still in flight and closes the databases. The
// Enricher must not be used after.
func (e *Enricher) Close() error {
	e.cancel()
	if err := e.geo.close(); err != nil {
		return fmt.Errorf("closing enrichment databases: %w", err)
	}
	return nil
}

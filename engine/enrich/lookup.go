package enrich

import (
	"context"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/miekg/dns"
	"golang.org/x/sync/singleflight"
)

// lookup answers DNS questions from the cache, asking the resolver once
// per question however many goroutines want the answer at the same time.
type lookup struct {
	res     *resolver
	cache   *cache
	ttl     ttlPolicy
	flights singleflight.Group
	// base outlives any one caller, so that a caller giving up does not
	// fail the query for the others waiting on it; Close cancels it.
	base    context.Context
	metrics *metrics
}

// ask returns the answer to name/qtype. It returns early with a timeout
// outcome when ctx ends; the query itself goes on for the other waiters
// and the cache.
func (l *lookup) ask(ctx context.Context, name string, qtype uint16) *entry {
	key := dns.TypeToString[qtype] + " " + strings.ToLower(name)
	if e, ok := l.cache.get(key); ok {
		l.metrics.cacheHit()
		return e
	}
	l.metrics.cacheMiss()
	if ctx.Err() != nil {
		// A caller that has given up starts no query.
		return &entry{key: key, outcome: outcomeTimeout}
	}

	ch := l.flights.DoChan(key, func() (any, error) {
		// A flight that ended between our get and DoChan has filled it.
		if e, ok := l.cache.get(key); ok {
			return e, nil
		}
		rep := l.res.query(l.base, name, qtype)
		e, ttl := l.entryOf(key, qtype, rep)
		if l.base.Err() == nil {
			l.cache.put(e, ttl)
		}
		return e, nil
	})
	select {
	case r := <-ch:
		return r.Val.(*entry)
	case <-ctx.Done():
		return &entry{key: key, outcome: outcomeTimeout}
	}
}

// entryOf turns a reply into a cache entry and the time to keep it.
func (l *lookup) entryOf(key string, qtype uint16, rep reply) (*entry, time.Duration) {
	e := &entry{key: key, outcome: rep.outcome}
	switch {
	case rep.outcome.temporary():
		return e, l.ttl.Failure
	case rep.outcome.negative():
		return e, l.negativeTTL(rep.msg)
	}

	ttl := l.ttl.Ceiling
	for _, rr := range rep.msg.Answer {
		if rr.Header().Rrtype != qtype {
			continue // CNAMEs on the way
		}
		ttl = min(ttl, time.Duration(rr.Header().Ttl)*time.Second)
		switch rr := rr.(type) {
		case *dns.PTR:
			if name := hostname(rr.Ptr); name != "" {
				e.names = append(e.names, name)
			}
		case *dns.A:
			e.addrs = appendAddr(e.addrs, rr.A)
		case *dns.AAAA:
			e.addrs = appendAddr(e.addrs, rr.AAAA)
		}
	}
	if len(e.names) == 0 && len(e.addrs) == 0 {
		// Only records of other types (a CNAME without its target), or a
		// PTR to the root.
		e.outcome = outcomeNoData
		return e, l.negativeTTL(rep.msg)
	}
	// Sorted, so that the choice among several names does not depend on
	// the order the server gave them in; only the first few are kept.
	slices.Sort(e.names)
	e.names = slices.Compact(e.names)
	e.names = slices.Clip(e.names[:min(len(e.names), maxPTRCandidates)])
	return e, clamp(ttl, l.ttl.Floor, l.ttl.Ceiling)
}

// negativeTTL is how long to keep NXDOMAIN or NODATA: the smaller of the
// SOA's own TTL and its MINIMUM field (RFC 2308 section 5).
func (l *lookup) negativeTTL(m *dns.Msg) time.Duration {
	for _, rr := range m.Ns {
		if soa, ok := rr.(*dns.SOA); ok {
			ttl := time.Duration(min(soa.Hdr.Ttl, soa.Minttl)) * time.Second
			return clamp(ttl, l.ttl.Floor, l.ttl.NegativeCeiling)
		}
	}
	return l.ttl.NegativeDefault
}

// hostname is a PTR target as we show it: lower case, no final dot.
func hostname(name string) string {
	return strings.ToLower(strings.TrimSuffix(name, "."))
}

// appendAddr adds ip in the canonical form of netip, IPv4 unmapped.
func appendAddr(addrs []string, ip []byte) []string {
	a, ok := netip.AddrFromSlice(ip)
	if !ok {
		return addrs
	}
	return append(addrs, a.Unmap().String())
}

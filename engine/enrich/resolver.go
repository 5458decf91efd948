package enrich

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// ednsSize is the UDP payload size we advertise: the 1232 bytes of DNS Flag
// Day 2020, which avoids IP fragmentation on common paths. Larger answers
// come back truncated and are asked again over TCP.
const ednsSize = 1232

// outcome classifies the answer to one DNS question, as cached and counted.
type outcome string

// The outcomes of a DNS question.
const (
	outcomeOK       outcome = "ok"       // NOERROR with answers
	outcomeNoData   outcome = "nodata"   // NOERROR without answers of the type
	outcomeNXDomain outcome = "nxdomain" // the name does not exist
	outcomeServFail outcome = "servfail" // SERVFAIL, REFUSED or another error code
	outcomeTimeout  outcome = "timeout"  // no server answered in time
	outcomeError    outcome = "error"    // network or protocol trouble
	outcomeSkipped  outcome = "skipped"  // not sent: every server is resting
)

// negative reports whether o says, with authority, that there is nothing.
func (o outcome) negative() bool { return o == outcomeNXDomain || o == outcomeNoData }

// temporary reports whether o says nothing about the name, only about the
// servers, so that it is worth asking again later.
func (o outcome) temporary() bool {
	return o == outcomeServFail || o == outcomeTimeout || o == outcomeError ||
		o == outcomeSkipped
}

// A server that stops answering would cost every question its timeout
// times the tries: hours for a large report. A server rests for restFor
// once tripAfter queries in a row timed out and it has answered nothing for
// a whole query timeout (so that a burst of lost packets among hundreds of
// queries in flight does not trip it). Its questions go to the next server
// or fail at once; after the rest one question probes it.
const (
	tripAfter = 5
	restFor   = 15 * time.Second
)

// server is one resolver address and its recent health.
type server struct {
	addr string

	mu         sync.Mutex
	timeouts   int // in a row
	lastAnswer time.Time
	resting    bool
	restUntil  time.Time
}

// available reports whether a question may go to s now. When s has rested
// long enough the caller is its probe, and the others keep waiting.
func (s *server) available(now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.resting {
		return true
	}
	if now.Before(s.restUntil) {
		return false
	}
	s.restUntil = now.Add(restFor)
	return true
}

// record notes the outcome of a query to s, whose timeout is quiet; it
// reports whether s has just begun to rest.
func (s *server) record(o outcome, now time.Time, quiet time.Duration) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o != outcomeTimeout {
		s.timeouts, s.lastAnswer, s.resting = 0, now, false
		return false
	}
	s.timeouts++
	if s.resting || s.timeouts < tripAfter || now.Sub(s.lastAnswer) < quiet {
		return false
	}
	s.resting, s.restUntil = true, now.Add(restFor)
	return true
}

// resolver asks recursive DNS servers questions over UDP, and over TCP when
// the UDP answer is truncated (RFC 1035 section 4.2.1, RFC 7766). It is safe
// for concurrent use; at most cap(inflight) queries are on the wire at once.
type resolver struct {
	servers  []*server // tried in order
	timeout  time.Duration
	attempts int
	inflight chan struct{}
	udp, tcp *dns.Client
	log      *slog.Logger
	metrics  *metrics
	now      func() time.Time
}

// reply is the resolver's answer to one question.
type reply struct {
	outcome outcome
	msg     *dns.Msg // nil on timeout or error
	err     error    // the last error when no server answered
}

// resolverConfig is what a resolver is built from.
type resolverConfig struct {
	servers     []string // host:port
	timeout     time.Duration
	maxInFlight int
	log         *slog.Logger
	metrics     *metrics
	now         func() time.Time
}

// newResolver builds a resolver. A question is tried max(2, servers)
// times, spread over the servers in order.
func newResolver(cfg resolverConfig) *resolver {
	servers := make([]*server, len(cfg.servers))
	for i, a := range cfg.servers {
		servers[i] = &server{addr: a}
	}
	return &resolver{
		servers:  servers,
		timeout:  cfg.timeout,
		attempts: max(2, len(servers)),
		inflight: make(chan struct{}, cfg.maxInFlight),
		udp:      &dns.Client{Net: "udp", Timeout: cfg.timeout, UDPSize: ednsSize},
		tcp:      &dns.Client{Net: "tcp", Timeout: cfg.timeout},
		log:      cfg.log,
		metrics:  cfg.metrics,
		now:      cfg.now,
	}
}

// query asks name/qtype, trying the servers in turn until one gives an
// answer that is not a server failure, and skipping servers that rest. It
// never returns an error: trouble is an outcome.
func (r *resolver) query(ctx context.Context, name string, qtype uint16) reply {
	last := reply{outcome: outcomeSkipped}
	for attempt := range r.attempts {
		s := r.servers[attempt%len(r.servers)]
		if !s.available(r.now()) {
			continue
		}
		last = r.exchange(ctx, s.addr, name, qtype)
		r.metrics.query(dns.TypeToString[qtype], last.outcome)
		if s.record(last.outcome, r.now(), r.timeout) {
			r.log.Warn("DNS server not answering, resting it",
				"server", s.addr,
				"timeouts", tripAfter,
				"rest", restFor)
		}
		if !last.outcome.temporary() || ctx.Err() != nil {
			return last
		}
	}
	if last.outcome == outcomeSkipped {
		r.metrics.query(dns.TypeToString[qtype], last.outcome)
	}
	return last
}

// exchange asks one server once, over UDP and then over TCP if the answer
// was truncated.
func (r *resolver) exchange(ctx context.Context, server, name string, qtype uint16) reply {
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	m.SetEdns0(ednsSize, false)

	select {
	case r.inflight <- struct{}{}:
	case <-ctx.Done():
		return reply{outcome: outcomeTimeout, err: ctx.Err()}
	}
	defer func() { <-r.inflight }()

	rep := r.send(ctx, r.udp, m, server)
	if rep.msg != nil && rep.msg.Truncated {
		rep = r.send(ctx, r.tcp, m, server)
	}
	if rep.msg != nil && rep.msg.Truncated {
		// Still truncated over TCP: the server is broken.
		return reply{outcome: outcomeError, err: errTruncated}
	}
	return rep
}

// errTruncated is a TCP answer with the TC bit, which RFC 7766 rules out.
var errTruncated = errors.New("answer truncated over TCP")

// send is one round trip with its debug line.
func (r *resolver) send(ctx context.Context, c *dns.Client, m *dns.Msg, srv string) reply {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()

	start := time.Now()
	in, err := roundTrip(ctx, c, m, srv)
	q := m.Question[0]
	attrs := []any{
		"name", q.Name,
		"type", dns.TypeToString[q.Qtype],
		"server", srv,
		"proto", c.Net,
		"duration", time.Since(start),
	}
	if err != nil {
		r.log.Debug("dns query", append(attrs, "error", err)...)
		return classify(nil, err)
	}
	r.log.Debug("dns query", append(attrs,
		"rcode", dns.RcodeToString[in.Rcode],
		"answers", len(in.Answer),
		"truncated", in.Truncated)...)
	return classify(in, nil)
}

// roundTrip is c.ExchangeContext that also gives up when ctx is
// cancelled: miekg/dns only takes the context's deadline.
func roundTrip(ctx context.Context, c *dns.Client, m *dns.Msg, srv string) (*dns.Msg, error) {
	conn, err := c.DialContext(ctx, srv)
	if err != nil {
		return nil, err
	}
	defer func() { _ = conn.Close() }() // the answer is read: nothing to lose
	// A deadline in the past wakes the blocked read with a timeout.
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	in, _, err := c.ExchangeWithConnContext(ctx, m, conn)
	return in, err
}

// classify turns a round trip into a reply.
func classify(in *dns.Msg, err error) reply {
	switch {
	case err != nil && isTimeout(err):
		return reply{outcome: outcomeTimeout, err: err}
	case err != nil:
		return reply{outcome: outcomeError, err: err}
	case in.Rcode == dns.RcodeNameError:
		return reply{outcome: outcomeNXDomain, msg: in}
	case in.Rcode != dns.RcodeSuccess:
		return reply{outcome: outcomeServFail, msg: in}
	case len(in.Answer) == 0:
		return reply{outcome: outcomeNoData, msg: in}
	}
	return reply{outcome: outcomeOK, msg: in}
}

// isTimeout reports whether err is a query that ran out of time.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, os.ErrDeadlineExceeded) ||
		(errors.As(err, &ne) && ne.Timeout())
}

// serverList gives the servers to ask: those configured, each with port 53
// when it has none, or else the nameservers of the resolv.conf file.
func serverList(configured []string, resolvConf string) ([]string, error) {
	if len(configured) == 0 {
		cc, err := dns.ClientConfigFromFile(resolvConf)
		if err != nil {
			return nil, fmt.Errorf("reading DNS servers (give --dns-server or --no-dns): %w",
				err)
		}
		if len(cc.Servers) == 0 {
			return nil, fmt.Errorf("no nameserver in %s (give --dns-server or --no-dns)",
				resolvConf)
		}
		configured = make([]string, len(cc.Servers))
		for i, s := range cc.Servers {
			configured[i] = net.JoinHostPort(s, cc.Port)
		}
	}

	out := make([]string, 0, len(configured))
	for _, s := range configured {
		addr, err := serverAddr(s)
		if err != nil {
			return nil, err
		}
		out = append(out, addr)
	}
	return out, nil
}

// serverAddr normalises one server: host, host:port, IPv6 literal with or
// without brackets.
func serverAddr(s string) (string, error) {
	s = strings.TrimSpace(s)
	if ip := net.ParseIP(strings.Trim(s, "[]")); ip != nil {
		return net.JoinHostPort(ip.String(), "53"), nil
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		if strings.Contains(s, ":") || s == "" {
			return "", fmt.Errorf("DNS server %q: use HOST or HOST:PORT", s)
		}
		return net.JoinHostPort(s, "53"), nil
	}
	if host == "" || port == "" {
		return "", fmt.Errorf("DNS server %q: use HOST or HOST:PORT", s)
	}
	return net.JoinHostPort(host, port), nil
}

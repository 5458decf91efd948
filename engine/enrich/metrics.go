package enrich

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the enrichment's counters. A nil *metrics counts nothing, so
// callers need not check.
type metrics struct {
	queries     *prometheus.CounterVec // by type and outcome
	cacheHits   prometheus.Counter
	cacheMisses prometheus.Counter
	timeouts    prometheus.Counter
}

// newMetrics registers the counters with reg; nil reg: no metrics. When an
// earlier Enricher registered them already, its counters are shared.
func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	if reg == nil {
		return nil, nil
	}
	m := &metrics{
		queries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rptctl_enrich_dns_queries_total",
			Help: "DNS queries sent by source enrichment, by type and outcome " +
				"(skipped: not sent, every server resting after timeouts).",
		}, []string{"type", "outcome"}),
		cacheHits: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "rptctl_enrich_dns_cache_hits_total",
			Help: "DNS questions answered from the enrichment cache.",
		}),
		cacheMisses: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "rptctl_enrich_dns_cache_misses_total",
			Help: "DNS questions not in the enrichment cache.",
		}),
		timeouts: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "rptctl_enrich_dns_timeouts_total",
			Help: "DNS queries that the server did not answer in time.",
		}),
	}
	var err error
	if m.queries, err = register(reg, m.queries); err != nil {
		return nil, err
	}
	if m.cacheHits, err = register(reg, m.cacheHits); err != nil {
		return nil, err
	}
	if m.cacheMisses, err = register(reg, m.cacheMisses); err != nil {
		return nil, err
	}
	if m.timeouts, err = register(reg, m.timeouts); err != nil {
		return nil, err
	}
	return m, nil
}

// register registers c, or returns the collector already registered
// under its name.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	err := reg.Register(c)
	var are prometheus.AlreadyRegisteredError
	switch {
	case err == nil:
		return c, nil
	case errors.As(err, &are):
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing, nil
		}
	}
	return c, fmt.Errorf("registering enrichment metrics: %w", err)
}

func (m *metrics) query(qtype string, o outcome) {
	if m == nil {
		return
	}
	m.queries.WithLabelValues(qtype, string(o)).Inc()
	if o == outcomeTimeout {
		m.timeouts.Inc()
	}
}

func (m *metrics) cacheHit() {
	if m != nil {
		m.cacheHits.Inc()
	}
}

func (m *metrics) cacheMiss() {
	if m != nil {
		m.cacheMisses.Inc()
	}
}

package engine

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the Prometheus metrics of the ingest server and the parser
// engine. They are registered on the registerer given to NewMetrics, never
// on the global one, so tests and several engines in one process do not
// collide.
type Metrics struct {
	Requests      *prometheus.CounterVec // by route and status code
	BytesAccepted prometheus.Counter     // attachment bytes queued
	TimeToQueue   prometheus.Histogram   // request start to durably queued
	Messages      *prometheus.CounterVec // by event: received, deleted, failed, dlq, released
	Reports       *prometheus.CounterVec // by kind and outcome
	Batches       *prometheus.CounterVec // by outcome: stored, failed
	BatchLatency  prometheus.Histogram   // one result object put
	Stage         *prometheus.GaugeVec   // items per pipeline stage
}

// NewMetrics creates the metrics and registers them on reg; a nil reg
// leaves them unregistered (they still count).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rptctl_http_requests_total",
			Help: "HTTP requests answered, by route and status code.",
		}, []string{"route", "code"}),
		BytesAccepted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "rptctl_ingest_bytes_total",
			Help: "Attachment bytes accepted and queued.",
		}),
		TimeToQueue: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "rptctl_ingest_queue_seconds",
			Help:    "Time from request start until the attachment is durably queued.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14),
		}),
		Messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rptctl_messages_total",
			Help: "Queue messages by event: received, deleted, failed (one per failed " +
				"try), dlq (moved at once as permanent), released (handed back on a stop).",
		}, []string{"event"}),
		Reports: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rptctl_reports_parsed_total",
			Help: "Reports parsed, by kind and outcome (ok, error).",
		}, []string{"kind", "outcome"}),
		Batches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rptctl_batches_total",
			Help: "Result batches by outcome: stored or failed.",
		}, []string{"outcome"}),
		BatchLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "rptctl_batch_store_seconds",
			Help:    "Time to encode and store one result batch.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}),
		Stage: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "rptctl_pipeline_stage_items",
			Help: "Items in each pipeline stage: held (messages received and not " +
				"finished), parse_queue, parsing, store_queue, storing.",
		}, []string{"stage"}),
	}
	if reg != nil {
		reg.MustRegister(m.Requests, m.BytesAccepted, m.TimeToQueue, m.Messages,
			m.Reports, m.Batches, m.BatchLatency, m.Stage)
	}
	return m
}

// Message events counted in Metrics.Messages.
const (
	evReceived = "received"
	evDeleted  = "deleted"
	evFailed   = "failed"
	evDLQ      = "dlq"
	evReleased = "released"
)

// Pipeline stages of Metrics.Stage.
const (
	stageHeld       = "held"
	stageParseQueue = "parse_queue"
	stageParsing    = "parsing"
	stageStoreQueue = "store_queue"
	stageStoring    = "storing"
)

package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/rptctl/rptctl/awsio"
	"github.com/rptctl/rptctl/engine/results"
	"github.com/rptctl/rptctl/reports"
)

// Defaults of the parser engine.
const (
	// DefaultVisibility is how long a received message stays hidden; the
	// heartbeat extends it while the message is worked on, so it only
	// bounds how soon a crashed worker's messages come back.
	DefaultVisibility = time.Minute
	// DefaultMaxReceive matches `rptctl setup --max-receive`.
	DefaultMaxReceive = 5
	// maxReceiveBatch is the SQS limit of one receive.
	maxReceiveBatch = 10
	// defaultWait is the SQS maximum long poll.
	defaultWait = 20 * time.Second
	// onceWait is the long poll of --once: short, since an empty receive
	// is the signal to stop.
	onceWait = time.Second
	// defaultDrain bounds how long held work may finish after a stop.
	defaultDrain = 30 * time.Second
	// releaseTimeout bounds the calls that hand messages back at the end.
	releaseTimeout = 10 * time.Second
	// receiveBackoff is the pause after a failed receive.
	receiveBackoff = time.Second
)

// Config configures the parser engine.
type Config struct {
	Queue    Queue
	DLQ      Sender // nil: permanent failures reach the DLQ by maxReceiveCount
	Store    Store
	Payloads PayloadCodec
	Enricher Enricher  // nil: no enrichment
	Parse    ParseFunc // nil: reports.Parse

	Pipelines    int           // default 1
	Parsers      int           // parser goroutines per pipeline, default 2
	BatchRecords int           // records per stored batch, default 200
	Visibility   time.Duration // default DefaultVisibility
	Wait         time.Duration // receive long poll, default 20 s (1 s with Once)
	MaxReceive   int           // the queue's maxReceiveCount, default 5
	// MaxMessageSize is the DLQ's largest message (0: no limit): a copy
	// moved there gets its history attributes only when they fit.
	MaxMessageSize int
	Drain          time.Duration // work allowed to finish after a stop, default 30 s
	Once           bool          // stop when the queue is empty and nothing is held
	// ParseMemory bounds the bytes the parsers spend at once on
	// decompressing and parsing attachments, default DefaultParseMemory.
	ParseMemory int64

	Metrics *Metrics
	Logger  *slog.Logger
}

func (c *Config) defaults() {
	c.Pipelines = max(c.Pipelines, 1)
	if c.Parsers <= 0 {
		c.Parsers = 2
	}
	if c.BatchRecords <= 0 {
		c.BatchRecords = DefaultBatchRecords
	}
	if c.Visibility <= 0 {
		c.Visibility = DefaultVisibility
	}
	if c.Wait <= 0 {
		c.Wait = defaultWait
		if c.Once {
			c.Wait = onceWait
		}
	}
	if c.MaxReceive <= 0 {
		c.MaxReceive = DefaultMaxReceive
	}
	if c.ParseMemory <= 0 {
		c.ParseMemory = DefaultParseMemory
	}
	if c.Drain <= 0 {
		c.Drain = defaultDrain
	}
	if c.Parse == nil {
		c.Parse = reports.Parse
	}
	if c.Metrics == nil {
		c.Metrics = NewMetrics(nil)
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// Engine runs the parser pipelines. Each pipeline has one receiver
// goroutine, Parsers parser goroutines and one storer goroutine, linked
// by bounded channels; one heartbeat goroutine extends the visibility of
// every message held.
type Engine struct {
	cfg Config

	mu   sync.Mutex
	held map[*job]struct{}
	gate *parseGate
}

// New returns an engine with cfg's defaults filled in.
func New(cfg Config) *Engine {
	cfg.defaults()
	return &Engine{cfg: cfg, held: make(map[*job]struct{}),
		gate: newParseGate(cfg.ParseMemory)}
}

// Run works until ctx is cancelled (or, with Once, until the queue is
// empty and nothing is held). On cancellation it stops receiving, lets
// held work finish for up to Drain, hands back what is left (visibility
// 0) and returns nil.
func (e *Engine) Run(ctx context.Context) error {
	// Work outlives the stop signal by at most Drain.
	work, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	finished := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
		case <-finished:
			return
		}
		select {
		case <-time.After(e.cfg.Drain):
			cancelWork()
		case <-finished:
		}
	}()

	hbDone := make(chan struct{})
	hbCtx, stopHB := context.WithCancel(work)
	go func() {
		defer close(hbDone)
		e.heartbeat(hbCtx)
	}()

	var wg sync.WaitGroup
	for i := range e.cfg.Pipelines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e.pipeline(ctx, work, i)
		}()
	}
	wg.Wait()
	close(finished)
	stopHB()
	<-hbDone
	e.releaseAll()
	return nil
}

// pipeline runs one receiver, the parsers and one storer until the
// receiver stops and everything it handed on is done.
func (e *Engine) pipeline(stop, work context.Context, n int) {
	parseCh := make(chan *job, e.cfg.Parsers)
	storeCh := make(chan batch, e.cfg.Parsers*2)
	log := e.cfg.Logger.With("pipeline", n)

	var parsers sync.WaitGroup
	for range e.cfg.Parsers {
		parsers.Add(1)
		go func() {
			defer parsers.Done()
			e.parser(stop, work, parseCh, storeCh, log)
		}()
	}
	storerDone := make(chan struct{})
	go func() {
		defer close(storerDone)
		e.storer(work, storeCh, log)
	}()

	e.receiver(stop, work, parseCh, log)
	close(parseCh)
	parsers.Wait()
	close(storeCh)
	<-storerDone
}

// receiver receives messages and hands them to the parsers until stop is
// cancelled (or, with Once, the queue is drained).
func (e *Engine) receiver(stop, work context.Context, parseCh chan<- *job, log *slog.Logger) {
	opts := awsio.ReceiveOptions{
		Max: maxReceiveBatch, Visibility: e.cfg.Visibility, Wait: e.cfg.Wait,
	}
	for stop.Err() == nil {
		start := time.Now()
		msgs, err := e.cfg.Queue.Receive(stop, opts)
		if err != nil {
			if stop.Err() != nil {
				return
			}
			log.Warn("receiving messages", "error", err)
			sleep(stop, receiveBackoff)
			continue
		}
		log.Debug("received", "messages", len(msgs), "duration", time.Since(start))
		if len(msgs) == 0 {
			if e.cfg.Once && e.drained(stop, log) {
				return
			}
			continue
		}
		for i, m := range msgs {
			j := e.hold(m)
			e.cfg.Metrics.Stage.WithLabelValues(stageParseQueue).Inc()
			select {
			case parseCh <- j:
			case <-stop.Done():
				e.cfg.Metrics.Stage.WithLabelValues(stageParseQueue).Dec()
				e.release(work, j)
				for _, rest := range msgs[i+1:] {
					e.release(work, e.hold(rest))
				}
				return
			}
		}
	}
}

// drained reports, for Once, whether nothing is held here and the queue
// has nothing visible, in flight or delayed.
func (e *Engine) drained(ctx context.Context, log *slog.Logger) bool {
	if e.heldCount() > 0 {
		return false
	}
	st, err := e.cfg.Queue.Stats(ctx)
	if err != nil {
		log.Warn("reading queue depth", "error", err)
		return false
	}
	return st.Visible+st.InFlight+st.Delayed == 0
}

// parser parses the jobs of parseCh and hands their batches to storeCh.
// A job taken after the stop is released unparsed.
func (e *Engine) parser(stop, work context.Context, parseCh <-chan *job,
	storeCh chan<- batch, log *slog.Logger) {
	for j := range parseCh {
		e.cfg.Metrics.Stage.WithLabelValues(stageParseQueue).Dec()
		if stop.Err() != nil {
			e.release(work, j)
			continue
		}
		e.cfg.Metrics.Stage.WithLabelValues(stageParsing).Inc()
		batches, err := e.parse(work, j)
		e.cfg.Metrics.Stage.WithLabelValues(stageParsing).Dec()
		if err != nil {
			var pf *permanentError
			e.fail(work, j, err, errors.As(err, &pf), log)
			continue
		}
		for _, b := range batches {
			e.cfg.Metrics.Stage.WithLabelValues(stageStoreQueue).Inc()
			storeCh <- b
		}
	}
}

// permanentError marks a message that can never be processed.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// parse decodes, parses and enriches one message and returns its
// batches, having planned them on the job.
func (e *Engine) parse(ctx context.Context, j *job) ([]batch, error) {
	if err := checkOrigin(j); err != nil {
		return nil, &permanentError{err}
	}
	data, err := e.cfg.Payloads.Decode(ctx, j.msg)
	if err != nil {
		err = fmt.Errorf("decoding the payload: %w", err)
		if malformedPayload(err) {
			return nil, &permanentError{err}
		}
		return nil, err
	}
	name := j.msg.Attributes[AttrFilename].Value
	if name == "" {
		name = j.origin.TraceID
	}
	release, err := e.gate.acquire(ctx, len(data))
	if err != nil {
		return nil, fmt.Errorf("waiting for parse memory: %w", err)
	}
	reps, perr := e.cfg.Parse(data, reports.Options{Name: name})
	// The decompressed bytes are garbage now; enrichment may wait on DNS
	// and must not hold other parsers back.
	release()
	e.countParsed(reps, perr)
	if len(reps) == 0 {
		if perr == nil {
			perr = errors.New("no report found in the attachment")
		}
		return nil, &permanentError{fmt.Errorf("parsing: %w", perr)}
	}

	var batches []batch
	keys := make([]string, 0, len(reps))
	spans := make([]span, 0, len(reps))
	for _, r := range reps {
		if r.ReportKey == "" {
			r.ReportKey = reports.ReportKey(r)
		}
		if e.cfg.Enricher != nil {
			e.cfg.Enricher.Report(ctx, r)
		}
		keys = append(keys, r.ReportKey)
		bs := splitReport(j, r, e.cfg.BatchRecords)
		spans = append(spans, reportSpan(j.origin, r, len(bs)))
		batches = append(batches, bs...)
	}
	j.plan(len(batches), keys, spans, perr)
	return batches, nil
}

// countParsed counts reports by kind and outcome; the parts that failed
// count as kind "unknown", as their kind was never learnt.
func (e *Engine) countParsed(reps []*reports.Report, err error) {
	for _, r := range reps {
		e.cfg.Metrics.Reports.WithLabelValues(string(r.Kind), "ok").Inc()
	}
	if err == nil {
		return
	}
	n := 1
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		n = len(joined.Unwrap())
	}
	e.cfg.Metrics.Reports.WithLabelValues("unknown", "error").Add(float64(n))
}

// checkOrigin reads whose the message is from its attributes. A message
// without valid ones (not sent by rptctl) can never be stored.
func checkOrigin(j *job) error {
	switch {
	case !validTraceID(j.origin.TraceID):
		return fmt.Errorf("attribute traceId %q is not a valid trace id", j.origin.TraceID)
	case !validID(j.origin.CompanyID):
		return fmt.Errorf("attribute companyId %q is not a valid company id",
			j.origin.CompanyID)
	case !validID(j.origin.CustomerID):
		return fmt.Errorf("attribute customerId %q is not a valid customer id",
			j.origin.CustomerID)
	}
	return nil
}

// storer stores batches one by one; after the last batch of a message it
// settles the message.
func (e *Engine) storer(ctx context.Context, storeCh <-chan batch, log *slog.Logger) {
	for b := range storeCh {
		e.cfg.Metrics.Stage.WithLabelValues(stageStoreQueue).Dec()
		e.cfg.Metrics.Stage.WithLabelValues(stageStoring).Inc()
		err := e.storeBatch(ctx, &b, log)
		e.cfg.Metrics.Stage.WithLabelValues(stageStoring).Dec()
		if !b.job.batchDone(err) {
			continue
		}
		if err := b.job.outcome(); err != nil {
			e.fail(ctx, b.job, err, false, log)
			continue
		}
		e.complete(ctx, b.job, log)
	}
}

// storeBatch writes one batch's result object and logs its line.
func (e *Engine) storeBatch(ctx context.Context, b *batch, log *slog.Logger) error {
	start := time.Now()
	data, err := results.Encode(b.lines)
	if err == nil {
		err = e.cfg.Store.Put(ctx, b.key, data)
	}
	if err != nil {
		e.cfg.Metrics.Batches.WithLabelValues("failed").Inc()
		return fmt.Errorf("storing batch %d/%d of report %s: %w",
			b.log.batch, b.log.batches, b.log.reportKey, err)
	}
	took := time.Since(start)
	e.cfg.Metrics.Batches.WithLabelValues("stored").Inc()
	e.cfg.Metrics.BatchLatency.Observe(took.Seconds())
	log.Debug("stored batch", "key", b.key, "bytes", len(data), "duration", took)
	logBatch(e.cfg.Logger, b.job.origin, &b.log)
	return nil
}

// sleep waits for d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

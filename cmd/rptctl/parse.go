package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/urfave/cli/v2"

	"github.com/rptctl/rptctl/awsio"
	"github.com/rptctl/rptctl/engine"
	"github.com/rptctl/rptctl/engine/enrich"
)

// parseOptions are the flags of `rptctl parse`, which `serve` shares.
type parseOptions struct {
	Pipelines     int
	Parsers       int
	BatchRecords  int
	Visibility    time.Duration
	MaxReceive    int
	MemoryLimit   int64
	Once          bool
	MetricsListen string
	Pprof         bool
	Enrich        enrich.Options
}

// engineFlags are the parser engine's own flags.
func engineFlags() []cli.Flag {
	return []cli.Flag{
		&cli.IntFlag{Name: "pipelines", Value: 2, EnvVars: envName("pipelines"),
			Usage: "parser pipelines run in parallel"},
		&cli.IntFlag{Name: "parsers", Value: 4, EnvVars: envName("parsers"),
			Usage: "parser goroutines per pipeline (decompress, parse, enrich)"},
		&cli.IntFlag{Name: "batch-records", Value: engine.DefaultBatchRecords,
			EnvVars: envName("batch-records"),
			Usage:   "records per stored result object and per log line"},
		&cli.DurationFlag{Name: "visibility", Value: engine.DefaultVisibility,
			EnvVars: envName("visibility"),
			Usage:   "visibility timeout of received messages (a heartbeat extends it)"},
		&cli.IntFlag{Name: "max-receive", EnvVars: envName("max-receive"),
			Usage: "receives after which a failure is final (status failed); " +
				"0: the queue's own maxReceiveCount (setup --max-receive), or " +
				strconv.Itoa(engine.DefaultMaxReceive) + " when it has no redrive policy"},
		&cli.Int64Flag{Name: "memory-limit", Value: defaultMemoryLimit,
			EnvVars: envName("memory-limit"),
			Usage: "soft memory limit of the process in bytes (Go's GOMEMLIMIT), so " +
				"that garbage of decompression is collected early; a quarter of it " +
				"bounds the attachments parsed at once; 0: no limit"},
		&cli.BoolFlag{Name: "once", EnvVars: envName("once"),
			Usage: "exit when the queue is empty and nothing is in flight " +
				"(serve: only the parser stops; the HTTP API serves until stopped)"},
	}
}

func parseCommand() *cli.Command {
	flags := append(engineFlags(),
		&cli.StringFlag{Name: "metrics-listen", EnvVars: envName("metrics-listen"),
			Usage: "serve /metrics (and /debug/pprof/ with --pprof) on ADDR"},
		&cli.BoolFlag{Name: "pprof", EnvVars: envName("pprof"),
			Usage: "serve /debug/pprof/ beside /metrics"},
	)
	return &cli.Command{
		Name:  "parse",
		Usage: "run the parser engine: receive, parse, enrich, store and log reports",
		Flags: append(flags, enrichFlags()...),
		Action: action(func(ctx context.Context, c *cli.Context, e *env) error {
			opts, err := readParseFlags(c)
			if err != nil {
				return err
			}
			return runParse(ctx, opts, e)
		}),
	}
}

func readParseFlags(c *cli.Context) (parseOptions, error) {
	o := parseOptions{
		Pipelines:     c.Int("pipelines"),
		Parsers:       c.Int("parsers"),
		BatchRecords:  c.Int("batch-records"),
		Visibility:    c.Duration("visibility"),
		MaxReceive:    c.Int("max-receive"),
		MemoryLimit:   c.Int64("memory-limit"),
		Once:          c.Bool("once"),
		MetricsListen: c.String("metrics-listen"),
		Pprof:         c.Bool("pprof"),
		Enrich:        enrichOptions(c, nil), // the logger is set in newEngine
	}
	switch {
	case o.Pipelines < 1 || o.Pipelines > 256:
		return o, usagef("--pipelines %d: use 1 to 256", o.Pipelines)
	case o.Parsers < 1 || o.Parsers > 256:
		return o, usagef("--parsers %d: use 1 to 256", o.Parsers)
	case o.BatchRecords < 1 || o.BatchRecords > 10000:
		return o, usagef("--batch-records %d: use 1 to 10000", o.BatchRecords)
	case o.Visibility < time.Second || o.Visibility > 12*time.Hour:
		return o, usagef("--visibility %v: use 1s to 12h (the SQS range)", o.Visibility)
	case o.MemoryLimit != 0 && o.MemoryLimit < 64<<20:
		return o, usagef("--memory-limit %d: use 0 (none) or 64 MiB or more",
			o.MemoryLimit)
	case o.MaxReceive < 0:
		return o, usagef("--max-receive %d: use 1 or more (0: the queue's own)",
			o.MaxReceive)
	}
	return o, nil
}

// newRegistry is the process's metrics registry, with Go and process
// collectors beside rptctl's own.
func newRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// runParse runs the parser engine until ctx is cancelled (or, with
// --once, until the queue is drained).
func runParse(ctx context.Context, opts parseOptions, e *env) error {
	setMemoryLimit(opts.MemoryLimit)
	b, err := awsio.Open(ctx, e.global.backendConfig())
	if err != nil {
		return fmt.Errorf("opening the backend: %w", err)
	}
	defer b.Close()
	reg := newRegistry()
	m := engine.NewMetrics(reg)

	if opts.MetricsListen != "" {
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
		if opts.Pprof {
			engine.AddPprof(mux)
		}
		stop, err := listen(ctx, opts.MetricsListen, mux, e.log)
		if err != nil {
			return err
		}
		defer stop()
	}
	eng, closeEng, err := newEngine(b, opts, m, reg, e.log)
	if err != nil {
		return err
	}
	defer closeEng()
	e.log.Info("parser engine started", "pipelines", opts.Pipelines, "parsers", opts.Parsers,
		"backend", e.global.Backend, "once", opts.Once)
	if err := eng.Run(ctx); err != nil {
		return fmt.Errorf("running the parser engine: %w", err)
	}
	e.log.Info("parser engine stopped")
	return nil
}

// newEngine builds the parser engine over backend b.
func newEngine(b *awsio.Backend, opts parseOptions, m *engine.Metrics,
	reg prometheus.Registerer, log *slog.Logger) (*engine.Engine, func(), error) {
	eo := opts.Enrich
	eo.Logger = log
	eo.Registerer = reg
	en, err := enrich.New(eo)
	if err != nil {
		return nil, nil, fmt.Errorf("starting enrichment: %w", err)
	}
	closeFn := func() {
		if err := en.Close(); err != nil {
			log.Warn("closing enrichment", "error", err)
		}
	}
	eng := engine.New(engine.Config{
		Queue:          b.Queue,
		DLQ:            b.DLQ,
		Store:          b.Store,
		Payloads:       &awsio.Payloads{Store: b.Store, Bucket: b.Bucket},
		Enricher:       en,
		Pipelines:      opts.Pipelines,
		Parsers:        opts.Parsers,
		BatchRecords:   opts.BatchRecords,
		Visibility:     opts.Visibility,
		MaxReceive:     maxReceive(opts.MaxReceive, b.MaxReceive),
		MaxMessageSize: b.MaxMessageSize,
		ParseMemory:    opts.MemoryLimit / 4, // 0: the engine's default
		Once:           opts.Once,
		Metrics:        m,
		Logger:         log,
	})
	return eng, closeFn, nil
}

// defaultMemoryLimit is the default --memory-limit (1 GiB): room for the
// parsers' quarter and for uploads in flight (engine.DefaultMaxInFlight).
const defaultMemoryLimit = 1 << 30

// setMemoryLimit sets the Go runtime's soft memory limit, unless the
// flag is 0 or GOMEMLIMIT is set in the environment, which then wins.
func setMemoryLimit(limit int64) {
	if limit > 0 && os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(limit)
	}
}

// maxReceive is the receive count at which a failure is final: the flag
// when given, else the queue's maxReceiveCount, so that the status turns
// `failed` exactly when the message moves to the DLQ. 0 (no redrive
// policy either) lets the engine use its default.
func maxReceive(flag, queue int) int {
	if flag > 0 {
		return flag
	}
	return queue
}

// listen serves h on addr until stop is called, which shuts the server
// down gracefully. It logs the address it listens on (useful with port 0).
func listen(ctx context.Context, addr string, h http.Handler,
	log *slog.Logger) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w", addr, err)
	}
	srv := engine.NewHTTPServer(addr, h)
	log.Info("listening", "addr", ln.Addr().String())
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("serving HTTP", "addr", addr, "error", err)
		}
	}()
	stop = func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil {
			log.Warn("shutting down HTTP", "addr", addr, "error", err)
		}
	}
	return stop, nil
}

// shutdownTimeout bounds how long requests in progress may finish after
// a stop signal.
const shutdownTimeout = 30 * time.Second

package main

import (
	"context"
	"fmt"
	"sync"

	"github.com/urfave/cli/v2"

	"github.com/rptctl/rptctl/awsio"
	"github.com/rptctl/rptctl/engine"
)

// serveOptions are the flags of `rptctl serve`.
type serveOptions struct {
	Listen      string
	AuthTokens  string
	MaxUpload   int64
	InlineLimit int
	Pprof       bool
	Parser      bool
	Parse       parseOptions
}

func serveCommand() *cli.Command {
	flags := []cli.Flag{
		&cli.StringFlag{Name: "listen", Value: "127.0.0.1:8080", EnvVars: envName("listen"),
			Usage: "address of the HTTP API"},
		&cli.StringFlag{Name: "auth-tokens", EnvVars: envName("auth-tokens"),
			Usage: "file of `TOKEN COMPANY_ID` lines; without it only loopback is served"},
		&cli.Int64Flag{Name: "max-upload", Value: engine.DefaultMaxUpload,
			EnvVars: envName("max-upload"), Usage: "largest attachment accepted, in bytes"},
		&cli.IntFlag{Name: "inline-limit", Value: engine.DefaultInlineLimit,
			EnvVars: envName("inline-limit"),
			Usage:   "queue bodies above this many bytes are offloaded to the bucket"},
		&cli.BoolFlag{Name: "pprof", EnvVars: envName("pprof"),
			Usage: "serve /debug/pprof/"},
		&cli.BoolFlag{Name: "parser", Value: true, EnvVars: envName("parser"),
			Usage: "run the parser engine in this process too (--parser=false: ingest only)"},
	}
	flags = append(flags, engineFlags()...)
	return &cli.Command{
		Name:  "serve",
		Usage: "accept reports over HTTP and queue them; parse them too unless --parser=false",
		Flags: append(flags, enrichFlags()...),
		Action: action(func(ctx context.Context, c *cli.Context, e *env) error {
			opts, err := readServeFlags(c)
			if err != nil {
				return err
			}
			return runServe(ctx, opts, e)
		}),
	}
}

func readServeFlags(c *cli.Context) (serveOptions, error) {
	o := serveOptions{
		Listen:      c.String("listen"),
		AuthTokens:  c.String("auth-tokens"),
		MaxUpload:   c.Int64("max-upload"),
		InlineLimit: c.Int("inline-limit"),
		Pprof:       c.Bool("pprof"),
		Parser:      c.Bool("parser"),
	}
	var err error
	o.Parse, err = readParseFlags(c)
	if err != nil {
		return o, err
	}
	switch {
	case o.MaxUpload < 1:
		return o, usagef("--max-upload %d: use a positive number of bytes", o.MaxUpload)
	case o.InlineLimit < 1024:
		return o, usagef("--inline-limit %d: use 1024 bytes or more", o.InlineLimit)
	}
	return o, nil
}

// runServe serves the HTTP API, and runs the parser engine beside it,
// until ctx is cancelled; then it stops accepting, lets requests in
// progress finish, and lets the engine finish or release what it holds.
func runServe(ctx context.Context, opts serveOptions, e *env) error {
	var tokens *engine.Tokens
	if opts.AuthTokens != "" {
		t, err := engine.LoadTokens(opts.AuthTokens)
		if err != nil {
			return usagef("--auth-tokens: %v", err)
		}
		tokens = t
	}
	if err := engine.CheckListen(opts.Listen, tokens); err != nil {
		return usagef("%v", err)
	}
	setMemoryLimit(opts.Parse.MemoryLimit)
	b, err := awsio.Open(ctx, e.global.backendConfig())
	if err != nil {
		return fmt.Errorf("opening the backend: %w", err)
	}
	defer b.Close()

	reg := newRegistry()
	m := engine.NewMetrics(reg)
	payloads := &awsio.Payloads{Store: b.Store, Bucket: b.Bucket,
		InlineLimit: inlineLimit(opts.InlineLimit, b.MaxMessageSize)}
	ingest := engine.NewIngest(engine.IngestConfig{
		Queue:     b.Queue,
		Store:     b.Store,
		Payloads:  payloads,
		Tokens:    tokens,
		MaxUpload: opts.MaxUpload,
		Metrics:   m,
		Logger:    e.log,
	})
	h := ingest.Handler(engine.HandlerOptions{Gatherer: reg, Pprof: opts.Pprof})
	stopHTTP, err := listen(ctx, opts.Listen, h, e.log)
	if err != nil {
		return err
	}

	var wg sync.WaitGroup
	var runErr error
	if opts.Parser {
		eng, closeEng, err := newEngine(b, opts.Parse, m, reg, e.log)
		if err != nil {
			stopHTTP()
			return err
		}
		defer closeEng()
		wg.Add(1)
		go func() {
			defer wg.Done()
			runErr = eng.Run(ctx)
		}()
	}
	e.log.Info("serving", "listen", opts.Listen, "parser", opts.Parser,
		"backend", e.global.Backend, "auth", tokens.Enabled())
	<-ctx.Done()
	e.log.Info("stopping")
	stopHTTP()
	wg.Wait()
	if runErr != nil {
		return fmt.Errorf("running the parser engine: %w", runErr)
	}
	e.log.Info("stopped")
	return nil
}

// inlineLimit keeps inline bodies within what the queue accepts.
func inlineLimit(flag, queueMax int) int {
	if queueMax > 0 && queueMax < flag {
		return queueMax
	}
	return flag
}

package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/rptctl/rptctl/awsio"
)

// setupOptions are the flags of `rptctl setup`.
type setupOptions struct {
	MaxReceive    int
	Visibility    time.Duration
	PayloadExpiry time.Duration
	Format        string
}

// setupDeps is what runSetup works on and writes to.
type setupDeps struct {
	Config awsio.Config
	Out    io.Writer
}

func setupCommand() *cli.Command {
	return &cli.Command{
		Name:  "setup",
		Usage: "create the queue, DLQ and bucket the backend needs (safe to run again)",
		Description: "Creates what is missing and updates what exists: the DLQ, the queue with\n" +
			"its redrive policy (--max-receive) and visibility timeout, the bucket, and\n" +
			"the expiry of offloaded payloads (a lifecycle rule on aws; the local\n" +
			"backend sweeps them itself). Prints what it created and what it found.",
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "max-receive", Value: awsio.DefaultMaxReceive,
				Usage: "receives before a message moves to the DLQ (1 to 1000)"},
			&cli.DurationFlag{Name: "visibility", Value: awsio.DefaultVisibility,
				Usage: "the queue's default visibility timeout (1s to 12h); parse and " +
					"serve pass their own --visibility on every receive, so it only " +
					"serves other consumers"},
			&cli.DurationFlag{Name: "payload-expiry", Value: awsio.DefaultPayloadExpiry,
				Usage: "age at which offloaded payloads expire (whole days on aws)"},
			&cli.StringFlag{Name: "format", Value: "table", Usage: "table or json"},
		},
		Action: action(func(ctx context.Context, c *cli.Context, e *env) error {
			opts := setupOptions{
				MaxReceive:    c.Int("max-receive"),
				Visibility:    c.Duration("visibility"),
				PayloadExpiry: c.Duration("payload-expiry"),
				Format:        c.String("format"),
			}
			return runSetup(ctx, opts, setupDeps{
				Config: e.global.backendConfig(), Out: e.Out,
			})
		}),
	}
}

func (o setupOptions) check() error {
	if o.MaxReceive < 1 || o.MaxReceive > 1000 {
		return usagef("--max-receive %d: use 1 to 1000", o.MaxReceive)
	}
	if o.Visibility < time.Second || o.Visibility > 12*time.Hour {
		return usagef("--visibility %v: use 1s to 12h", o.Visibility)
	}
	if o.PayloadExpiry < 24*time.Hour {
		return usagef("--payload-expiry %v: use at least 24h", o.PayloadExpiry)
	}
	return nil
}

// runSetup creates or updates the backend's resources and prints what it
// created, found and could not do.
func runSetup(ctx context.Context, opts setupOptions, deps setupDeps) error {
	if err := opts.check(); err != nil {
		return err
	}
	out, err := newOutput(deps.Out, opts.Format, "table", "json")
	if err != nil {
		return err
	}
	res, err := awsio.Setup(ctx, deps.Config, awsio.SetupOptions{
		MaxReceive:    opts.MaxReceive,
		Visibility:    opts.Visibility,
		PayloadExpiry: opts.PayloadExpiry,
	})
	if err != nil {
		return fmt.Errorf("setting up the %s backend: %w", backendName(deps.Config), err)
	}
	if opts.Format == "json" {
		return out.JSON(setupJSON(res))
	}
	var rows [][]string
	for _, r := range res.Created {
		rows = append(rows, []string{"created", r})
	}
	for _, r := range res.Found {
		rows = append(rows, []string{"found", r})
	}
	for _, w := range res.Warnings {
		rows = append(rows, []string{"warning", w})
	}
	return out.Rows([]string{"state", "resource"}, rows)
}

// setupJSON gives empty lists rather than nulls, for scripts.
func setupJSON(r awsio.SetupResult) awsio.SetupResult {
	for _, l := range []*[]string{&r.Created, &r.Found, &r.Warnings} {
		if *l == nil {
			*l = []string{}
		}
	}
	return r
}

func backendName(cfg awsio.Config) string {
	if cfg.Backend == "" {
		return "local"
	}
	return cfg.Backend
}

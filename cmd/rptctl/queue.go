package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/rptctl/rptctl/awsio"
)

// queueStatsOptions are the flags of `rptctl queue stats`.
type queueStatsOptions struct {
	Format   string
	Watch    bool
	Interval time.Duration
	Count    int // refreshes before --watch stops; 0: until interrupted
}

// queueStatsDeps is what runQueueStats reads and writes.
type queueStatsDeps struct {
	Queue, DLQ awsio.Queue
	Out        io.Writer
	OutIsTTY   bool
	// Err gets what --watch skips past: a refresh the backend could not
	// answer (nil: discarded).
	Err io.Writer
	Now func() time.Time
}

// queueStatsJSON is CONTRACT.md section 5's shape of `queue stats`.
type queueStatsJSON struct {
	Queue awsio.QueueStats `json:"queue"`
	DLQ   awsio.QueueStats `json:"dlq"`
}

// clearScreen moves the cursor home and clears the terminal, so that
// --watch redraws in place.
const clearScreen = "\x1b[H\x1b[2J"

func queueCommand() *cli.Command {
	return &cli.Command{
		Name:  "queue",
		Usage: "inspect the work queue",
		Subcommands: []*cli.Command{{
			Name:  "stats",
			Usage: "depth of the queue and the DLQ: visible, in flight, delayed",
			Description: "On aws the counts are SQS's approximate numbers. With --watch the\n" +
				"table is redrawn in place every --interval (JSON: one line per refresh)\n" +
				"until interrupted or --count refreshes.",
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "format", Value: "table", Usage: "table or json"},
				&cli.BoolFlag{Name: "watch", Usage: "refresh until interrupted"},
				&cli.DurationFlag{Name: "interval", Value: 2 * time.Second,
					Usage: "time between refreshes with --watch"},
				&cli.IntFlag{Name: "count", Usage: "with --watch, stop after N refreshes"},
			},
			Action: action(func(ctx context.Context, c *cli.Context, e *env) error {
				opts := queueStatsOptions{
					Format:   c.String("format"),
					Watch:    c.Bool("watch"),
					Interval: c.Duration("interval"),
					Count:    c.Int("count"),
				}
				if err := opts.check(); err != nil {
					return err
				}
				b, err := awsio.Open(ctx, e.global.backendConfig())
				if err != nil {
					return fmt.Errorf("opening the %s backend: %w", e.global.Backend, err)
				}
				defer closeBackend(b, e)
				return runQueueStats(ctx, opts, queueStatsDeps{Queue: b.Queue, DLQ: b.DLQ,
					Out: e.Out, OutIsTTY: e.OutIsTTY, Err: e.Err, Now: time.Now})
			}),
		}},
	}
}

func (o queueStatsOptions) check() error {
	if o.Format != "table" && o.Format != "json" {
		return usagef("--format %q: use table or json", o.Format)
	}
	if o.Watch && o.Interval < 100*time.Millisecond {
		return usagef("--interval %v: use at least 100ms", o.Interval)
	}
	if o.Count < 0 {
		return usagef("--count %d: use 0 (until interrupted) or a positive number", o.Count)
	}
	return nil
}

// runQueueStats prints the depths once, or with Watch until ctx ends.
func runQueueStats(ctx context.Context, opts queueStatsOptions, deps queueStatsDeps) error {
	if err := opts.check(); err != nil {
		return err
	}
	if !opts.Watch {
		return printQueueStats(ctx, opts, deps)
	}
	t := time.NewTicker(opts.Interval)
	defer t.Stop()
	for n := 1; ; n++ {
		err := printQueueStats(ctx, opts, deps)
		switch {
		case err != nil && ctx.Err() != nil:
			return nil // interrupted while reading: the normal end of --watch
		case errors.Is(err, awsio.ErrUnavailable):
			// A busy database or a network blip: try again next time.
			if deps.Err != nil {
				fmt.Fprintf(deps.Err, "%s: %v (trying again in %v)\n",
					deps.Now().UTC().Format(time.RFC3339), err, opts.Interval)
			}
		case err != nil:
			return err
		}
		if opts.Count > 0 && n >= opts.Count {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil // interrupted: the normal end of --watch
		case <-t.C:
		}
	}
}

func printQueueStats(ctx context.Context, opts queueStatsOptions, deps queueStatsDeps) error {
	var s queueStatsJSON
	var err error
	if s.Queue, err = deps.Queue.Stats(ctx); err != nil {
		return err
	}
	if s.DLQ, err = deps.DLQ.Stats(ctx); err != nil {
		return err
	}

	if opts.Format == "json" {
		if opts.Watch {
			// One compact document per line, for `| jq` or a log.
			return writeJSONLine(deps.Out, s)
		}
		return output{w: deps.Out, format: "json"}.JSON(s)
	}
	if opts.Watch {
		if deps.OutIsTTY {
			fmt.Fprint(deps.Out, clearScreen)
		}
		fmt.Fprintf(deps.Out, "%s (every %v)\n", deps.Now().UTC().Format(time.RFC3339),
			opts.Interval)
	}
	row := func(role string, q awsio.QueueStats) []string {
		return []string{role, q.Name, strconv.FormatInt(q.Visible, 10),
			strconv.FormatInt(q.InFlight, 10), strconv.FormatInt(q.Delayed, 10)}
	}
	return output{w: deps.Out, format: "table"}.Rows(
		[]string{"queue", "name", "visible", "in flight", "delayed"},
		[][]string{row("queue", s.Queue), row("dlq", s.DLQ)})
}

func writeJSONLine(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("writing JSON: %w", err)
	}
	if _, err := fmt.Fprintf(w, "%s\n", b); err != nil {
		return fmt.Errorf("writing JSON: %w", err)
	}
	return nil
}

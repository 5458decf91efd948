package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/rptctl/rptctl/awsio"
	"github.com/rptctl/rptctl/engine/results"
)

// filterOptions are the flags `sources` and `browse` share.
type filterOptions struct {
	Company  string
	Customer string
	Domain   string
	Since    string
	From     string
	To       string
	Lookback string
	Workers  int
}

// sourcesOptions are the flags of `rptctl sources`.
type sourcesOptions struct {
	filterOptions
	thresholds
	By     string
	Format string
}

// sourcesDeps is what runSources reads from and writes to.
type sourcesDeps struct {
	Reader results.Reader
	Out    io.Writer
	Now    func() time.Time
	// Progress, when set (a terminal), shows how many objects are read.
	Progress io.Writer
}

func filterFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "company", Usage: "the company whose results to read (required)"},
		&cli.StringFlag{Name: "customer", Usage: "only this customer of the company"},
		&cli.StringFlag{Name: "domain",
			Usage: "only this header-from domain (TLS and failure reports: policy domain)"},
		&cli.StringFlag{Name: "since",
			Usage: "the period: reports that begin within DURATION of now (24h, 7d, 2w)"},
		&cli.StringFlag{Name: "from", Usage: "the period's first day, YYYY-MM-DD (UTC)"},
		&cli.StringFlag{Name: "to", Usage: "the period's last day, YYYY-MM-DD (UTC, included)"},
		&cli.StringFlag{Name: "lookback", Value: "30d",
			Usage: "how far before the period to look to tell new sources from known ones"},
		&cli.IntFlag{Name: "workers", Value: results.DefaultWorkers,
			Usage: "result objects read at once"},
	}
}

// thresholdFlags set when the failing and spike flags are given.
func thresholdFlags() []cli.Flag {
	return []cli.Flag{
		&cli.Float64Flag{Name: "fail-below", Value: results.DefaultFailBelow * 100,
			Usage: "flag sources whose DMARC pass rate is under this percentage as failing"},
		&cli.Float64Flag{Name: "spike-factor", Value: results.DefaultSpikeFactor,
			Usage: "flag a day above this many times the median of the other days"},
		&cli.Int64Flag{Name: "spike-min", Value: results.DefaultSpikeMin,
			Usage: "and with at least this many messages as a spike"},
	}
}

// thresholds are the values of thresholdFlags.
type thresholds struct {
	FailBelow   float64 // percent
	SpikeFactor float64
	SpikeMin    int64
}

func readThresholds(c *cli.Context) thresholds {
	return thresholds{
		FailBelow:   c.Float64("fail-below"),
		SpikeFactor: c.Float64("spike-factor"),
		SpikeMin:    c.Int64("spike-min"),
	}
}

func (t thresholds) check() error {
	if t.FailBelow < 0 || t.FailBelow > 100 {
		return usagef("--fail-below %v: use a percentage from 0 to 100", t.FailBelow)
	}
	if t.SpikeFactor <= 0 || t.SpikeMin < 0 {
		return usagef("--spike-factor must be positive and --spike-min not negative")
	}
	return nil
}

// flagOptions turns the thresholds into results.FlagOptions.
func (t thresholds) flagOptions() results.FlagOptions {
	return results.FlagOptions{
		// A fail-below of 0 would take the default: a tiny positive rate
		// flags nothing, as 0 means.
		FailBelow:   max(t.FailBelow/100, 1e-9),
		SpikeFactor: t.SpikeFactor,
		SpikeMin:    max(t.SpikeMin, 1),
	}
}

func readFilterFlags(c *cli.Context) filterOptions {
	return filterOptions{
		Company:  c.String("company"),
		Customer: c.String("customer"),
		Domain:   c.String("domain"),
		Since:    c.String("since"),
		From:     c.String("from"),
		To:       c.String("to"),
		Lookback: c.String("lookback"),
		Workers:  c.Int("workers"),
	}
}

// filter checks the shared flags and turns them into a results.Filter and
// the look-back window; errors are usage errors.
func (o filterOptions) filter(now time.Time) (results.Filter, time.Duration, error) {
	if err := o.checkIDs(); err != nil {
		return results.Filter{}, 0, err
	}
	from, to, err := results.Period(o.Since, o.From, o.To, now)
	if err != nil {
		return results.Filter{}, 0, usagef("%v", err)
	}
	lookback, err := results.ParseDuration(o.Lookback)
	if err != nil {
		return results.Filter{}, 0, usagef("--lookback: %v", err)
	}
	f := results.Filter{
		Company: o.Company, Customer: o.Customer, From: from, To: to,
		Domain: strings.ToLower(strings.TrimSuffix(strings.TrimSpace(o.Domain), ".")),
	}
	return f, lookback, nil
}

// checkIDs checks --company and --customer by the rule of the HTTP API
// (CONTRACT.md section 2), so that "../etc" names no folder of the store.
func (o filterOptions) checkIDs() error {
	const rule = "1 to 64 characters of A-Z a-z 0-9 . _ -, not starting with '.'"
	switch {
	case o.Company == "":
		return usagef("--company is required")
	case !results.ValidID(o.Company):
		return usagef("--company %q: use %s", o.Company, rule)
	case o.Customer != "" && !results.ValidID(o.Customer):
		return usagef("--customer %q: use %s", o.Customer, rule)
	}
	return nil
}

func sourcesCommand() *cli.Command {
	flags := append(filterFlags(),
		&cli.StringFlag{Name: "by", Value: "service", Usage: "service, hostname, ip or day"},
		&cli.StringFlag{Name: "format", Value: "table", Usage: "table, json or csv " +
			"(json: records without enrichment are grouped under the key " +
			results.NoService + " or " + results.NoHostname + ", with service and " +
			"hostname left out)"},
	)
	flags = append(flags, thresholdFlags()...)
	return &cli.Command{
		Name:  "sources",
		Usage: "sources of a company's mail from stored results",
		Description: "Groups the stored aggregate records of a company by sending service,\n" +
			"hostname, IP or day, with DMARC results and flags: new (first seen in the\n" +
			"period, after a --lookback window), failing (--fail-below) and spike.",
		Flags: flags,
		Action: action(func(ctx context.Context, c *cli.Context, e *env) error {
			opts := sourcesOptions{
				filterOptions: readFilterFlags(c),
				thresholds:    readThresholds(c),
				By:            c.String("by"),
				Format:        c.String("format"),
			}
			if err := opts.check(); err != nil {
				return err
			}
			b, err := awsio.Open(ctx, e.global.backendConfig())
			if err != nil {
				return fmt.Errorf("opening the %s backend: %w", e.global.Backend, err)
			}
			defer closeBackend(b, e)
			deps := sourcesDeps{Reader: b.Store, Out: e.Out, Now: time.Now}
			if e.ErrIsTTY {
				deps.Progress = e.Err
			}
			return runSources(ctx, opts, deps)
		}),
	}
}

// closeBackend closes b, logging rather than returning the error: the
// command's own result is already decided.
func closeBackend(b *awsio.Backend, e *env) {
	if err := b.Close(); err != nil {
		e.log.Warn("closing the backend", "err", err)
	}
}

// check validates the flags that need no clock or store, so that usage
// errors come before the backend is opened.
func (o sourcesOptions) check() error {
	if err := o.checkIDs(); err != nil {
		return err
	}
	if _, err := results.ParseGrouping(o.By); err != nil {
		return usagef("--by: %v", err)
	}
	if o.Format != "table" && o.Format != "json" && o.Format != "csv" {
		return usagef("--format %q: use one of table, json, csv", o.Format)
	}
	return o.thresholds.check()
}

// runSources prints the sources of opts' company.
func runSources(ctx context.Context, opts sourcesOptions, deps sourcesDeps) error {
	if err := opts.check(); err != nil {
		return err
	}
	f, lookback, err := opts.filter(deps.Now())
	if err != nil {
		return err
	}
	by, _ := results.ParseGrouping(opts.By) // checked above
	out, err := newOutput(deps.Out, opts.Format, "table", "json", "csv")
	if err != nil {
		return err
	}

	q := results.NewQuerier(deps.Reader, opts.Workers)
	rows, err := q.Sources(ctx, results.SourcesQuery{
		Filter:   f,
		By:       by,
		Lookback: lookback,
		Flags:    opts.flagOptions(),
		Progress: progressLine(deps.Progress),
	})
	if deps.Progress != nil {
		fmt.Fprint(deps.Progress, "\r\033[K") // clear the progress line
	}
	if err != nil {
		return fmt.Errorf("reading the results of company %s: %w", f.Company, err)
	}

	if opts.Format == "json" {
		return out.JSON(rows)
	}
	header, cells := results.Table(by, rows, opts.Format == "table")
	return out.Rows(header, cells)
}

// progressLine rewrites one terminal line with the objects read, at most
// every 100 ms; nil without a writer.
func progressLine(w io.Writer) func(results.Progress) {
	if w == nil {
		return nil
	}
	var last time.Time
	return func(p results.Progress) {
		if time.Since(last) < 100*time.Millisecond && p.Done < p.Total {
			return
		}
		last = time.Now()
		fmt.Fprintf(w, "\rreading results: %d of %d objects", p.Done, p.Total)
	}
}

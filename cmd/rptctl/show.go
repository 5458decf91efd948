package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/rptctl/rptctl/engine/enrich"
	"github.com/rptctl/rptctl/reports"
)

// maxShowFile bounds the size of one file show reads: report files are
// at most a few MiB; anything far larger is not a report.
const maxShowFile = 256 << 20

// showOptions are the flags and arguments of `rptctl show`.
type showOptions struct {
	Paths  []string
	Format string
	Enrich bool
}

// reportEnricher fills the sources of a report; *enrich.Enricher is one.
type reportEnricher interface {
	Report(ctx context.Context, r *reports.Report)
}

var _ reportEnricher = (*enrich.Enricher)(nil)

// showDeps is what runShow writes to, and the enricher when --enrich.
type showDeps struct {
	Out      io.Writer
	Err      io.Writer
	Enricher reportEnricher // nil: no enrichment
}

func showCommand() *cli.Command {
	flags := []cli.Flag{
		&cli.StringFlag{Name: "format", Value: "table", Usage: "table or json"},
		&cli.BoolFlag{Name: "enrich",
			Usage: "look up each source IP (reverse DNS, service, geo/ASN)"},
	}
	return &cli.Command{
		Name:      "show",
		Usage:     "parse report files offline and print them",
		ArgsUsage: "PATH...",
		Description: "PATH may be a file, a folder (all files below it) or a glob. " +
			"A file that cannot be read is reported on stderr and the others are still " +
			"printed; the exit status is then 1.",
		Flags: append(flags, enrichFlags()...),
		Action: action(func(ctx context.Context, c *cli.Context, e *env) error {
			opts := showOptions{
				Paths:  c.Args().Slice(),
				Format: c.String("format"),
				Enrich: c.Bool("enrich"),
			}
			deps := showDeps{Out: e.Out, Err: e.Err}
			if opts.Enrich {
				en, err := enrich.New(enrichOptions(c, e.log))
				if err != nil {
					return fmt.Errorf("starting enrichment: %w", err)
				}
				defer en.Close() //nolint:errcheck // nothing to flush on exit
				deps.Enricher = en
			}
			return runShow(ctx, opts, deps)
		}),
	}
}

// runShow parses every file the paths name and prints the reports found.
// Files or parts that fail are reported on deps.Err, one line each, and
// make it return errSilent once everything else is printed.
func runShow(ctx context.Context, opts showOptions, deps showDeps) error {
	out, err := newOutput(deps.Out, opts.Format, "table", "json")
	if err != nil {
		return err
	}
	if len(opts.Paths) == 0 {
		return usagef("show needs at least one PATH (a file, a folder or a glob)")
	}

	files, failed := showPaths(ctx, opts.Paths, deps.Err)
	shown := []*shownReport{}
	for _, file := range files {
		if ctx.Err() != nil {
			break
		}
		rs, ok := parseFile(ctx, file, deps.Err)
		failed = failed || !ok
		for _, r := range rs {
			if deps.Enricher != nil {
				deps.Enricher.Report(ctx, r)
			}
			shown = append(shown, &shownReport{file: file, Report: r})
		}
	}

	// Interrupted (Ctrl-C, SIGTERM): stop without printing a part.
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("reading report files: %w", err)
	}

	if opts.Format == "json" {
		all := make([]*reports.Report, 0, len(shown))
		for _, s := range shown {
			all = append(all, s.Report)
		}
		err = out.JSON(all)
	} else {
		err = printTables(out, shown, deps.Enricher != nil)
	}
	if err != nil {
		return err
	}
	if failed {
		return errSilent
	}
	return nil
}

// shownReport is a report with the file it came from.
type shownReport struct {
	file string
	*reports.Report
}

// showPaths turns the arguments into the files to read, in order,
// reporting on w the ones that name nothing.
func showPaths(ctx context.Context, paths []string, w io.Writer) (files []string,
	failed bool) {
	for _, p := range paths {
		matches := []string{p}
		if strings.ContainsAny(p, "*?[") {
			m, err := filepath.Glob(p)
			if err != nil || len(m) == 0 {
				fmt.Fprintf(w, "rptctl: %s: no file matches the pattern\n", p)
				failed = true
				continue
			}
			matches = m
		}
		for _, m := range matches {
			found, err := filesUnder(ctx, m)
			if err != nil {
				fmt.Fprintf(w, "rptctl: %v\n", err)
				failed = true
			}
			files = append(files, found...)
		}
	}
	return files, failed
}

// filesUnder returns path itself when it is a regular file, or every
// regular file below a folder in lexical order. A named pipe, device or
// socket is an error: reading one could wait forever or never end.
func filesUnder(ctx context.Context, path string) ([]string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, errors.Unwrap(err))
	}
	switch {
	case info.Mode().IsRegular():
		return []string{path}, nil
	case !info.IsDir():
		return nil, fmt.Errorf("%s is %s, not a regular file: show reads only files",
			path, fileKind(info.Mode()))
	}
	var files []string
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.Type().IsRegular() {
			files = append(files, p)
		}
		return nil
	})
	sort.Strings(files)
	if err != nil {
		return files, fmt.Errorf("walking %s: %w", path, err)
	}
	return files, nil
}

// fileKind names what a non-regular file is, for errors.
func fileKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "not a file"
}

// parseFile reads and parses one file, reporting its failures on w.
func parseFile(ctx context.Context, file string, w io.Writer) ([]*reports.Report, bool) {
	data, err := readCapped(ctx, file)
	if err != nil {
		fmt.Fprintf(w, "rptctl: %v\n", err)
		return nil, false
	}
	rs, err := reports.Parse(data, reports.Options{Name: file})
	if err == nil {
		return rs, true
	}
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	for _, e := range errs {
		fmt.Fprintf(w, "rptctl: %v\n", e)
	}
	return rs, false
}

// readCapped reads a regular file of at most maxShowFile bytes, checking
// ctx between chunks so that Ctrl-C stops a long read.
func readCapped(ctx context.Context, file string) ([]byte, error) {
	// O_NONBLOCK: should the path have become a named pipe since it was
	// listed, opening it must not wait for a writer; the check below
	// then refuses it.
	f, err := os.OpenFile(file, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", file, errors.Unwrap(err))
	}
	defer f.Close() //nolint:errcheck // read-only
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", file, err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is %s, not a regular file: show reads only files",
			file, fileKind(info.Mode()))
	}
	if info.Size() > maxShowFile {
		return nil, fmt.Errorf("%s is %d bytes, over the %d MiB show reads: not a report",
			file, info.Size(), maxShowFile>>20)
	}
	data := make([]byte, 0, info.Size()+1)
	r := io.LimitReader(f, maxShowFile+1)
	for {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("reading %s: %w", file, err)
		}
		n, err := r.Read(data[len(data):min(cap(data), len(data)+1<<20)])
		data = data[:len(data)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", file, err)
		}
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)] // the file grew: make room
		}
	}
	if len(data) > maxShowFile {
		return nil, fmt.Errorf("%s grew over %d MiB while read: not a report", file,
			maxShowFile>>20)
	}
	return data, nil
}

// printTables prints each report as a titled set of tables.
func printTables(out output, shown []*shownReport, enriched bool) error {
	for i, s := range shown {
		if i > 0 {
			fmt.Fprintln(out.w)
		}
		fmt.Fprintf(out.w, "%s report %s from %s\n", s.Kind, s.ReportKey, s.file)
		if err := out.Rows([]string{"field", "value"}, metadataRows(s.Report)); err != nil {
			return err
		}
		var err error
		switch s.Kind {
		case reports.KindAggregate:
			err = printAggregate(out, s.Report, enriched)
		case reports.KindTLSRPT:
			err = printTLS(out, s.Report)
		case reports.KindFailure:
			err = printFailure(out, s.Report)
		}
		if err != nil {
			return err
		}
		if len(s.Warnings) > 0 {
			rows := make([][]string, 0, len(s.Warnings))
			for _, w := range s.Warnings {
				rows = append(rows, []string{w})
			}
			if err := out.Rows([]string{"warnings"}, rows); err != nil {
				return err
			}
		}
	}
	return nil
}

func metadataRows(r *reports.Report) [][]string {
	rows := [][]string{
		{"organization", r.OrgName},
		{"contact", r.OrgEmail},
		{"report id", r.ReportID},
		{"period", r.DateBegin.Format(time.RFC3339) + " to " + r.DateEnd.Format(time.RFC3339)},
		{"policy domain", r.PolicyDomain()},
	}
	if r.Schema != "" {
		rows = append(rows, []string{"schema", r.Schema})
	}
	if r.Generator != "" {
		rows = append(rows, []string{"generator", r.Generator})
	}
	return rows
}

func printAggregate(out output, r *reports.Report, enriched bool) error {
	p := r.Policy
	pct := ""
	if p.Pct != nil {
		pct = strconv.Itoa(*p.Pct)
	}
	err := out.Rows(
		[]string{"p", "sp", "np", "adkim", "aspf", "pct", "fo", "testing", "discovery"},
		[][]string{{p.P, p.SP, p.NP, p.ADKIM, p.ASPF, pct, p.FO, p.Testing, p.DiscoveryMethod}})
	if err != nil {
		return err
	}
	header := []string{"source ip", "count", "disposition", "dkim", "spf", "dmarc",
		"header from", "envelope from", "dkim results", "spf results", "reasons"}
	if enriched {
		header = append(header, "hostname", "service", "country", "asn")
	}
	rows := make([][]string, 0, len(r.Records))
	for _, rec := range r.Records {
		rows = append(rows, recordRow(rec, enriched))
	}
	return out.Rows(header, rows)
}

func recordRow(rec reports.Record, enriched bool) []string {
	var dkim, spf, reasons []string
	for _, d := range rec.DKIMResults {
		dkim = append(dkim, d.Domain+"/"+d.Selector+"="+d.Result)
	}
	for _, s := range rec.SPFResults {
		spf = append(spf, s.Domain+"="+s.Result)
	}
	for _, rs := range rec.Reasons {
		reasons = append(reasons, strings.TrimSpace(rs.Type+" "+rs.Comment))
	}
	row := []string{rec.SourceIP, strconv.FormatInt(rec.Count, 10), rec.Disposition,
		rec.DKIM, rec.SPF, rec.DMARC, rec.HeaderFrom, rec.EnvelopeFrom,
		strings.Join(dkim, " "), strings.Join(spf, " "), strings.Join(reasons, "; ")}
	if enriched {
		row = append(row, sourceCells(rec.Source)...)
	}
	return row
}

func sourceCells(s *reports.Source) []string {
	if s == nil {
		return []string{"", "", "", ""}
	}
	asn := ""
	if s.ASN != 0 {
		asn = strconv.FormatUint(uint64(s.ASN), 10)
	}
	return []string{s.Hostname, s.Service, s.Country, asn}
}

func printTLS(out output, r *reports.Report) error {
	rows := make([][]string, 0, len(r.Policies))
	var details [][]string
	for _, p := range r.Policies {
		rows = append(rows, []string{p.PolicyType, p.PolicyDomain,
			strings.Join(p.MXHosts, " "), strconv.FormatInt(p.SuccessfulSessions, 10),
			strconv.FormatInt(p.FailedSessions, 10)})
		for _, d := range p.FailureDetails {
			details = append(details, []string{p.PolicyDomain, d.ResultType, d.SendingMTAIP,
				d.ReceivingMXHostname, d.ReceivingIP, strconv.FormatInt(d.FailedSessions, 10),
				d.FailureReasonCode})
		}
	}
	err := out.Rows([]string{"policy type", "policy domain", "mx hosts", "successful",
		"failed"}, rows)
	if err != nil || len(details) == 0 {
		return err
	}
	return out.Rows([]string{"policy domain", "result type", "sending mta ip",
		"receiving mx", "receiving ip", "failed", "reason code"}, details)
}

func printFailure(out output, r *reports.Report) error {
	f := r.Failure
	rows := [][]string{
		{"feedback type", f.FeedbackType},
		{"arrival date", f.ArrivalDate.Format(time.RFC3339)},
		{"source ip", f.SourceIP},
		{"reported domain", f.ReportedDomain},
		{"auth failure", f.AuthFailure},
		{"original mail from", f.OriginalMailFrom},
		{"original rcpt to", f.OriginalRcptTo},
		{"delivery result", f.DeliveryResult},
		{"dkim domain", f.DKIMDomain},
		{"dkim selector", f.DKIMSelector},
		{"identity alignment", f.IdentityAlignment},
		{"authentication results", f.AuthResults},
	}
	if s := f.Source; s != nil {
		c := sourceCells(s)
		rows = append(rows, []string{"source hostname", c[0]}, []string{"source service", c[1]},
			[]string{"source country", c[2]}, []string{"source asn", c[3]})
	}
	if err := out.Rows([]string{"failure", "value"}, rows); err != nil {
		return err
	}
	if len(f.Headers) == 0 {
		return nil
	}
	hdr := make([][]string, 0, len(f.Headers))
	for _, h := range f.Headers {
		hdr = append(hdr, []string{h.Name, h.Value})
	}
	return out.Rows([]string{"original header", "value"}, hdr)
}

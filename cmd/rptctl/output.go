package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"
)

// output prints a command's results as a table, JSON or CSV. Logs never
// go through it: they go to the logger, on stderr.
type output struct {
	w      io.Writer
	format string // "table", "json" or "csv"
}

// newOutput checks format against the formats a command allows.
func newOutput(w io.Writer, format string, allowed ...string) (output, error) {
	for _, a := range allowed {
		if format == a {
			return output{w: w, format: format}, nil
		}
	}
	return output{}, usagef("--format %q: use one of %v", format, allowed)
}

// JSON prints v indented, with a final newline.
func (o output) JSON(v any) error {
	enc := json.NewEncoder(o.w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("writing JSON: %w", err)
	}
	return nil
}

// Rows prints a header and rows as a table or CSV, as the format says.
func (o output) Rows(header []string, rows [][]string) error {
	if o.format == "csv" {
		return o.csv(header, rows)
	}
	return writeTable(o.w, header, rows)
}

func (o output) csv(header []string, rows [][]string) error {
	w := csv.NewWriter(o.w)
	if err := w.Write(header); err != nil {
		return fmt.Errorf("writing CSV: %w", err)
	}
	if err := w.WriteAll(rows); err != nil {
		return fmt.Errorf("writing CSV: %w", err)
	}
	return nil
}

// writeTable renders a plain table: headers as given (not upper-cased),
// cells never wrapped, so that the output greps and diffs well.
func writeTable(w io.Writer, header []string, rows [][]string) error {
	t := tablewriter.NewTable(w,
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithHeaderAutoWrap(tw.WrapNone),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithRowAlignment(tw.AlignLeft),
	)
	t.Header(toAny(header)...)
	for _, r := range rows {
		if err := t.Append(toAny(r)...); err != nil {
			return fmt.Errorf("writing table: %w", err)
		}
	}
	if err := t.Render(); err != nil {
		return fmt.Errorf("writing table: %w", err)
	}
	return nil
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

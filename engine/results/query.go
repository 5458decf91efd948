package results

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/rptctl/rptctl/reports"
)

// SourcesQuery is one `rptctl sources` question.
type SourcesQuery struct {
	Filter Filter
	By     Grouping
	// Flags sets the thresholds; its From and To are taken from Filter.
	Flags FlagOptions
	// Lookback is how far before Filter.From records are read to tell new
	// sources from known ones (DefaultLookback when zero). Those records
	// are not counted in the rows.
	Lookback time.Duration
	// Progress, when set, is called after each object read.
	Progress func(Progress)
}

// Sources answers q: the aggregate records of the period, grouped, with
// their flags. It streams: no more than the rows is held in memory.
func (qr *Querier) Sources(ctx context.Context, q SourcesQuery) ([]SourceRow, error) {
	agg := NewAggregator(q.By, nil)
	f := withLookback(q.Filter, q.Lookback)
	f.Kinds = []reports.Kind{reports.KindAggregate}
	err := qr.scanSummary(ctx, f, func(c Chunk) error {
		for i := range c.Lines {
			l := &c.Lines[i]
			if inHistory(q.Filter, l) {
				agg.AddHistory(l)
			} else {
				agg.Add(l)
			}
		}
		if q.Progress != nil {
			q.Progress(c.Progress)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	opts := q.Flags
	opts.From, opts.To = q.Filter.From, q.Filter.To
	return agg.Rows(opts), nil
}

// withLookback widens f's period backwards by the look-back window.
func withLookback(f Filter, lookback time.Duration) Filter {
	if f.From.IsZero() {
		return f
	}
	if lookback <= 0 {
		lookback = DefaultLookback
	}
	f.From = f.From.Add(-lookback)
	return f
}

// inHistory reports whether l, read with a widened period, lies before
// the period of f.
func inHistory(f Filter, l *Line) bool {
	return !f.From.IsZero() && l.DateBegin.Before(f.From)
}

// Report reads every batch of the report o belongs to, in order: the
// whole report whatever the filter kept of it.
func (qr *Querier) Report(ctx context.Context, o Object) ([]Line, error) {
	prefix := o.Key[:strings.LastIndexByte(o.Key, '/')+1]
	infos, err := qr.r.List(ctx, prefix)
	if err != nil {
		return nil, fmt.Errorf("listing report %s: %w", o.ReportKey, err)
	}
	var batches []Object
	for _, info := range infos {
		b, ok := ParseKey(info.Key)
		if ok && b.ReportKey == o.ReportKey {
			batches = append(batches, b)
		}
	}
	sort.Slice(batches, func(i, j int) bool { return batches[i].Batch < batches[j].Batch })
	var out []Line
	for _, b := range batches {
		data, err := qr.r.Get(ctx, b.Key)
		if err != nil {
			return nil, fmt.Errorf("reading report %s: %w", o.ReportKey, err)
		}
		lines, err := Decode(data)
		if err != nil {
			return nil, fmt.Errorf("decoding %s: %w", b.Key, err)
		}
		out = append(out, lines...)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("report %s: no stored objects", o.ReportKey)
	}
	return out, nil
}

// TrendPoint is one day of a trend series.
type TrendPoint struct {
	Day       time.Time `json:"day"`
	Messages  int64     `json:"messages"`
	DMARCPass int64     `json:"dmarcPass"`
}

// PassRate is the share of the day's messages that passed DMARC.
func (p TrendPoint) PassRate() float64 {
	return rate(p.DMARCPass, p.Messages)
}

// Trend sums the aggregate lines in scope per day of dateBegin, with a
// point for every day from the first to the last (or over the period
// from..to when set), days without records at zero.
func Trend(lines []Line, scope Scope, from, to time.Time) []TrendPoint {
	sums := map[time.Time]*TrendPoint{}
	var first, last time.Time
	for i := range lines {
		l := &lines[i]
		if l.Kind != reports.KindAggregate || !scope.Match(l) {
			continue
		}
		d := day(l.DateBegin)
		p := sums[d]
		if p == nil {
			p = &TrendPoint{Day: d}
			sums[d] = p
		}
		satAdd(&p.Messages, l.Count)
		if l.DMARC == "pass" {
			satAdd(&p.DMARCPass, l.Count)
		}
		if first.IsZero() || d.Before(first) {
			first = d
		}
		if d.After(last) {
			last = d
		}
	}
	if !from.IsZero() {
		first = day(from)
	}
	if !to.IsZero() {
		last = day(to.Add(-time.Nanosecond))
	}
	if first.IsZero() || last.Before(first) {
		return nil
	}
	var out []TrendPoint
	for d := first; !d.After(last); d = d.AddDate(0, 0, 1) {
		if p := sums[d]; p != nil {
			out = append(out, *p)
		} else {
			out = append(out, TrendPoint{Day: d})
		}
	}
	return out
}

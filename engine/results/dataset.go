package results

import (
	"context"
	"sort"
	"time"

	"github.com/rptctl/rptctl/reports"
)

// Dataset holds the lines of one filter in memory for the terminal UI,
// which regroups and drills into them without reading the store again.
// It is filled chunk by chunk while a scan runs, and is not safe for
// concurrent use: the UI adds chunks from its own event loop.
//
// TODO: the Dataset keeps every line of the period; an account with
// millions of records in the period needs a compact form (interned
// strings, no per-record DKIM/SPF details until drilled into).
type Dataset struct {
	Filter   Filter
	Lookback time.Duration

	Aggregate []Line // aggregate records of the period
	// Empty holds the lines of aggregate reports of the period that have
	// no records (Line.IsRecord false): reports, never sources or records.
	Empty    []Line
	TLS      []Line // TLS policies of the period
	Failures []Line // failure reports of the period
	Progress Progress

	history []Line            // aggregate records of the look-back window
	objects map[string]Object // first-batch object of each customer/reportKey
	version int
}

// NewDataset returns an empty Dataset for f.
func NewDataset(f Filter, lookback time.Duration) *Dataset {
	if lookback <= 0 {
		lookback = DefaultLookback
	}
	return &Dataset{Filter: f, Lookback: lookback, objects: map[string]Object{}}
}

// Load scans the store for d's filter (its look-back window included)
// and passes each chunk to fn, from one goroutine at a time. fn usually
// hands the chunk to the UI's loop, which calls Add.
func (q *Querier) Load(ctx context.Context, d *Dataset, fn func(Chunk) error) error {
	return q.Scan(ctx, withLookback(d.Filter, d.Lookback), fn)
}

// Add takes in one chunk of a Load.
func (d *Dataset) Add(c Chunk) {
	d.Progress = c.Progress
	d.version++
	ok := objectID(c.Object)
	if prev, seen := d.objects[ok]; !seen || c.Object.Batch < prev.Batch {
		d.objects[ok] = c.Object
	}
	for _, l := range c.Lines {
		if inHistory(d.Filter, &l) {
			if l.Kind == reports.KindAggregate && l.IsRecord() {
				d.history = append(d.history, l)
			}
			continue
		}
		switch {
		case l.Kind == reports.KindAggregate && !l.IsRecord():
			d.Empty = append(d.Empty, l)
		case l.Kind == reports.KindAggregate:
			d.Aggregate = append(d.Aggregate, l)
		case l.Kind == reports.KindTLSRPT:
			d.TLS = append(d.TLS, l)
		case l.Kind == reports.KindFailure:
			d.Failures = append(d.Failures, l)
		}
	}
}

// Version changes whenever Add is called, so views can cache.
func (d *Dataset) Version() int { return d.version }

// Done reports whether every object has been read.
func (d *Dataset) Done() bool { return d.Progress.Done >= d.Progress.Total }

func objectID(o Object) string { return o.CustomerID + "/" + o.ReportKey }

// Object returns the stored object of the report l belongs to (its first
// batch), for Querier.Report.
func (d *Dataset) Object(l *Line) (Object, bool) {
	o, ok := d.objects[l.CustomerID+"/"+l.ReportKey]
	return o, ok
}

// Sources groups the aggregate records in scope, as `rptctl sources`
// would for the same filter. Until every object is read it gives no new
// flags: the look-back window, being older, is read last.
func (d *Dataset) Sources(by Grouping, scope Scope, opts FlagOptions) []SourceRow {
	agg := NewAggregator(by, scope)
	for i := range d.history {
		agg.AddHistory(&d.history[i])
	}
	for i := range d.Aggregate {
		agg.Add(&d.Aggregate[i])
	}
	for i := range d.Empty {
		agg.Add(&d.Empty[i])
	}
	opts.From, opts.To = d.Filter.From, d.Filter.To
	if !d.Done() {
		opts.From = time.Time{}
	}
	return agg.Rows(opts)
}

// Records returns the aggregate records in scope, newest first, then by
// message count.
func (d *Dataset) Records(scope Scope) []Line {
	var out []Line
	for i := range d.Aggregate {
		if scope.Match(&d.Aggregate[i]) {
			out = append(out, d.Aggregate[i])
		}
	}
	sortLines(out)
	return out
}

// Trend is the daily series of the aggregate records in scope over the
// period.
func (d *Dataset) Trend(scope Scope) []TrendPoint {
	return Trend(d.Aggregate, scope, d.Filter.From, d.Filter.To)
}

func sortLines(ls []Line) {
	sort.SliceStable(ls, func(i, j int) bool {
		if !ls[i].DateBegin.Equal(ls[j].DateBegin) {
			return ls[i].DateBegin.After(ls[j].DateBegin)
		}
		if ls[i].Count != ls[j].Count {
			return ls[i].Count > ls[j].Count
		}
		return ls[i].ReportKey < ls[j].ReportKey
	})
}

// SortedTLS returns the TLS policies newest first.
func (d *Dataset) SortedTLS() []Line {
	out := append([]Line(nil), d.TLS...)
	sortLines(out)
	return out
}

// SortedFailures returns the failure reports newest first.
func (d *Dataset) SortedFailures() []Line {
	out := append([]Line(nil), d.Failures...)
	sortLines(out)
	return out
}

// Domains returns the header-from domains of the aggregate records, most
// messages first.
func (d *Dataset) Domains() []string {
	sums := map[string]int64{}
	for i := range d.Aggregate {
		k := LineDomain(&d.Aggregate[i])
		v := sums[k]
		satAdd(&v, d.Aggregate[i].Count)
		sums[k] = v
	}
	out := make([]string, 0, len(sums))
	for dom := range sums {
		out = append(out, dom)
	}
	sort.Slice(out, func(i, j int) bool {
		if sums[out[i]] != sums[out[j]] {
			return sums[out[i]] > sums[out[j]]
		}
		return out[i] < out[j]
	})
	return out
}

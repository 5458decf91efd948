package results

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"

	"github.com/rptctl/rptctl/awsio"
)

// Reader is the part of an object store the queries need. awsio.Store
// satisfies it on both backends.
type Reader interface {
	List(ctx context.Context, prefix string) ([]awsio.ObjectInfo, error)
	Get(ctx context.Context, key string) ([]byte, error)
}

var _ Reader = awsio.Store(nil)

// DefaultWorkers is how many objects a query reads at once by default:
// enough to hide S3's per-request latency, few enough to stay polite.
const DefaultWorkers = 16

// Querier runs the queries of `rptctl sources` and `rptctl browse` over
// stored result objects. It is safe for concurrent use.
type Querier struct {
	r       Reader
	workers int
}

// NewQuerier returns a Querier reading through r with at most workers
// object reads in flight (DefaultWorkers when workers < 1).
func NewQuerier(r Reader, workers int) *Querier {
	if workers < 1 {
		workers = DefaultWorkers
	}
	return &Querier{r: r, workers: workers}
}

// Chunk is what a scan hands over for each object read: its matching
// lines and how far the scan has come.
type Chunk struct {
	Object Object
	Lines  []Line // the lines that pass the filter; may be empty
	Progress
}

// Progress counts the objects of a scan.
type Progress struct {
	Done    int   // objects read so far, skipped ones included
	Total   int   // objects to read
	Skipped int   // objects that could not be decoded or vanished
	LastErr error // why the last skipped object was skipped
}

// Objects lists the result objects that can hold lines of f, newest
// partition first, each key once.
//
// TODO: the listing covers the whole company (or customer) prefix and the
// period is applied to the keys afterwards; for accounts with years of
// results on S3, listing only the date= folders of the period (which
// needs the customers and kinds first, a delimiter listing the Reader
// interface does not offer yet) would save list calls.
func (q *Querier) Objects(ctx context.Context, f Filter) ([]Object, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	infos, err := q.r.List(ctx, partitionPrefix(f))
	if err != nil {
		return nil, fmt.Errorf("listing results of company %s: %w", f.Company, err)
	}
	seen := make(map[string]bool, len(infos))
	var out []Object
	for _, info := range infos {
		o, ok := ParseKey(info.Key)
		if !ok || seen[o.Key] || !f.wantObject(o) {
			continue
		}
		seen[o.Key] = true
		out = append(out, o)
	}
	// Newest first, so that a screen filled while loading shows the
	// recent days first.
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Date.Equal(out[j].Date) {
			return out[i].Date.After(out[j].Date)
		}
		return out[i].Key < out[j].Key
	})
	return out, nil
}

// Scan reads every object of f with a bounded pool of workers and calls
// fn once per object, from one goroutine at a time, as the reads finish.
// An object that cannot be decoded, or that vanished after the listing,
// is skipped and counted; any other read error ends the scan. A non-nil
// error from fn ends the scan and is returned. Scan stops when ctx ends.
func (q *Querier) Scan(ctx context.Context, f Filter, fn func(Chunk) error) error {
	objs, err := q.Objects(ctx, f)
	if err != nil {
		return err
	}
	return q.scanObjects(ctx, scanJob{f: f}, objs, fn)
}

// scanJob is what the workers of a scan apply to each object.
type scanJob struct {
	f       Filter
	summary bool // decode only the fields of summaryLine
}

// scanSummary is Scan with lines holding only the fields that grouping
// sources needs.
func (q *Querier) scanSummary(ctx context.Context, f Filter, fn func(Chunk) error) error {
	objs, err := q.Objects(ctx, f)
	if err != nil {
		return err
	}
	return q.scanObjects(ctx, scanJob{f: f, summary: true}, objs, fn)
}

type readResult struct {
	obj    Object
	lines  []Line
	pooled bool  // lines came from linePool and go back after fn
	skip   error // the object is skipped for this reason
	err    error // the scan must end
}

func (q *Querier) scanObjects(ctx context.Context, job scanJob, objs []Object,
	fn func(Chunk) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	jobs := make(chan Object)
	results := make(chan readResult, q.workers)
	var wg sync.WaitGroup
	for range min(q.workers, max(len(objs), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for o := range jobs {
				r := q.read(ctx, job, o)
				select {
				case results <- r:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	go func() {
		defer close(jobs)
		for _, o := range objs {
			select {
			case jobs <- o:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() {
		wg.Wait()
		close(results)
	}()
	return collect(ctx, len(objs), results, fn)
}

// collect hands the reads to fn in the order they finish.
func collect(ctx context.Context, total int, results <-chan readResult,
	fn func(Chunk) error) error {
	p := Progress{Total: total}
	for p.Done < total {
		var r readResult
		select {
		case <-ctx.Done():
			return ctx.Err()
		case got, ok := <-results:
			if !ok {
				return ctx.Err()
			}
			r = got
		}
		if r.err != nil {
			return r.err
		}
		p.Done++
		if r.skip != nil {
			p.Skipped++
			p.LastErr = r.skip
		}
		err := fn(Chunk{Object: r.obj, Lines: r.lines, Progress: p})
		if r.pooled {
			releaseLines(r.lines)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (q *Querier) read(ctx context.Context, job scanJob, o Object) readResult {
	data, err := q.r.Get(ctx, o.Key)
	switch {
	case errors.Is(err, awsio.ErrNotFound):
		return readResult{obj: o, skip: fmt.Errorf("reading %s: %w", o.Key, err)}
	case err != nil:
		return readResult{obj: o, err: fmt.Errorf("reading %s: %w", o.Key, err)}
	}
	var buf []Line
	if job.summary {
		buf = borrowLines()
	}
	lines, err := decodeLines(data, job.summary, job.f.wantLine, buf)
	if err != nil {
		if job.summary {
			releaseLines(buf)
		}
		return readResult{obj: o, skip: fmt.Errorf("decoding %s: %w", o.Key, err)}
	}
	return readResult{obj: o, lines: lines, pooled: job.summary}
}

// linePool recycles the line slices of summary scans, whose callback
// (Sources) is done with a chunk's lines when it returns: a scan would
// otherwise allocate a third of its bytes growing them.
var linePool = sync.Pool{New: func() any { return new([]Line) }}

func borrowLines() []Line {
	return (*linePool.Get().(*[]Line))[:0]
}

func releaseLines(ls []Line) {
	clear(ls[:cap(ls)]) // drop the strings and sources they point to
	ls = ls[:0]
	linePool.Put(&ls)
}

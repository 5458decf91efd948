package engine

import (
	"fmt"
	"sync"

	"github.com/rptctl/rptctl/awsio"
	"github.com/rptctl/rptctl/engine/results"
)

// job is one received message on its way through a pipeline. It counts
// the batches its reports were split into and the batches stored: the
// message may be deleted only when every batch is stored and none failed.
type job struct {
	msg    awsio.Message
	origin results.Origin

	mu       sync.Mutex
	expected int      // batches to store, known once parsed
	done     int      // batches stored or failed
	errs     []error  // batches that failed
	keys     []string // reportKeys of the message's reports
	spans    []span   // each report's result objects, for pruning
	partial  error    // parts that did not parse, beside reports that did
	lost     bool     // the receipt went stale: someone else holds the message
}

// span is where one report's result objects lie: the key of its first
// batch without ".ndjson.gz" (a prefix of every batch's key), and how many
// batches it has now.
type span struct {
	prefix  string
	batches int
}

// plan records what parsing found: n batches to store for the reports
// keyed keys, lying at spans, and the error of the parts that failed. It
// must be called before the first batch is handed to the storer.
func (j *job) plan(n int, keys []string, spans []span, partial error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.expected = n
	j.keys = keys
	j.spans = spans
	j.partial = partial
}

// reportSpans returns where the message's reports are stored.
func (j *job) reportSpans() []span {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.spans
}

// batchDone counts one batch as finished, with err when it failed, and
// reports whether it was the last of the message.
func (j *job) batchDone(err error) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.done++
	if err != nil {
		j.errs = append(j.errs, err)
	}
	return j.done == j.expected
}

// outcome is the message's fate once every batch is done: nil when all
// were stored, else the first batch's error. One broken store fails every
// batch the same way; the count of the others is enough.
func (j *job) outcome() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	switch len(j.errs) {
	case 0:
		return nil
	case 1:
		return j.errs[0]
	}
	return fmt.Errorf("%w (and %d more batches failed)", j.errs[0], len(j.errs)-1)
}

func (j *job) markLost() {
	j.mu.Lock()
	j.lost = true
	j.mu.Unlock()
}

func (j *job) isLost() bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.lost
}

// reportKeys returns the keys and the partial-parse error.
func (j *job) reportKeys() ([]string, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.keys, j.partial
}

// batch is one slice of a report's result lines, stored as one object.
type batch struct {
	job   *job
	key   string // object key
	lines []results.Line
	log   batchLog
}

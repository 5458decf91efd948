package engine

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
)

// prune removes the result objects of the message's reports numbered
// above their current batch count: what an earlier store of the same
// report with a smaller --batch-records left behind, which queries would
// otherwise count twice. It runs after every batch is stored and before
// the message is deleted, so a failure here retries the whole message.
func (e *Engine) prune(ctx context.Context, j *job, log *slog.Logger) error {
	for _, sp := range j.reportSpans() {
		infos, err := e.cfg.Store.List(ctx, sp.prefix)
		if err != nil {
			return fmt.Errorf("listing the objects of report %s: %w", sp.prefix, err)
		}
		for _, in := range infos {
			n, ok := batchNumber(sp.prefix, in.Key)
			if !ok || n <= sp.batches {
				continue
			}
			if err := e.cfg.Store.Delete(ctx, in.Key); err != nil && !isNotFound(err) {
				return fmt.Errorf("removing stale batch %s: %w", in.Key, err)
			}
			log.Info("removed stale batch", "traceId", j.origin.TraceID, "key", in.Key)
		}
	}
	return nil
}

// batchNumber reads the batch number of key, a result object of the report
// whose first batch is prefix+".ndjson.gz": 1 for that key, n for
// prefix+"-000n.ndjson.gz". Other keys under the prefix are not the
// report's (ok false).
func batchNumber(prefix, key string) (n int, ok bool) {
	rest, ok := strings.CutPrefix(key, prefix)
	if !ok {
		return 0, false
	}
	rest, ok = strings.CutSuffix(rest, resultExt)
	if !ok {
		return 0, false
	}
	if rest == "" {
		return 1, true
	}
	digits, ok := strings.CutPrefix(rest, "-")
	if !ok || len(digits) < 4 {
		return 0, false
	}
	n, err := strconv.Atoi(digits)
	if err != nil || n < 2 {
		return 0, false
	}
	return n, true
}

package engine

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/rptctl/rptctl/awsio"
	"github.com/rptctl/rptctl/engine/results"
)

// hold registers a received message as held: the heartbeat keeps it
// hidden until it is settled or released.
func (e *Engine) hold(m awsio.Message) *job {
	j := &job{msg: m, origin: results.Origin{
		TraceID:    m.Attributes[AttrTraceID].Value,
		CompanyID:  m.Attributes[AttrCompanyID].Value,
		CustomerID: m.Attributes[AttrCustomerID].Value,
	}}
	if j.origin.TraceID == "" {
		j.origin.TraceID = m.ID
	}
	e.mu.Lock()
	e.held[j] = struct{}{}
	e.mu.Unlock()
	e.cfg.Metrics.Messages.WithLabelValues(evReceived).Inc()
	e.cfg.Metrics.Stage.WithLabelValues(stageHeld).Inc()
	return j
}

// unhold forgets a held message; it reports whether it was still held.
func (e *Engine) unhold(j *job) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.held[j]; !ok {
		return false
	}
	delete(e.held, j)
	e.cfg.Metrics.Stage.WithLabelValues(stageHeld).Dec()
	return true
}

func (e *Engine) isHeld(j *job) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	_, ok := e.held[j]
	return ok
}

func (e *Engine) heldCount() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.held)
}

func (e *Engine) heldJobs() []*job {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]*job, 0, len(e.held))
	for j := range e.held {
		out = append(out, j)
	}
	return out
}

// release hands a message back to the queue at once (visibility 0), for
// another worker or the next run.
func (e *Engine) release(ctx context.Context, j *job) {
	if !e.unhold(j) {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
	defer cancel()
	err := e.cfg.Queue.ChangeVisibility(ctx, j.msg.ReceiptHandle, 0)
	if err != nil && !errors.Is(err, awsio.ErrReceiptInvalid) {
		// It comes back by itself when its visibility timeout ends.
		e.cfg.Logger.Warn("releasing message", "traceId", j.origin.TraceID, "error", err)
		return
	}
	e.cfg.Metrics.Messages.WithLabelValues(evReleased).Inc()
}

// releaseAll releases whatever is still held when the engine stops.
func (e *Engine) releaseAll() {
	for _, j := range e.heldJobs() {
		e.release(context.Background(), j)
	}
}

// complete settles a message whose batches are all stored: status
// processed, then delete. A message is deleted only here.
func (e *Engine) complete(ctx context.Context, j *job, log *slog.Logger) {
	if err := e.prune(ctx, j, log); err != nil {
		e.fail(ctx, j, err, false, log)
		return
	}
	keys, partial := j.reportKeys()
	st := Status{TraceID: j.origin.TraceID, CompanyID: j.origin.CompanyID,
		CustomerID: j.origin.CustomerID, State: StateProcessed, Reports: keys}
	if partial != nil {
		st.Error = errorText(partial)
	}
	if err := PutStatus(ctx, e.cfg.Store, st); err != nil {
		e.fail(ctx, j, err, false, log)
		return
	}
	if !e.unhold(j) {
		return
	}
	err := e.cfg.Queue.Delete(ctx, j.msg.ReceiptHandle)
	switch {
	case errors.Is(err, awsio.ErrReceiptInvalid):
		// Someone else received it since; they store the same keys again.
		log.Warn("deleting message: receipt went stale", "traceId", j.origin.TraceID)
		return
	case err != nil:
		log.Warn("deleting message", "traceId", j.origin.TraceID, "error", err)
		return
	}
	e.cfg.Metrics.Messages.WithLabelValues(evDeleted).Inc()
	if j.msg.ReceiveCount > 1 {
		e.clearFailure(ctx, j, log)
	}
	log.Info("message processed",
		"traceId", j.origin.TraceID,
		"companyId", j.origin.CompanyID,
		"reports", len(keys))
}

// clearFailure removes the failure record an earlier try left, now that
// the message went through.
func (e *Engine) clearFailure(ctx context.Context, j *job, log *slog.Logger) {
	err := e.cfg.Store.Delete(ctx, results.FailureKey(j.origin.TraceID))
	if err != nil && !isNotFound(err) {
		log.Warn("removing old failure record", "traceId", j.origin.TraceID, "error", err)
	}
}

// fail settles a message that could not be processed. Its error goes to
// failures/<traceId>.json. A permanent failure (bytes that can never
// parse) is moved to the DLQ at once when a DLQ is configured; any other
// is left alone, to come back after its visibility timeout and reach the
// DLQ after maxReceiveCount receives.
func (e *Engine) fail(ctx context.Context, j *job, cause error, permanent bool,
	log *slog.Logger) {
	if ctx.Err() != nil {
		// The drain time after a stop ran out: not the message's fault.
		e.release(ctx, j)
		return
	}
	if !e.unhold(j) {
		return
	}
	e.cfg.Metrics.Messages.WithLabelValues(evFailed).Inc()
	f := Failure{TraceID: j.origin.TraceID, CompanyID: j.origin.CompanyID,
		CustomerID: j.origin.CustomerID, MessageID: j.msg.ID, Error: errorText(cause),
		ReceiveCount: j.msg.ReceiveCount, Permanent: permanent}
	if err := PutFailure(ctx, e.cfg.Store, f); err != nil {
		log.Warn("recording failure", "traceId", f.TraceID, "error", err)
	}

	// TODO: MaxReceive is --max-receive, which must match the queue's
	// redrive policy (setup --max-receive); reading maxReceiveCount from
	// the queue would make the `failed` status exact when they differ.
	final := permanent || j.msg.ReceiveCount >= e.cfg.MaxReceive
	if validID(j.origin.CompanyID) && validTraceID(j.origin.TraceID) {
		st := Status{TraceID: f.TraceID, CompanyID: f.CompanyID, CustomerID: f.CustomerID,
			State: StateQueued, Error: f.Error}
		if final {
			st.State = StateFailed
		}
		if err := PutStatus(ctx, e.cfg.Store, st); err != nil {
			log.Warn("writing failed status", "traceId", f.TraceID, "error", err)
		}
	}
	level := slog.LevelWarn
	if final {
		level = slog.LevelError
	}
	log.Log(ctx, level, "message failed",
		"traceId", f.TraceID,
		"companyId", f.CompanyID,
		"receiveCount", f.ReceiveCount,
		"permanent", permanent,
		"error", f.Error)
	if permanent && e.cfg.DLQ != nil {
		e.deadLetter(ctx, j, log)
	}
}

// deadLetter moves a message to the DLQ: send a copy, then delete it. A
// crash between the two leaves a duplicate in the DLQ, never a loss.
func (e *Engine) deadLetter(ctx context.Context, j *job, log *slog.Logger) {
	attrs := awsio.DeadLetterAttributes(j.msg, e.cfg.MaxMessageSize)
	if _, err := e.cfg.DLQ.Send(ctx, j.msg.Body, attrs); err != nil {
		log.Warn("moving message to the DLQ", "traceId", j.origin.TraceID, "error", err)
		return
	}
	err := e.cfg.Queue.Delete(ctx, j.msg.ReceiptHandle)
	if err != nil && !errors.Is(err, awsio.ErrReceiptInvalid) {
		log.Warn("deleting message moved to the DLQ", "traceId", j.origin.TraceID,
			"error", err)
	}
	e.cfg.Metrics.Messages.WithLabelValues(evDLQ).Inc()
}

// heartbeat extends the visibility of every held message every third of
// the visibility timeout, so that slow work is never handed to a second
// worker.
func (e *Engine) heartbeat(ctx context.Context) {
	every := max(e.cfg.Visibility/3, 50*time.Millisecond)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for _, j := range e.heldJobs() {
			e.extend(ctx, j)
		}
	}
}

func (e *Engine) extend(ctx context.Context, j *job) {
	if j.isLost() {
		return
	}
	err := e.cfg.Queue.ChangeVisibility(ctx, j.msg.ReceiptHandle, e.cfg.Visibility)
	switch {
	case errors.Is(err, awsio.ErrReceiptInvalid) && !e.isHeld(j):
		// Settled (deleted) while the heartbeat was on its way: no news.
	case errors.Is(err, awsio.ErrReceiptInvalid):
		j.markLost()
		e.cfg.Logger.Warn("extending visibility: receipt went stale",
			"traceId", j.origin.TraceID)
	case err != nil && ctx.Err() == nil:
		e.cfg.Logger.Warn("extending visibility", "traceId", j.origin.TraceID, "error", err)
	}
}

package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/rptctl/rptctl/awsio"
	"github.com/rptctl/rptctl/engine/results"
)

// The states of a submission.
const (
	StateQueued    = "queued"
	StateProcessed = "processed"
	StateFailed    = "failed"
)

// Status is the state of one submission, kept at
// status/<companyId>/<traceId>.json and served by GET
// /v1/reports/{traceId}.
type Status struct {
	TraceID    string    `json:"traceId"`
	CompanyID  string    `json:"companyId"`
	CustomerID string    `json:"customerId"`
	State      string    `json:"state"`
	Reports    []string  `json:"reports"`
	Error      string    `json:"error"`
	UpdatedAt  time.Time `json:"updatedAt"`
	Delivery   string    `json:"delivery,omitempty"`
	Size       int       `json:"size,omitempty"`
}

// Failure is the last error of a message that could not be processed,
// kept at failures/<traceId>.json and read by `rptctl dlq list`.
type Failure struct {
	TraceID      string    `json:"traceId"`
	CompanyID    string    `json:"companyId"`
	CustomerID   string    `json:"customerId"`
	MessageID    string    `json:"messageId"`
	Error        string    `json:"error"`
	ReceiveCount int       `json:"receiveCount"`
	Permanent    bool      `json:"permanent"`
	FailedAt     time.Time `json:"failedAt"`
}

// PutStatus writes s under its status key, stamping UpdatedAt.
func PutStatus(ctx context.Context, st Store, s Status) error {
	s.UpdatedAt = time.Now().UTC().Truncate(time.Second)
	if s.Reports == nil {
		s.Reports = []string{}
	}
	data, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("encoding status: %w", err)
	}
	if err := st.Put(ctx, results.StatusKey(s.CompanyID, s.TraceID), data); err != nil {
		return fmt.Errorf("writing status of %s: %w", s.TraceID, err)
	}
	return nil
}

// GetStatus reads the status of a submission; the error wraps
// awsio.ErrNotFound when there is none.
func GetStatus(ctx context.Context, st Store, companyID, traceID string) (Status, error) {
	var s Status
	data, err := st.Get(ctx, results.StatusKey(companyID, traceID))
	if err != nil {
		return s, fmt.Errorf("reading status of %s: %w", traceID, err)
	}
	if err := json.Unmarshal(data, &s); err != nil {
		return s, fmt.Errorf("decoding status of %s: %w", traceID, err)
	}
	return s, nil
}

// PutFailure writes f under its failure key, stamping FailedAt.
func PutFailure(ctx context.Context, st Store, f Failure) error {
	f.FailedAt = time.Now().UTC().Truncate(time.Second)
	data, err := json.Marshal(f)
	if err != nil {
		return fmt.Errorf("encoding failure record: %w", err)
	}
	if err := st.Put(ctx, results.FailureKey(f.TraceID), data); err != nil {
		return fmt.Errorf("writing failure record of %s: %w", f.TraceID, err)
	}
	return nil
}

// GetFailure reads the failure record of a message; the error wraps
// awsio.ErrNotFound when there is none.
func GetFailure(ctx context.Context, st Store, traceID string) (Failure, error) {
	var f Failure
	data, err := st.Get(ctx, results.FailureKey(traceID))
	if err != nil {
		return f, fmt.Errorf("reading failure record of %s: %w", traceID, err)
	}
	if err := json.Unmarshal(data, &f); err != nil {
		return f, fmt.Errorf("decoding failure record of %s: %w", traceID, err)
	}
	return f, nil
}

// isNotFound reports whether err says an object is missing.
func isNotFound(err error) bool { return errors.Is(err, awsio.ErrNotFound) }

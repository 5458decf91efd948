package awsio

import (
	"context"
	"fmt"
	"time"
)

// DefaultPayloadExpiry is how long offloaded payloads are kept: SQS's
// longest message retention, so a payload outlives every message that
// points to it, also one that waits in the DLQ.
const DefaultPayloadExpiry = 14 * 24 * time.Hour

// PayloadsPrefix is where offloaded bodies are kept (CONTRACT.md section 4).
const PayloadsPrefix = "payloads/"

// SweepPayloads deletes the objects under payloads/ last modified before
// now minus maxAge (DefaultPayloadExpiry when 0) and returns how many it
// deleted. It is the local backend's twin of the lifecycle rule Setup
// installs on AWS; it works on any Store.
func SweepPayloads(ctx context.Context, s Store, maxAge time.Duration,
	now time.Time) (int, error) {
	if maxAge <= 0 {
		maxAge = DefaultPayloadExpiry
	}
	objs, err := s.List(ctx, PayloadsPrefix)
	if err != nil {
		return 0, fmt.Errorf("sweeping payloads: %w", err)
	}
	cutoff := now.Add(-maxAge)
	n := 0
	for _, o := range objs {
		if !o.Modified.Before(cutoff) {
			continue
		}
		if err := s.Delete(ctx, o.Key); err != nil {
			return n, fmt.Errorf("sweeping payloads: %w", err)
		}
		n++
	}
	return n, nil
}

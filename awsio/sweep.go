package awsio

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
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

// sweepInterval is how often an open local backend sweeps payloads: the
// expiry is counted in days, an hour late is on time.
const sweepInterval = time.Hour

// sweeper runs SweepPayloads on a local store in the background, with the
// expiry `rptctl setup --payload-expiry` saved, from Open until Close.
// Several processes on one data folder may sweep at once: deletes are
// idempotent.
type sweeper struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func startSweeper(db *queueDB, s Store, log *slog.Logger) *sweeper {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	sw := &sweeper{cancel: cancel}
	sw.wg.Go(func() {
		t := time.NewTicker(sweepInterval)
		defer t.Stop()
		for {
			sweepOnce(ctx, db, s, log)
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	})
	return sw
}

func sweepOnce(ctx context.Context, db *queueDB, s Store, log *slog.Logger) {
	ms, err := db.setting(ctx, payloadExpirySetting)
	if err != nil {
		if ctx.Err() == nil {
			log.Warn("sweeping payloads", "err", err)
		}
		return
	}
	start := time.Now()
	n, err := SweepPayloads(ctx, s, time.Duration(ms)*time.Millisecond, start)
	switch {
	case err != nil && ctx.Err() == nil:
		log.Warn("sweeping payloads", "err", err, "deleted", n)
	case n > 0:
		log.Info("swept expired payloads", "deleted", n, "duration", time.Since(start))
	}
}

// stop ends the sweep and waits for it.
func (sw *sweeper) stop() {
	sw.cancel()
	sw.wg.Wait()
}

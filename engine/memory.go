package engine

import (
	"context"

	"golang.org/x/sync/semaphore"

	"github.com/rptctl/rptctl/reports"
)

const (
	// DefaultParseMemory bounds the memory the parsers of one process
	// spend at once on attachments (256 MiB): 16 parsers given 4 MB zip
	// bombs each would otherwise hold 16 times 64 MiB of decompressed
	// bytes, and their parse trees, together.
	DefaultParseMemory = 256 << 20
	// parseCost is how many times its size an attachment is counted as
	// while it is decompressed and parsed: zip and gzip reports compress
	// 10 to 50 times, and growing the output buffer costs up to twice
	// more. Measured: one 4 MB zip bomb that stops at the 64 MiB limit
	// peaks near 250 MB.
	parseCost = 64
	// maxInputCost caps the count of one attachment: what it may
	// decompress to (reports.DefaultMaxDecompressed), three times over for
	// the buffer growth and the parse.
	maxInputCost = 3 * reports.DefaultMaxDecompressed
	// minParseWeight counts a tiny attachment as the parse tree and
	// result lines it still costs.
	minParseWeight = 1 << 20
)

// parseGate bounds the memory the parsers of one engine spend at once:
// each attachment waits for room weighed by its size.
type parseGate struct {
	sem  *semaphore.Weighted
	size int64
}

func newParseGate(size int64) *parseGate {
	return &parseGate{sem: semaphore.NewWeighted(size), size: size}
}

// weight is what an attachment of n bytes is counted as.
func (g *parseGate) weight(n int) int64 {
	w := min(int64(n)*parseCost, maxInputCost) + int64(n)
	return min(max(w, minParseWeight), g.size)
}

// acquire waits for room for an attachment of n bytes and returns the
// function that frees it.
func (g *parseGate) acquire(ctx context.Context, n int) (release func(), err error) {
	w := g.weight(n)
	if err := g.sem.Acquire(ctx, w); err != nil {
		return nil, err
	}
	return func() { g.sem.Release(w) }, nil
}

package engine

import "github.com/rptctl/rptctl/engine/enrich"

// The enricher satisfies the engine's interface; checked in a test so
// that the engine package does not import enrichment.
var _ Enricher = (*enrich.Enricher)(nil)

package results

import (
	"context"
	"testing"
	"time"

	"github.com/rptctl/rptctl/awsio"
	"github.com/rptctl/rptctl/awsio/awstest"
)

// awsStore returns the bucket of a fresh aws backend on fauxqs (skipping
// loudly when fauxqs is not installed, failing under CI=true).
func awsStore(t *testing.T) awsio.Store {
	t.Helper()
	cfg := awstest.Config(t, awstest.Endpoint(t))
	ctx := context.Background()
	if _, err := awsio.Setup(ctx, cfg, awsio.SetupOptions{MaxReceive: 5,
		Visibility: 30 * time.Second}); err != nil {
		t.Fatalf("setting up the aws backend: %v", err)
	}
	b, err := awsio.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("opening the aws backend: %v", err)
	}
	t.Cleanup(func() { _ = b.Close() }) // a test backend: nothing to lose
	return b.Store
}

// TestQueriesOnBothBackends runs the same queries over the embedded
// store and over S3 (fauxqs): the answers must not depend on the backend.
func TestQueriesOnBothBackends(t *testing.T) {
	backends := map[string]func(*testing.T) awsio.Store{
		"local": func(t *testing.T) awsio.Store { return newStore(t) },
		"aws":   awsStore,
	}
	for name, open := range backends {
		t.Run(name, func(t *testing.T) {
			s := fillFlagFixture(t, open(t))
			q := NewQuerier(s, 4)
			rows, err := q.Sources(context.Background(),
				SourcesQuery{Filter: period(), By: ByService})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]int64{}
			for _, r := range rows {
				got[r.Key] = r.Messages
			}
			want := map[string]int64{"Spiky": 860, "Known": 500, "Bad": 300, NoService: 7}
			for k, n := range want {
				if got[k] != n {
					t.Errorf("%s: %d messages, want %d (rows %v)", k, got[k], n, got)
				}
			}
			if r := findRow(t, rows, "Bad"); !r.HasFlag(FlagNew) || !r.HasFlag(FlagFailing) {
				t.Errorf("Bad flags %v", r.Flags)
			}

			objs, err := q.Objects(context.Background(), period())
			if err != nil || len(objs) != 10 {
				t.Fatalf("%d objects in the period (%v), want 10", len(objs), err)
			}
			lines, err := q.Report(context.Background(), objs[0])
			if err != nil || len(lines) == 0 || lines[0].ReportKey != objs[0].ReportKey {
				t.Errorf("Report(%s) = %d lines, %v", objs[0].Key, len(lines), err)
			}
		})
	}
}

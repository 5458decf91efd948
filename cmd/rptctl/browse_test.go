package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestRunBrowseQuits(t *testing.T) {
	store := sourcesStore(t)
	var out bytes.Buffer
	opts := browseOptions{
		filterOptions: filterOptions{Company: "acme", From: "2024-03-01", To: "2024-03-03",
			Lookback: "30d"},
		thresholds: thresholds{FailBelow: 90, SpikeFactor: 3, SpikeMin: 100},
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := runBrowse(ctx, opts, browseDeps{
		Reader: store, In: strings.NewReader("q"), Out: &out, NoColor: true, Now: time.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "company acme") {
		t.Errorf("the browser drew nothing recognisable:\n%s", out.String())
	}
}

func TestRunBrowseUsage(t *testing.T) {
	tests := []struct {
		name string
		opts browseOptions
	}{
		{"no company", browseOptions{filterOptions: filterOptions{Lookback: "30d"}}},
		{"bad spike factor", browseOptions{thresholds: thresholds{FailBelow: 90},
			filterOptions: filterOptions{Company: "acme", Lookback: "30d"}}},
		{"bad period", browseOptions{filterOptions: filterOptions{Company: "acme",
			Lookback: "30d", Since: "1d", To: "2024-01-01"}}},
		{"bad lookback", browseOptions{filterOptions: filterOptions{Company: "acme",
			Lookback: "soon"}}},
		{"bad threshold", browseOptions{thresholds: thresholds{FailBelow: 120, SpikeFactor: 3},
			filterOptions: filterOptions{Company: "acme", Lookback: "30d"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := runBrowse(context.Background(), tt.opts, browseDeps{Now: time.Now})
			var usage *usageError
			if !errors.As(err, &usage) {
				t.Errorf("err = %v, want a usage error", err)
			}
		})
	}
}

func TestBrowseCommandNeedsTerminal(t *testing.T) {
	var out, errOut bytes.Buffer
	code := Main([]string{"rptctl", "--data-dir", t.TempDir(), "browse", "--company", "acme"},
		streams{In: strings.NewReader(""), Out: &out, Err: &errOut})
	if code != 2 || !strings.Contains(errOut.String(), "terminal") {
		t.Errorf("exit %d, stderr %q; want 2 asking for a terminal", code, errOut.String())
	}
	code = Main([]string{"rptctl", "browse"}, streams{Out: &out, Err: &errOut})
	if code != 2 {
		t.Errorf("browse without --company: exit %d, want 2", code)
	}
}

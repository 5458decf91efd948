package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/rptctl/rptctl/engine/results"
)

// TestFilterIDsAreChecked runs sources and browse with company and
// customer IDs the HTTP API refuses: each is a usage error, exit 2.
func TestFilterIDsAreChecked(t *testing.T) {
	tests := []struct {
		name string
		args []string
		flag string
	}{
		{"parent folder", []string{"--company", "../etc"}, "--company"},
		{"leading dot", []string{"--company", ".hidden"}, "--company"},
		{"slash", []string{"--company", "acme/x"}, "--company"},
		{"too long", []string{"--company", strings.Repeat("a", 65)}, "--company"},
		{"customer", []string{"--company", "acme", "--customer", "../../x"}, "--customer"},
	}
	for _, cmd := range []string{"sources", "browse"} {
		for _, tt := range tests {
			t.Run(cmd+"/"+tt.name, func(t *testing.T) {
				var out, errOut bytes.Buffer
				args := append([]string{"rptctl", "--data-dir", t.TempDir(), cmd}, tt.args...)
				code := Main(args, streams{Out: &out, Err: &errOut})
				if code != 2 || !strings.Contains(errOut.String(), tt.flag) {
					t.Errorf("exit %d, stderr %q; want 2 naming %s", code, errOut.String(),
						tt.flag)
				}
			})
		}
	}
}

// TestSourcesDomainLowerCased: --domain is compared in lower case.
func TestSourcesDomainLowerCased(t *testing.T) {
	o := filterOptions{Company: "acme", Domain: " Shop.Example. ", Lookback: "30d"}
	f, _, err := o.filter(time.Now())
	if err != nil || f.Domain != "shop.example" {
		t.Errorf("domain %q, err %v; want shop.example", f.Domain, err)
	}
}

// TestSourcesJSONUnknownService: records without enrichment are one row
// keyed results.NoService, with no service, so JSON readers can tell.
func TestSourcesJSONUnknownService(t *testing.T) {
	var out bytes.Buffer
	opts := sourcesOptions{By: "service", Format: "json",
		filterOptions: filterOptions{Company: "acme", Lookback: "30d"},
		thresholds:    thresholds{FailBelow: 90, SpikeFactor: 3, SpikeMin: 100}}
	err := runSources(context.Background(), opts,
		sourcesDeps{Reader: sourcesStore(t), Out: &out, Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	var rows []map[string]any
	if err := json.Unmarshal(out.Bytes(), &rows); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range rows {
		if r["key"] != results.NoService {
			continue
		}
		found = true
		if s, ok := r["service"]; ok && s != "" {
			t.Errorf("unknown row has service %v", s)
		}
	}
	if !found {
		t.Errorf("no %s row in %s", results.NoService, out.String())
	}
}

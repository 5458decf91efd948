package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rptctl/rptctl/reports"
)

// showInputs are report files copied from the corpus: an aggregate report,
// a TLS report, a failure report, one with a dropped record, and one that
// is no report (b07: gzip of "unused").
const showIn = "testdata/show/in"

// TestRunShow prints the inputs as tables and as JSON and compares with
// the golden outputs; the bad file is reported on stderr, the others are
// printed, and the result is errSilent (exit status 1).
func TestRunShow(t *testing.T) {
	for _, format := range []string{"table", "json"} {
		t.Run(format, func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := runShow(context.Background(),
				showOptions{Paths: []string{showIn}, Format: format},
				showDeps{Out: &out, Err: &errOut})
			if !errors.Is(err, errSilent) {
				t.Errorf("err = %v, want errSilent", err)
			}
			checkGolden(t, "show/out."+format, out.Bytes())
			checkGolden(t, "show/stderr.txt", errOut.Bytes())
		})
	}
}

// TestRunShowJSONShape checks the JSON against CONTRACT.md section 5: one
// element per report across files, with kind, reportKey and warnings.
func TestRunShowJSONShape(t *testing.T) {
	var out, errOut bytes.Buffer
	err := runShow(context.Background(),
		showOptions{Paths: []string{filepath.Join(showIn, "*.xml"),
			filepath.Join(showIn, "*.json")}, Format: "json"},
		showDeps{Out: &out, Err: &errOut})
	if err != nil || errOut.Len() > 0 {
		t.Fatalf("err %v, stderr %q", err, errOut.String())
	}
	var got []map[string]any
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("got %d reports, want 3", len(got))
	}
	for _, r := range got {
		for _, k := range []string{"kind", "reportKey", "orgName", "reportId", "dateBegin",
			"dateEnd", "warnings"} {
			if _, ok := r[k]; !ok {
				t.Errorf("report %v lacks %q", r["reportId"], k)
			}
		}
	}
}

// fakeEnricher marks every record's source.
type fakeEnricher struct{}

func (fakeEnricher) Report(_ context.Context, r *reports.Report) {
	for i := range r.Records {
		r.Records[i].Source = &reports.Source{Hostname: "h.example.net", Service: "Example",
			Country: "NL", ASN: 64496}
	}
}

func TestRunShowEnriched(t *testing.T) {
	var out bytes.Buffer
	err := runShow(context.Background(),
		showOptions{Paths: []string{filepath.Join(showIn, "b09-two-dkim-results.xml")},
			Format: "table", Enrich: true},
		showDeps{Out: &out, Err: &out, Enricher: fakeEnricher{}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "h.example.net") || !strings.Contains(out.String(), "64496") {
		t.Errorf("enriched columns missing:\n%s", out.String())
	}
}

// TestShowCommandExitStatus runs the command as a user does.
func TestShowCommandExitStatus(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		status int
		stderr string
	}{
		{"good files", []string{filepath.Join(showIn, "b09-two-dkim-results.xml"),
			filepath.Join(showIn, "b54-rfc8460-keys.json")}, 0, ""},
		{"one bad file", []string{showIn}, 1, "b07-gzip-of-unused.xml.gz: gzip: content starts"},
		{"missing file", []string{"testdata/show/none.xml"}, 1, "none.xml"},
		{"no match", []string{"testdata/show/*.nothing"}, 1, "no file matches"},
		{"no path", nil, 2, "at least one PATH"},
		{"bad format", []string{"--format", "yaml", showIn}, 2, "--format"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			args := append([]string{"rptctl", "show"}, tt.args...)
			code := Main(args, streams{Out: &out, Err: &errOut})
			if code != tt.status {
				t.Errorf("exit status %d, want %d (stderr %q)", code, tt.status, errOut.String())
			}
			if !strings.Contains(errOut.String(), tt.stderr) {
				t.Errorf("stderr %q lacks %q", errOut.String(), tt.stderr)
			}
		})
	}
}

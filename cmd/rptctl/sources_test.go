package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rptctl/rptctl/awsio"
	"github.com/rptctl/rptctl/engine/results"
	"github.com/rptctl/rptctl/reports"
)

// The -update flag rewrites golden files. It is registered here only if
// another test file of the package has not done so already.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files")
	}
}

func updateGolden() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// checkGolden compares got with testdata/<name>, or rewrites it.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if updateGolden() {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file (run with -update to write it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// sourcesStore is a local store with five days of two services' mail for
// company acme, customer shop, and a day of history before them.
func sourcesStore(t *testing.T) awsio.Store {
	t.Helper()
	b, err := awsio.Open(context.Background(), awsio.Config{
		Backend: "local", DataDir: t.TempDir(), Queue: "q", DLQ: "q-dlq", Bucket: "rptctl",
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() }) // a test store: nothing to lose
	mail := &reports.Source{Hostname: "mail-a.sender.example", HostnameVerified: true,
		BaseDomain: "sender.example", Service: "Sender Mail", ServiceType: "esp",
		Country: "US", ASN: 64496}
	days := []struct {
		day        string
		good, spam int64
	}{
		{"2024-03-01", 120, 0}, {"2024-03-02", 130, 40}, {"2024-03-03", 700, 0},
		{"2024-03-04", 125, 0}, {"2024-03-05", 118, 0}, {"2024-02-25", 90, 0},
	}
	for i, d := range days {
		begin, _ := time.Parse(time.DateOnly, d.day)
		r := &reports.Report{
			Kind: reports.KindAggregate, ReportKey: strings.Repeat(string(rune('a'+i)), 32),
			OrgName: "Receiver", ReportID: d.day, DateBegin: begin,
			DateEnd: begin.Add(24*time.Hour - time.Second),
			Policy:  &reports.Policy{Domain: "shop.example", P: "reject"},
			Records: []reports.Record{{
				SourceIP: "192.0.2.10", Count: d.good, Disposition: "none", DKIM: "pass",
				SPF: "pass", DMARC: "pass", HeaderFrom: "shop.example", Source: mail,
			}},
		}
		if d.spam > 0 {
			r.Records = append(r.Records, reports.Record{
				SourceIP: "203.0.113.66", Count: d.spam, Disposition: "reject", DKIM: "fail",
				SPF: "fail", DMARC: "fail", HeaderFrom: "shop.example",
			})
		}
		storeLines(t, b.Store, r)
	}
	return b.Store
}

func storeLines(t *testing.T, s awsio.Store, r *reports.Report) {
	t.Helper()
	lines := results.Lines(r, results.Origin{TraceID: "t", CompanyID: "acme",
		CustomerID: "shop"})
	data, err := results.Encode(lines)
	if err != nil {
		t.Fatal(err)
	}
	key := results.ResultKey("acme", "shop", r.Kind, r.DateBegin, r.ReportKey, 1)
	if err := s.Put(context.Background(), key, data); err != nil {
		t.Fatal(err)
	}
}

func TestRunSources(t *testing.T) {
	store := sourcesStore(t)
	now := func() time.Time { return time.Date(2024, 3, 6, 12, 0, 0, 0, time.UTC) }
	period := filterOptions{Company: "acme", From: "2024-03-01", To: "2024-03-05",
		Lookback: "30d"}
	tests := []struct {
		name string
		opts sourcesOptions
	}{
		{"service.table", sourcesOptions{filterOptions: period, By: "service", Format: "table"}},
		{"hostname.csv", sourcesOptions{filterOptions: period, By: "hostname", Format: "csv"}},
		{"ip.json", sourcesOptions{filterOptions: period, By: "ip", Format: "json"}},
		{"day.table", sourcesOptions{filterOptions: period, By: "day", Format: "table"}},
		{"since.json", sourcesOptions{By: "service", Format: "json", filterOptions: filterOptions{
			Company: "acme", Since: "2d", Lookback: "30d", Domain: "SHOP.example"}}},
		{"empty.json", sourcesOptions{By: "service", Format: "json",
			filterOptions: filterOptions{Company: "nobody", Lookback: "30d"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.thresholds = thresholds{FailBelow: 90, SpikeFactor: 3, SpikeMin: 100}
			var out bytes.Buffer
			err := runSources(context.Background(), tt.opts,
				sourcesDeps{Reader: store, Out: &out, Now: now})
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, filepath.Join("sources", tt.name), out.Bytes())
		})
	}
}

func TestRunSourcesUsage(t *testing.T) {
	tests := []struct {
		name string
		opts sourcesOptions
	}{
		{"no company", sourcesOptions{By: "service", Format: "table"}},
		{"bad by", sourcesOptions{By: "asn", Format: "table"}},
		{"bad format", sourcesOptions{By: "ip", Format: "yaml"}},
		{"since and from", sourcesOptions{By: "ip", Format: "json",
			filterOptions: filterOptions{Since: "7d", From: "2024-01-01"}}},
		{"bad since", sourcesOptions{By: "ip", Format: "json",
			filterOptions: filterOptions{Since: "seven days"}}},
		{"bad date", sourcesOptions{By: "ip", Format: "json",
			filterOptions: filterOptions{From: "01/02/2024"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name != "no company" {
				tt.opts.Company = "acme"
			}
			tt.opts.Lookback = "30d"
			tt.opts.thresholds = thresholds{FailBelow: 90, SpikeFactor: 3}
			err := runSources(context.Background(), tt.opts,
				sourcesDeps{Reader: nil, Out: &bytes.Buffer{}, Now: time.Now})
			var usage *usageError
			if !errors.As(err, &usage) {
				t.Errorf("err = %v, want a usage error", err)
			}
		})
	}
}

func TestSourcesCommandExitStatus(t *testing.T) {
	var out, errOut bytes.Buffer
	s := streams{Out: &out, Err: &errOut}
	code := Main([]string{"rptctl", "--data-dir", t.TempDir(), "sources"}, s)
	if code != 2 || !strings.Contains(errOut.String(), "--company") {
		t.Errorf("exit %d, stderr %q; want 2 naming --company", code, errOut.String())
	}
	// sources creates nothing: the data folder is set up first.
	dir := t.TempDir()
	if code := Main([]string{"rptctl", "--data-dir", dir, "setup"}, s); code != 0 {
		t.Fatalf("setup: exit %d, stderr %q", code, errOut.String())
	}
	out.Reset()
	code = Main([]string{"rptctl", "--data-dir", dir, "sources", "--company", "acme",
		"--format", "json"}, s)
	if code != 0 || strings.TrimSpace(out.String()) != "[]" {
		t.Errorf("exit %d, stdout %q, stderr %q; want 0 and []", code, out.String(),
			errOut.String())
	}
}

func TestRunSourcesProgress(t *testing.T) {
	var out, progress bytes.Buffer
	opts := sourcesOptions{By: "day", Format: "csv",
		filterOptions: filterOptions{Company: "acme", Lookback: "30d"},
		thresholds:    thresholds{FailBelow: 90, SpikeFactor: 3, SpikeMin: 100}}
	err := runSources(context.Background(), opts, sourcesDeps{Reader: sourcesStore(t),
		Out: &out, Now: time.Now, Progress: &progress})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(progress.String(), "reading results: 6 of 6 objects") ||
		strings.Contains(out.String(), "reading") {
		t.Errorf("progress %q, output %q", progress.String(), out.String())
	}
}

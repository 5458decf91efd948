package main

import (
	"context"
	"encoding/base64"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rptctl/rptctl/awsio"
	"github.com/rptctl/rptctl/engine"
)

// TestE2EParseWorker runs `rptctl parse` alone, as a worker on another
// machine would run: it serves /metrics and pprof, enriches through a DNS
// server on 127.0.0.1, processes what is queued, and exits 0 on SIGTERM.
func TestE2EParseWorker(t *testing.T) {
	tmpl, id := templateReport(t)
	s := localSystem(t)
	b := s.backend(t)
	body := base64.StdEncoding.EncodeToString([]byte(strings.Replace(tmpl, id, "worker", 1)))
	attrs := map[string]awsio.Attribute{
		engine.AttrTraceID:    {DataType: "String", Value: "worker-1"},
		engine.AttrCompanyID:  {DataType: "String", Value: "acme"},
		engine.AttrCustomerID: {DataType: "String", Value: "c1"},
	}
	if _, err := b.Queue.Send(context.Background(), body, attrs); err != nil {
		t.Fatal(err)
	}

	p := startProc(t, s, "--log-format", "json", "parse", "--metrics-listen", "127.0.0.1:0",
		"--pprof", "--dns-server", slowDNS(t, 0), "--pipelines", "1", "--parsers", "1")
	url := "http://" + p.waitListening()
	deadline := time.Now().Add(time.Minute)
	var m metrics
	for {
		m = scrape(t, url)
		if m.get("rptctl_messages_total", "event", "deleted") == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the worker did not process the message\n%s", p.tail())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if sumSeries(m, "rptctl_enrich_dns_queries_total") == 0 {
		t.Errorf("no DNS queries counted by enrichment")
	}
	if m.get("rptctl_batches_total", "outcome", "stored") != 1 {
		t.Errorf("batches stored = %v, want 1", m.get("rptctl_batches_total", "outcome",
			"stored"))
	}
	resp, err := http.Get(url + "/debug/pprof/")
	if err != nil || resp.StatusCode != 200 {
		t.Errorf("pprof with --pprof: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	p.stop()
	if st := waitState(t, b.Store, "acme", "worker-1", engine.StateProcessed); len(
		st.Reports) != 1 {
		t.Errorf("status %+v", st)
	}
}

// sumSeries adds up every series of the metric name.
func sumSeries(m metrics, name string) float64 {
	total := 0.0
	for series, v := range m {
		if series == name || strings.HasPrefix(series, name+"{") {
			total += v
		}
	}
	return total
}

// TestE2EIngestOnlyWithWorker splits the system as on many machines:
// `serve --parser=false` only queues, `parse --once` works the queue off.
func TestE2EIngestOnlyWithWorker(t *testing.T) {
	root := corpusRoot(t)
	s := localSystem(t)
	srv := startServe(t, s, "--parser=false")
	files := []string{filepath.Join(root, "real", "mox", "google.eml"),
		filepath.Join(root, "real", "parsedmarc", "!large-example.com!1711897200!1711983600.xml")}
	rows := submitFiles(t, s, srv.url, "acme", files)
	b := s.backend(t)
	for _, f := range files {
		if rows[f].State != "queued" {
			t.Fatalf("%s: %+v", f, rows[f])
		}
	}
	if n := strings.Count(strings.Join(srv.log(), "\n"), "report batch"); n != 0 {
		t.Errorf("serve --parser=false logged %d report batches", n)
	}
	if _, errOut, code := s.run(t, "parse", "--once", "--no-dns"); code != 0 {
		t.Fatalf("parse --once: exit %d: %s", code, errOut)
	}
	for _, f := range files {
		st := waitState(t, b.Store, "acme", rows[f].TraceID, engine.StateProcessed)
		if len(st.Reports) != 1 {
			t.Errorf("%s: %+v", f, st)
		}
	}
	srv.stop()
	checkEmpty(t, b)
}

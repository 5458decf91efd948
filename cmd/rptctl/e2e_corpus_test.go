package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rptctl/rptctl/awsio"
	"github.com/rptctl/rptctl/engine"
	"github.com/rptctl/rptctl/engine/results"
)

// fact is one row of a corpus INDEX.tsv: one report inside a file.
type fact struct {
	file, kind, expect                           string
	orgName, reportID, begin, end, policyDomain  string
	records, messages, policies, success, failed int64 // -1: not checked
	sourceIP, reportedDomain                     string
}

// corpusRoot finds ../shared/corpus beside the repository. It skips
// loudly when the corpus is missing, and fails with CI=true.
func corpusRoot(t testing.TB) string {
	t.Helper()
	root := os.Getenv("RPTCTL_CORPUS")
	if root == "" {
		root = filepath.Join("..", "..", "..", "shared", "corpus")
	}
	if _, err := os.Stat(filepath.Join(root, "real", "INDEX.tsv")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("corpus missing at %s (CI=true): %v", root, err)
		}
		t.Skipf("SKIPPED: corpus missing at %s (set RPTCTL_CORPUS): %v", root, err)
	}
	return root
}

// loadFacts reads the INDEX.tsv of real/ and cases/.
func loadFacts(t testing.TB, root string) []fact {
	t.Helper()
	var out []fact
	for _, dir := range []string{"real", "cases"} {
		data, err := os.ReadFile(filepath.Join(root, dir, "INDEX.tsv"))
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
		for _, line := range lines[1:] {
			c := strings.Split(line, "\t")
			for len(c) < 17 {
				c = append(c, "")
			}
			out = append(out, fact{
				file: filepath.Join(root, dir, c[0]), kind: c[2], expect: c[3],
				orgName: c[4], reportID: c[5], begin: c[6], end: c[7], policyDomain: c[8],
				records: num(c[9]), messages: num(c[10]), policies: num(c[11]),
				success: num(c[12]), failed: num(c[13]), sourceIP: c[14],
				reportedDomain: c[15],
			})
		}
	}
	return out
}

func num(s string) int64 {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return -1
	}
	return n
}

// corpusFiles lists each file of the facts once, in order.
func corpusFiles(facts []fact) []string {
	seen := map[string]bool{}
	var out []string
	for _, f := range facts {
		if !seen[f.file] {
			seen[f.file] = true
			out = append(out, f.file)
		}
	}
	return out
}

// submitRow is a row of `submit --format json`.
type submitRow struct {
	Path     string `json:"path"`
	TraceID  string `json:"traceId"`
	Delivery string `json:"delivery"`
	State    string `json:"state"`
	Error    string `json:"error"`
}

func submitFiles(t testing.TB, s *system, url, company string, files []string,
	extra ...string) map[string]submitRow {
	t.Helper()
	args := append([]string{"submit", "--server", url, "--company", company,
		"--customer", "c1", "--format", "json", "--parallel", "4"}, extra...)
	out, errOut, code := s.run(t, append(args, files...)...)
	if code != 0 && code != 1 {
		t.Fatalf("submit exited %d: %s", code, errOut)
	}
	var rows []submitRow
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("submit output: %v\n%s\n%s", err, out, errOut)
	}
	m := map[string]submitRow{}
	for _, r := range rows {
		m[r.Path] = r
	}
	if len(m) != len(files) {
		t.Fatalf("submit printed %d rows for %d files", len(m), len(files))
	}
	return m
}

// stored is what the result objects hold for one reportKey.
type stored struct {
	kind, orgName, reportID, policyDomain string
	begin, end                            time.Time
	lines                                 int64
	messages, success, failed             int64
	sourceIPs                             map[string]bool
	reportedDomain                        string
	objects                               int
}

// readResults reads every result object of a company, by reportKey.
func readResults(t testing.TB, st awsio.Store, company string) map[string]*stored {
	t.Helper()
	ctx := context.Background()
	infos, err := st.List(ctx, results.CompanyPrefix(company))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*stored{}
	for _, info := range infos {
		data, err := st.Get(ctx, info.Key)
		if err != nil {
			t.Fatal(err)
		}
		lines, err := results.Decode(data)
		if err != nil {
			t.Fatalf("%s: %v", info.Key, err)
		}
		key := strings.TrimSuffix(filepath.Base(info.Key), ".ndjson.gz")
		if i := strings.IndexByte(key, '-'); i >= 0 {
			key = key[:i]
		}
		s := out[key]
		if s == nil {
			s = &stored{sourceIPs: map[string]bool{}}
			out[key] = s
		}
		s.objects++
		for _, l := range lines {
			if l.ReportKey != key {
				t.Errorf("%s holds a line of report %s", info.Key, l.ReportKey)
			}
			s.kind, s.orgName, s.reportID = string(l.Kind), l.OrgName, l.ReportID
			s.begin, s.end = l.DateBegin, l.DateEnd
			if s.lines == 0 {
				s.policyDomain = l.PolicyDomain
			}
			if !l.IsRecord() {
				// The one line of a report with no records: its fields only.
				continue
			}
			s.lines++
			s.messages += l.Count
			s.success += l.SuccessfulSessions
			s.failed += l.FailedSessions
			s.sourceIPs[l.SourceIP] = true
			if l.ReportedDomain != "" {
				s.reportedDomain = l.ReportedDomain
			}
		}
	}
	return out
}

// matches reports whether a stored report is the one a fact describes,
// counts included.
func (f fact) matches(s *stored) bool {
	eqTime := func(want string, got time.Time) bool {
		w, err := time.Parse(time.RFC3339, want)
		return want == "" || (err == nil && w.Equal(got))
	}
	eq := func(want, got string) bool { return want == "" || want == got }
	eqN := func(want, got int64) bool { return want < 0 || want == got }
	if s.lines == 0 {
		// An aggregate report without records is stored as an empty object:
		// only its count can be checked.
		return f.kind == "aggregate" && f.records == 0
	}
	if s.kind != f.kind || !eq(f.orgName, s.orgName) ||
		!eq(f.reportID, s.reportID) || !eqTime(f.begin, s.begin) || !eqTime(f.end, s.end) {
		return false
	}
	switch f.kind {
	case "aggregate":
		return eq(f.policyDomain, s.policyDomain) && eqN(f.records, s.lines) &&
			eqN(f.messages, s.messages)
	case "tlsrpt":
		return eqN(f.policies, s.lines) && eqN(f.success, s.success) &&
			eqN(f.failed, s.failed)
	case "failure":
		return s.lines == 1 && (f.sourceIP == "" || s.sourceIPs[f.sourceIP]) &&
			eq(f.reportedDomain, s.reportedDomain)
	}
	return false
}

func TestE2ECorpusLocal(t *testing.T) { testCorpus(t, localSystem(t)) }

func TestE2ECorpusAWS(t *testing.T) { testCorpus(t, awsSystem(t)) }

// testCorpus submits every corpus file for two companies with
// `submit --wait` and checks results, log lines, queue, DLQ and metrics
// against the corpus facts.
func testCorpus(t *testing.T, s *system) {
	root := corpusRoot(t)
	facts := loadFacts(t, root)
	files := corpusFiles(facts)
	srv := startServe(t, s)

	companies := []string{"acme", "beta"}
	rows := map[string]map[string]submitRow{}
	for _, c := range companies {
		rows[c] = submitFiles(t, s, srv.url, c, files, "--wait", "--wait-timeout", "2m")
	}
	m := scrape(t, srv.url)
	srv.stop()

	b := s.backend(t)
	checkQueuesAfterCorpus(t, b)
	var w work
	byFile := map[string][]fact{}
	for _, f := range facts {
		byFile[f.file] = append(byFile[f.file], f)
	}
	for _, c := range companies {
		res := readResults(t, b.Store, c)
		for _, file := range files {
			w.add(checkFile(t, b, c, byFile[file], rows[c][file], res))
		}
		checkLogLines(t, srv.batchLines(t), c, res)
	}
	large := filepath.Join(root, "real", "parsedmarc",
		"!large-example.com!1711897200!1711983600.xml")
	if r := rows["acme"][large]; r.Delivery != "offloaded" || r.State != "processed" {
		t.Errorf("the 900 KB report: %+v, want offloaded and processed", r)
	}
	w.batches = len(srv.batchLines(t))
	checkMetrics(t, m, w)
}

// work counts what a corpus run did, to compare with the metrics.
type work struct {
	accepted, refused, processed, dlq, reports, batches int
	bytes                                               int64
}

func (w *work) add(o work) {
	w.accepted += o.accepted
	w.refused += o.refused
	w.processed += o.processed
	w.dlq += o.dlq
	w.reports += o.reports
	w.bytes += o.bytes
}

func checkQueuesAfterCorpus(t *testing.T, b *awsio.Backend) {
	t.Helper()
	st, err := b.Queue.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.Visible+st.InFlight+st.Delayed != 0 {
		t.Errorf("queue not empty at the end: %+v", st)
	}
}

// checkFile checks one file's fate for one company against its facts.
func checkFile(t *testing.T, b *awsio.Backend, company string, facts []fact,
	row submitRow, res map[string]*stored) work {
	t.Helper()
	ok, errs := 0, 0
	for _, f := range facts {
		switch f.expect {
		case "ok":
			ok++
		case "error":
			errs++
		}
	}
	var w work
	if row.State != "refused" {
		w.accepted = 1
		if fi, err := os.Stat(row.Path); err == nil {
			w.bytes = fi.Size()
		}
	}
	switch {
	case row.State == "refused":
		w.refused = 1
		if ok > 0 || !strings.Contains(row.Error, "415") {
			t.Errorf("%s (%s): refused: %s", row.Path, company, row.Error)
		}
		return w
	case row.State == "failed":
		w.dlq = 1
		if ok > 0 {
			t.Errorf("%s (%s): failed, want processed", row.Path, company)
		}
		checkDeadLettered(t, b, company, row)
		return w
	case row.State != "processed":
		t.Errorf("%s (%s): state %q (%s)", row.Path, company, row.State, row.Error)
		return w
	}
	w.processed = 1
	if ok == 0 && errs > 0 {
		t.Errorf("%s (%s): processed, want refused or failed", row.Path, company)
	}
	st, err := engine.GetStatus(context.Background(), b.Store, company, row.TraceID)
	if err != nil {
		t.Fatal(err)
	}
	w.reports = len(st.Reports)
	if errs > 0 && st.Error == "" {
		t.Errorf("%s (%s): a part should have failed, status has no error", row.Path, company)
	}
	checkFacts(t, company, facts, st, res)
	return w
}

// checkFacts finds each expected report of a file among the reports its
// status lists, with the counts of the facts.
func checkFacts(t *testing.T, company string, facts []fact, st engine.Status,
	res map[string]*stored) {
	t.Helper()
	want := 0
	skip := false
	for _, f := range facts {
		skip = skip || f.expect == "skip"
		if f.expect != "ok" {
			continue
		}
		want++
		found := false
		for _, k := range st.Reports {
			if s := res[k]; s != nil && f.matches(s) {
				found = true
			}
		}
		if !found {
			var got []stored
			for _, k := range st.Reports {
				if res[k] != nil {
					got = append(got, *res[k])
				}
			}
			t.Errorf("%s (%s): no stored report matches %+v; stored %+v", f.file, company,
				f, got)
		}
	}
	if !skip && len(st.Reports) != want {
		t.Errorf("%s (%s): %d reports stored, want %d", facts[0].file, company,
			len(st.Reports), want)
	}
}

// checkDeadLettered checks that a failed submission is in the DLQ with its
// error recorded.
func checkDeadLettered(t *testing.T, b *awsio.Backend, company string, row submitRow) {
	t.Helper()
	f, err := engine.GetFailure(context.Background(), b.Store, row.TraceID)
	if err != nil {
		t.Errorf("%s (%s): no failure record: %v", row.Path, company, err)
	} else if f.Error == "" || f.CompanyID != company || !f.Permanent {
		t.Errorf("%s (%s): failure record %+v", row.Path, company, f)
	}
	if !inDLQ(t, b, row.TraceID) {
		t.Errorf("%s (%s): trace %s not in the DLQ", row.Path, company, row.TraceID)
	}
}

// inDLQ reports whether the DLQ holds the message of traceID.
func inDLQ(t testing.TB, b *awsio.Backend, traceID string) bool {
	t.Helper()
	p, ok := b.DLQ.(awsio.Peeker)
	if !ok {
		t.Fatal("the DLQ cannot be peeked")
	}
	msgs, err := p.Peek(context.Background(), 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if m.Attributes[engine.AttrTraceID].Value == traceID {
			return true
		}
	}
	return false
}

// checkLogLines checks that the `report batch` lines of a company add up
// to what was stored, for every submission that logged a report.
func checkLogLines(t *testing.T, lines []batchLine, company string, res map[string]*stored) {
	t.Helper()
	type group struct {
		seen              map[int]bool
		batches, records  int
		messages          int64
		pass, fail, rowsN int64
	}
	groups := map[[2]string]*group{}
	for _, l := range lines {
		if l.CompanyID != company {
			continue
		}
		k := [2]string{l.TraceID, l.ReportKey}
		g := groups[k]
		if g == nil {
			g = &group{seen: map[int]bool{}, batches: l.Batches}
			groups[k] = g
		}
		if g.seen[l.Batch] || l.Batch < 1 || l.Batch > l.Batches || l.Batches != g.batches {
			t.Errorf("report %s: batch %d/%d logged twice or out of range", l.ReportKey,
				l.Batch, l.Batches)
		}
		g.seen[l.Batch] = true
		g.records += l.Records
		g.messages += l.Messages
		g.rowsN += int64(len(l.Rows))
		if int64(l.Records) != int64(len(l.Rows)) {
			t.Errorf("report %s: %d records but %d rows", l.ReportKey, l.Records, len(l.Rows))
		}
	}
	if len(groups) == 0 {
		t.Errorf("no report batch lines for %s", company)
	}
	for k, g := range groups {
		s := res[k[1]]
		if s == nil {
			t.Errorf("report %s logged but not stored", k[1])
			continue
		}
		wantMsgs := s.messages
		switch s.kind {
		case "tlsrpt":
			wantMsgs = s.success + s.failed
		case "failure":
			wantMsgs = 1
		}
		if len(g.seen) != g.batches || int64(g.records) != s.lines || g.messages != wantMsgs {
			t.Errorf("report %s: log says %d/%d batches, %d records, %d messages; "+
				"stored %d lines, %d messages", k[1], len(g.seen), g.batches, g.records,
				g.messages, s.lines, wantMsgs)
		}
	}
}

// checkMetrics compares the scraped counters with the work done.
func checkMetrics(t *testing.T, m metrics, w work) {
	t.Helper()
	post := "POST /v1/reports"
	checks := []struct {
		name string
		got  float64
		want int64
	}{
		{"requests 202", m.get("rptctl_http_requests_total", "route", post, "code", "202"),
			int64(w.accepted)},
		{"requests 415", m.get("rptctl_http_requests_total", "route", post, "code", "415"),
			int64(w.refused)},
		{"bytes accepted", m.get("rptctl_ingest_bytes_total"), w.bytes},
		{"time to queue observations", m.get("rptctl_ingest_queue_seconds_count"),
			int64(w.accepted)},
		{"messages received", m.get("rptctl_messages_total", "event", "received"),
			int64(w.accepted)},
		{"messages deleted", m.get("rptctl_messages_total", "event", "deleted"),
			int64(w.processed)},
		{"messages to DLQ", m.get("rptctl_messages_total", "event", "dlq"), int64(w.dlq)},
		{"batches stored", m.get("rptctl_batches_total", "outcome", "stored"),
			int64(w.batches)},
		{"batch latency observations", m.get("rptctl_batch_store_seconds_count"),
			int64(w.batches)},
	}
	for _, c := range checks {
		if int64(c.got) != c.want {
			t.Errorf("metric %s = %v, want %d", c.name, c.got, c.want)
		}
	}
	parsed := 0.0
	for _, k := range []string{"aggregate", "tlsrpt", "failure"} {
		parsed += m.get("rptctl_reports_parsed_total", "kind", k, "outcome", "ok")
	}
	if int(parsed) != w.reports {
		t.Errorf("reports parsed ok = %v, want %d", parsed, w.reports)
	}
	if m.get("rptctl_pipeline_stage_items", "stage", "held") != 0 {
		t.Errorf("messages still held at the end")
	}
}

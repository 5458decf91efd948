package reports

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// corpusDir is the shared corpus beside the repository
// (../shared/corpus from the repository root).
const corpusDir = "../../shared/corpus"

// indexRow is one row of a corpus INDEX.tsv: the facts one report in a
// file must parse to. Empty cells are not checked.
type indexRow map[string]string

// corpusFolders returns the corpus folders, skipping the test loudly when
// the corpus is missing (failing under CI=true).
func corpusFolders(t testing.TB) []string {
	t.Helper()
	if _, err := os.Stat(corpusDir); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("corpus %s missing under CI: %v", corpusDir, err)
		}
		t.Skipf("SKIPPED: corpus %s not found (%v); set it up to run this test", corpusDir, err)
	}
	return []string{filepath.Join(corpusDir, "cases"), filepath.Join(corpusDir, "real")}
}

// readIndex reads a folder's INDEX.tsv grouped by path, in file order.
func readIndex(t testing.TB, dir string) ([]string, map[string][]indexRow) {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "INDEX.tsv"))
	if err != nil {
		t.Fatalf("opening index: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var cols, order []string
	rows := map[string][]indexRow{}
	for sc.Scan() {
		cells := strings.Split(sc.Text(), "\t")
		if cols == nil {
			cols = cells
			continue
		}
		row := indexRow{}
		for i, c := range cols {
			if i < len(cells) {
				row[c] = cells[i]
			}
		}
		if _, seen := rows[row["path"]]; !seen {
			order = append(order, row["path"])
		}
		rows[row["path"]] = append(rows[row["path"]], row)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("reading index: %v", err)
	}
	return order, rows
}

// parseCorpusFile parses one corpus file.
func parseCorpusFile(t testing.TB, dir, path string) ([]*Report, error) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, path))
	if err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	return Parse(data, Options{Name: path})
}

// TestCorpus checks every row of the corpus indexes: outcome, and the
// facts of each report.
func TestCorpus(t *testing.T) {
	checkCorpus(t)
}

// TestCorpusOtherZone runs the corpus check with the local time zone set
// to Europe/Warsaw: times must come out the same, in UTC.
func TestCorpusOtherZone(t *testing.T) {
	loc, err := time.LoadLocation("Europe/Warsaw")
	if err != nil {
		t.Skipf("SKIPPED: no zone database: %v", err)
	}
	saved := time.Local
	time.Local = loc
	t.Cleanup(func() { time.Local = saved })
	checkCorpus(t)
}

func checkCorpus(t *testing.T) {
	for _, dir := range corpusFolders(t) {
		order, rows := readIndex(t, dir)
		for _, path := range order {
			t.Run(filepath.Base(dir)+"/"+path, func(t *testing.T) {
				rs, err := parseCorpusFile(t, dir, path)
				checkFile(t, rows[path], rs, err)
			})
		}
	}
}

// checkFile matches a file's reports to its rows: "ok" rows to reports in
// order, "error" rows to part errors.
func checkFile(t *testing.T, rows []indexRow, rs []*Report, err error) {
	var oks []indexRow
	wantErrs := 0
	skip := false
	for _, r := range rows {
		switch r["expect"] {
		case "ok":
			oks = append(oks, r)
		case "error":
			wantErrs++
		case "skip":
			skip = true
		}
	}
	if skip {
		t.Logf("skip row: %d reports, err %v", len(rs), err)
		return
	}
	gotErrs := countPartErrors(t, err)
	if gotErrs != wantErrs {
		t.Errorf("got %d part errors, want %d: %v", gotErrs, wantErrs, err)
	}
	if len(rs) != len(oks) {
		t.Fatalf("got %d reports, want %d (err %v)", len(rs), len(oks), err)
	}
	for i, row := range oks {
		checkRow(t, row, rs[i])
	}
}

// countPartErrors counts the *PartError joined in err, checking each
// names a reason.
func countPartErrors(t *testing.T, err error) int {
	if err == nil {
		return 0
	}
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else {
		errs = []error{err}
	}
	for _, e := range errs {
		var pe *PartError
		if !errors.As(e, &pe) {
			t.Errorf("error %v is not a *PartError", e)
		}
	}
	return len(errs)
}

// checkRow compares one report with the facts of its row.
func checkRow(t *testing.T, row indexRow, r *Report) {
	t.Helper()
	eq := func(col, got string) {
		t.Helper()
		if want := row[col]; want != "" && got != want {
			t.Errorf("%s = %q, want %q", col, got, want)
		}
	}
	eq("kind", string(r.Kind))
	eq("orgName", r.OrgName)
	eq("reportId", r.ReportID)
	eq("dateBegin", r.DateBegin.Format(time.RFC3339))
	eq("dateEnd", r.DateEnd.Format(time.RFC3339))
	eq("policyDomain", r.PolicyDomain())
	if r.DateBegin.Location() != time.UTC || r.DateEnd.Location() != time.UTC {
		t.Errorf("dates not in UTC: %v %v", r.DateBegin, r.DateEnd)
	}
	if r.ReportKey != ReportKey(r) || len(r.ReportKey) != 32 {
		t.Errorf("reportKey %q not set", r.ReportKey)
	}
	if r.Warnings == nil {
		t.Errorf("warnings nil, want a list")
	}

	switch r.Kind {
	case KindAggregate:
		var msgs int64
		for _, rec := range r.Records {
			msgs += rec.Count
		}
		eq("records", strconv.Itoa(len(r.Records)))
		eq("messages", strconv.FormatInt(msgs, 10))
		checkRecordIPs(t, row["notes"], r)
	case KindTLSRPT:
		var ok, failed int64
		for _, p := range r.Policies {
			ok += p.SuccessfulSessions
			failed += p.FailedSessions
		}
		eq("policies", strconv.Itoa(len(r.Policies)))
		eq("successfulSessions", strconv.FormatInt(ok, 10))
		eq("failedSessions", strconv.FormatInt(failed, 10))
	case KindFailure:
		eq("sourceIp", r.Failure.SourceIP)
		eq("reportedDomain", r.Failure.ReportedDomain)
	}
}

// checkRecordIPs checks the "record IPs a b c" list of a row's notes.
func checkRecordIPs(t *testing.T, notes string, r *Report) {
	t.Helper()
	i := strings.Index(notes, "record IPs ")
	if i < 0 {
		return
	}
	want := strings.Fields(notes[i+len("record IPs "):])
	var got []string
	for _, rec := range r.Records {
		got = append(got, rec.SourceIP)
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("record IPs %v, want %v", got, want)
	}
}

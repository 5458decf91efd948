package engine

import (
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/rptctl/rptctl/engine/results"
)

// Storing a report again with larger batches removes the extra objects
// of the earlier split, so that its records are counted once.
func TestEnginePrunesStaleBatches(t *testing.T) {
	tests := []struct {
		name          string
		first, second int // --batch-records of the two runs
		wantObjects   []string
	}{
		{"1 then 200", 1, 200, []string{"key-a.ndjson.gz"}},
		{"1 then 2", 1, 2, []string{"key-a-0002.ndjson.gz", "key-a.ndjson.gz"}},
		{"2 then 1 grows", 2, 1, []string{"key-a-0002.ndjson.gz", "key-a-0003.ndjson.gz",
			"key-a.ndjson.gz"}},
	}
	prefix := "results/company=acme/customer=c1/kind=aggregate/date=2024-01-02/"
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, 5)
			// Another report whose key shares the prefix must stay.
			r.submit(t, "other", "report a0 1")
			r.cfg.BatchRecords = tt.first
			r.submit(t, "t1", "report a 3")
			r.run(t)
			r.cfg.BatchRecords = tt.second
			r.submit(t, "t2", "report a 3")
			r.run(t)

			var got []string
			records := 0
			for _, k := range r.store.keys(prefix + "key-a") {
				if strings.HasPrefix(k, prefix+"key-a0") {
					continue
				}
				got = append(got, strings.TrimPrefix(k, prefix))
				lines, err := results.Decode(r.store.objs[k])
				if err != nil {
					t.Fatal(err)
				}
				records += len(lines)
			}
			if strings.Join(got, ",") != strings.Join(tt.wantObjects, ",") {
				t.Errorf("objects = %v, want %v", got, tt.wantObjects)
			}
			if records != 3 {
				t.Errorf("stored %d records, want the report's 3", records)
			}
			if len(r.store.keys(prefix+"key-a0")) != 1 {
				t.Errorf("the other report's object was removed")
			}
		})
	}
}

func TestBatchNumber(t *testing.T) {
	const p = "results/x/key"
	tests := []struct {
		key  string
		n    int
		isOK bool
	}{
		{p + ".ndjson.gz", 1, true},
		{p + "-0002.ndjson.gz", 2, true},
		{p + "-0123.ndjson.gz", 123, true},
		{p + "-12345.ndjson.gz", 12345, true},
		{p + "0.ndjson.gz", 0, false},
		{p + "-02.ndjson.gz", 0, false},
		{p + "-0001.ndjson.gz", 0, false},
		{p + "-0002.json", 0, false},
		{"results/y/key.ndjson.gz", 0, false},
	}
	for _, tt := range tests {
		n, ok := batchNumber(p, tt.key)
		if n != tt.n || ok != tt.isOK {
			t.Errorf("batchNumber(%q) = %d, %v; want %d, %v", tt.key, n, ok, tt.n, tt.isOK)
		}
	}
}

// An aggregate report with no records is stored as one line of its
// fields, and logged as a batch of 0 records, 0 messages and no rows.
func TestEngineZeroRecordBatch(t *testing.T) {
	r := newRig(t, 5)
	r.submit(t, "t1", "report z 0")
	r.run(t)

	lines := r.batchLines(t)
	if len(lines) != 1 {
		t.Fatalf("%d batch lines, want 1", len(lines))
	}
	l := lines[0]
	if l["records"].(float64) != 0 || l["messages"].(float64) != 0 ||
		len(l["rows"].([]any)) != 0 {
		t.Errorf("batch line = %v, want 0 records, 0 messages, no rows", l)
	}
	key := "results/company=acme/customer=c1/kind=aggregate/date=2024-01-02/key-z.ndjson.gz"
	stored, err := results.Decode(r.store.objs[key])
	if err != nil || len(stored) != 1 || stored[0].IsRecord() {
		t.Errorf("stored = %+v, %v; want one report line", stored, err)
	}
}

// The rows of a batch line read as the CONTRACT names in both log formats.
func TestBatchLogRowsFormats(t *testing.T) {
	rows := logRows{{SourceIP: "192.0.2.1", Hostname: "mx.example.net", Service: "Example",
		Count: 3, DMARC: "pass", Disposition: "none", HeaderFrom: "example.com"}}
	l := &batchLog{reportKey: "k", kind: "aggregate", batch: 1, batches: 1, records: 1,
		rows: rows}
	o := results.Origin{TraceID: "t", CompanyID: "acme", CustomerID: "c1"}

	var text strings.Builder
	logBatch(slog.New(slog.NewTextHandler(&text, nil)), o, l)
	if !strings.Contains(text.String(), "sourceIp=192.0.2.1") ||
		!strings.Contains(text.String(), "headerFrom=example.com") ||
		strings.Contains(text.String(), "SourceIP") {
		t.Errorf("text line = %s", text.String())
	}

	var js strings.Builder
	logBatch(slog.New(slog.NewJSONHandler(&js, nil)), o, l)
	var m struct {
		Rows []map[string]any `json:"rows"`
	}
	if err := json.Unmarshal([]byte(js.String()), &m); err != nil {
		t.Fatal(err)
	}
	if len(m.Rows) != 1 || m.Rows[0]["sourceIp"] != "192.0.2.1" ||
		m.Rows[0]["count"].(float64) != 3 || len(m.Rows[0]) != 7 {
		t.Errorf("json rows = %v", m.Rows)
	}
}

package results

import (
	"context"
	"math"
	"strings"
	"testing"
)

// edgeStore holds, for acme/c1 on 2024-03-02 and 03-03:
//   - "huge": two records of MaxInt64 messages (stored before the parser
//     capped counts), one passing;
//   - "nine": an RFC 9990 record with disposition pass;
//   - "empty": a report with no records on 2024-03-03.
func edgeStore(t *testing.T) *Querier {
	s := newStore(t)
	o := Origin{TraceID: "t", CompanyID: "acme", CustomerID: "c1"}
	storeReport(t, s, o, aggReport("huge", date("2024-03-02"),
		rec{ip: "192.0.2.1", count: math.MaxInt64, dmarc: "pass"},
		rec{ip: "192.0.2.2", count: math.MaxInt64, dmarc: "fail"}), 0)
	storeReport(t, s, o, aggReport("nine", date("2024-03-03"),
		rec{ip: "192.0.2.3", count: 5, dmarc: "pass", disposition: "pass"}), 0)
	storeReport(t, s, o, aggReport("empty", date("2024-03-03")), 0)
	return NewQuerier(s, 2)
}

func TestSourcesEdgeCases(t *testing.T) {
	q := edgeStore(t)
	tests := []struct {
		name  string
		by    Grouping
		key   string
		check func(r SourceRow) bool
	}{
		{"sums saturate", ByDay, "2024-03-02", func(r SourceRow) bool {
			return r.Messages == math.MaxInt64 && r.DMARCPass == math.MaxInt64 &&
				r.PassRate() >= 0 && r.PassRate() <= 1
		}},
		{"pass is none", ByIP, "192.0.2.3", func(r SourceRow) bool {
			return r.Dispositions.None == 5 && r.Messages == 5
		}},
		{"empty report counts by day", ByDay, "2024-03-03", func(r SourceRow) bool {
			return r.Reports == 2 && r.Messages == 5
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := q.Sources(context.Background(), SourcesQuery{
				Filter: Filter{Company: "acme"}, By: tt.by})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rows {
				if r.Messages < 0 || r.PassRate() < 0 || r.PassRate() > 1 {
					t.Errorf("row %+v: negative sum or pass rate outside 0-1", r)
				}
				if tt.by == ByIP && r.Key == "" {
					t.Errorf("a report without records became source row %+v", r)
				}
			}
			if r := findRow(t, rows, tt.key); !tt.check(r) {
				t.Errorf("row %+v: check does not hold", r)
			}
		})
	}
}

func TestDatasetKeepsEmptyReportsApart(t *testing.T) {
	q := edgeStore(t)
	d := NewDataset(Filter{Company: "acme"}, 0)
	err := q.Load(context.Background(), d, func(c Chunk) error {
		d.Add(c)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Aggregate) != 3 || len(d.Empty) != 1 {
		t.Fatalf("%d records and %d empty reports, want 3 and 1",
			len(d.Aggregate), len(d.Empty))
	}
	for _, l := range d.Records(nil) {
		if !l.IsRecord() {
			t.Errorf("Records holds the report without records %+v", l)
		}
	}
	for _, r := range d.Sources(ByService, nil, FlagOptions{}) {
		if r.Reports != 2 {
			t.Errorf("service row %+v: want 2 reports (the empty one is none)", r)
		}
	}
	byDay := d.Sources(ByDay, nil, FlagOptions{})
	if r := findRow(t, byDay, "2024-03-03"); r.Reports != 2 {
		t.Errorf("day row %+v: want 2 reports", r)
	}
}

func TestFilterValidateIDs(t *testing.T) {
	tests := []struct {
		f  Filter
		ok bool
	}{
		{Filter{Company: "acme", Customer: "shop-1.eu_x"}, true},
		{Filter{}, false},
		{Filter{Company: "../etc"}, false},
		{Filter{Company: ".acme"}, false},
		{Filter{Company: "acme", Customer: "a/b"}, false},
		{Filter{Company: strings.Repeat("a", 65)}, false},
	}
	for _, tt := range tests {
		if err := tt.f.Validate(); (err == nil) != tt.ok {
			t.Errorf("Validate(%+v) = %v, want ok %v", tt.f, err, tt.ok)
		}
	}
}

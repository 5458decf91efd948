package results

import (
	"testing"
	"time"

	"github.com/rptctl/rptctl/reports"
)

func TestPeriod(t *testing.T) {
	now := time.Date(2024, 3, 10, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		since, from, to string
		wantFrom        time.Time
		wantTo          time.Time
		wantErr         bool
	}{
		{"", "", "", time.Time{}, time.Time{}, false},
		{"7d", "", "", now.Add(-7 * 24 * time.Hour), time.Time{}, false},
		{"24h", "", "", now.Add(-24 * time.Hour), time.Time{}, false},
		{"2w", "", "", now.Add(-14 * 24 * time.Hour), time.Time{}, false},
		{"", "2024-03-01", "2024-03-03", date("2024-03-01"), date("2024-03-04"), false},
		{"", "2024-03-01", "", date("2024-03-01"), time.Time{}, false},
		{"", "", "2024-03-03", time.Time{}, date("2024-03-04"), false},
		{"", "2024-03-01T06:00:00+02:00", "2024-03-01T12:00:00Z",
			date("2024-03-01").Add(4 * time.Hour), date("2024-03-01").Add(12 * time.Hour), false},
		{"7d", "2024-03-01", "", time.Time{}, time.Time{}, true},
		{"0d", "", "", time.Time{}, time.Time{}, true},
		{"-3h", "", "", time.Time{}, time.Time{}, true},
		{"week", "", "", time.Time{}, time.Time{}, true},
		{"", "03/01/2024", "", time.Time{}, time.Time{}, true},
		{"", "2024-03-05", "2024-03-01", time.Time{}, time.Time{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.since+"|"+tt.from+"|"+tt.to, func(t *testing.T) {
			from, to, err := Period(tt.since, tt.from, tt.to, now)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if !from.Equal(tt.wantFrom) || !to.Equal(tt.wantTo) {
				t.Errorf("period %s to %s, want %s to %s", from, to, tt.wantFrom, tt.wantTo)
			}
		})
	}
}

func TestParseKey(t *testing.T) {
	begin := date("2024-03-01")
	tests := []struct {
		key   string
		ok    bool
		batch int
		rk    string
	}{
		{ResultKey("acme", "c1", reports.KindAggregate, begin, "abc", 1), true, 1, "abc"},
		{ResultKey("acme", "c1", reports.KindTLSRPT, begin, "abc", 12), true, 12, "abc"},
		{ResultKey("acme", "c-1", reports.KindFailure, begin, "a-b", 1), true, 1, "a-b"},
		{"results/company=acme/customer=c1/kind=aggregate/date=2024-13-01/x.ndjson.gz",
			false, 0, ""},
		{"results/company=acme/customer=c1/kind=aggregate/x.ndjson.gz", false, 0, ""},
		{"results/company=acme/customer=c1/kind=aggregate/date=2024-03-01/x.json", false, 0, ""},
		{"status/acme/t.json", false, 0, ""},
		{"results/company=/customer=c1/kind=aggregate/date=2024-03-01/x.ndjson.gz",
			false, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			o, ok := ParseKey(tt.key)
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v", ok, tt.ok)
			}
			if ok && (o.Batch != tt.batch || o.ReportKey != tt.rk || !o.Date.Equal(begin) ||
				o.CompanyID != "acme") {
				t.Errorf("ParseKey = %+v", o)
			}
		})
	}
}

func TestSpikes(t *testing.T) {
	pts := []TrendPoint{{Messages: 100}, {Messages: 0}, {Messages: 110}, {Messages: 900},
		{Messages: 120}, {Messages: 20}}
	for i := range pts {
		pts[i].Day = date("2024-03-01").AddDate(0, 0, i)
	}
	got := Spikes(pts, FlagOptions{})
	want := []bool{false, false, false, true, false, false}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("day %d: spike %v, want %v", i, got[i], want[i])
		}
	}
}

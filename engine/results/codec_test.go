package results

import (
	"reflect"
	"testing"
	"time"

	"github.com/rptctl/rptctl/reports"
)

func TestEncodeDecodeRoundTrip(t *testing.T) {
	begin := time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)
	r := &reports.Report{
		Kind: reports.KindAggregate, ReportKey: "k1", OrgName: "Example",
		ReportID: "r1", DateBegin: begin, DateEnd: begin.Add(24*time.Hour - time.Second),
		Policy: &reports.Policy{Domain: "example.com", P: "reject"},
		Records: []reports.Record{
			{SourceIP: "192.0.2.10", Count: 3, Disposition: "none", DKIM: "pass",
				SPF: "fail", DMARC: "pass", HeaderFrom: "example.com",
				DKIMResults: []reports.DKIMResult{{Domain: "example.com", Result: "pass"}},
				Source:      &reports.Source{Hostname: "mx.example.net", Service: "Example"}},
			{SourceIP: "2001:db8::1", Count: 4, Disposition: "reject", DKIM: "fail",
				SPF: "fail", DMARC: "fail"},
		},
	}
	lines := Lines(r, Origin{TraceID: "t1", CompanyID: "acme", CustomerID: "c1"})
	data, err := Encode(lines)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, lines) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, lines)
	}
	if got[0].PolicyDomain != "example.com" || got[0].PolicyP != "reject" {
		t.Errorf("policy fields not flattened: %+v", got[0])
	}
}

func TestDecodeRejectsCorruptObject(t *testing.T) {
	if _, err := Decode([]byte("not gzip")); err == nil {
		t.Error("Decode accepted bytes that are not gzip")
	}
}

package tui

import (
	"context"
	"crypto/sha256"
	"fmt"
	"testing"
	"time"

	"github.com/rptctl/rptctl/awsio"
	"github.com/rptctl/rptctl/engine/results"
	"github.com/rptctl/rptctl/reports"
)

// The fixture's period: 2024-03-01 to 2024-03-07.
var (
	periodFrom = time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	periodTo   = time.Date(2024, 3, 8, 0, 0, 0, 0, time.UTC)
)

func openStore(t testing.TB) awsio.Store {
	t.Helper()
	b, err := awsio.Open(context.Background(), awsio.Config{
		Backend: "local", DataDir: t.TempDir(), Queue: "q", DLQ: "q-dlq", Bucket: "rptctl",
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() }) // a test store: nothing to lose
	return b.Store
}

func put(t testing.TB, s awsio.Store, r *reports.Report) {
	t.Helper()
	r.ReportKey = fmt.Sprintf("%x", sha256.Sum256([]byte(r.OrgName+r.ReportID)))[:32]
	lines := results.Lines(r, results.Origin{TraceID: "trace-" + r.ReportID,
		CompanyID: "acme", CustomerID: "shop"})
	data, err := results.Encode(lines)
	if err != nil {
		t.Fatal(err)
	}
	key := results.ResultKey("acme", "shop", r.Kind, r.DateBegin, r.ReportKey, 1)
	if err := s.Put(context.Background(), key, data); err != nil {
		t.Fatal(err)
	}
}

var (
	senderA = &reports.Source{Hostname: "mail-a.sender.example", HostnameVerified: true,
		BaseDomain: "sender.example", Service: "Sender Mail", ServiceType: "esp",
		Country: "US", ASN: 64496, ASOrg: "Sender Net"}
	senderB = &reports.Source{Hostname: "mail-b.sender.example", HostnameVerified: true,
		BaseDomain: "sender.example", Service: "Sender Mail", ServiceType: "esp",
		Country: "US", ASN: 64496, ASOrg: "Sender Net"}
	google = &reports.Source{Hostname: "mail-x.google.com", HostnameVerified: true,
		BaseDomain: "google.com", Service: "Google", ServiceType: "mailbox",
		Country: "IE", ASN: 15169, ASOrg: "Google LLC"}
	noPTR = &reports.Source{Service: "(no PTR)", ServiceType: "unknown", Country: "RU"}
)

func record(ip string, src *reports.Source, count int64, pass bool) reports.Record {
	r := reports.Record{SourceIP: ip, Count: count, Disposition: "none", DKIM: "pass",
		SPF: "pass", DMARC: "pass", HeaderFrom: "shop.example",
		EnvelopeFrom: "bounce.shop.example", EnvelopeTo: "receiver.example",
		DKIMResults: []reports.DKIMResult{{Domain: "shop.example", Selector: "s1",
			Result: "pass"}},
		SPFResults: []reports.SPFResult{{Domain: "bounce.shop.example", Scope: "mfrom",
			Result: "pass"}},
		Source: src}
	if !pass {
		r.Disposition, r.DKIM, r.SPF, r.DMARC = "reject", "fail", "fail", "fail"
		r.DKIMResults = nil
		r.SPFResults = []reports.SPFResult{{Domain: "spoof.example", Scope: "mfrom",
			Result: "fail"}}
		r.Reasons = []reports.Reason{{Type: "local_policy", Comment: "sender blocked"}}
	}
	return r
}

// browseStore holds a week of company acme's mail (two services, one
// unknown sender, one without PTR), history before it, two TLS reports
// and one failure report.
func browseStore(t testing.TB) awsio.Store {
	s := openStore(t)
	for i := range 7 {
		day := periodFrom.AddDate(0, 0, i)
		a := int64(100 + 10*i)
		if i == 5 {
			a = 900
		}
		recs := []reports.Record{
			record("192.0.2.10", senderA, a, true),
			record("192.0.2.11", senderB, 80, true),
			record("209.85.220.41", google, 45, true),
			record("209.85.220.41", google, 5, false),
		}
		if i == 2 || i == 3 {
			recs = append(recs, record("203.0.113.66", nil, 30, false))
		}
		if i == 4 {
			recs = append(recs, record("198.51.100.7", noPTR, 12, false))
		}
		if i >= 5 {
			news := record("192.0.2.11", senderB, 20, true)
			news.HeaderFrom = "news.shop.example"
			recs = append(recs, news)
		}
		put(t, s, aggregate("Receiver Inc", fmt.Sprint("r", i), day, recs))
	}
	put(t, s, aggregate("Receiver Inc", "old", periodFrom.AddDate(0, 0, -10),
		[]reports.Record{record("192.0.2.10", senderA, 90, true),
			record("209.85.220.41", google, 40, true)}))
	put(t, s, tlsReport("Google Inc", "tls1", periodFrom.AddDate(0, 0, 1), 1000, 3))
	put(t, s, tlsReport("Microsoft", "tls2", periodFrom.AddDate(0, 0, 2), 200, 0))
	put(t, s, failureReport())
	return s
}

func aggregate(org, id string, day time.Time, recs []reports.Record) *reports.Report {
	return &reports.Report{
		Kind: reports.KindAggregate, OrgName: org, ReportID: id, DateBegin: day,
		DateEnd: day.Add(24*time.Hour - time.Second),
		Policy:  &reports.Policy{Domain: "shop.example", P: "reject"},
		Records: recs,
	}
}

func tlsReport(org, id string, day time.Time, ok, failed int64) *reports.Report {
	p := reports.TLSPolicy{PolicyType: "sts", PolicyDomain: "shop.example",
		MXHosts: []string{"mx1.shop.example"}, SuccessfulSessions: ok,
		FailedSessions: failed}
	if failed > 0 {
		p.FailureDetails = []reports.FailureDetail{{ResultType: "certificate-expired",
			SendingMTAIP: "192.0.2.200", ReceivingMXHostname: "mx1.shop.example",
			ReceivingIP: "198.51.100.25", FailedSessions: failed}}
	}
	return &reports.Report{Kind: reports.KindTLSRPT, OrgName: org, ReportID: id,
		DateBegin: day, DateEnd: day.Add(24*time.Hour - time.Second),
		Policies: []reports.TLSPolicy{p}}
}

func failureReport() *reports.Report {
	arrival := periodFrom.AddDate(0, 0, 3).Add(9 * time.Hour)
	return &reports.Report{Kind: reports.KindFailure, OrgName: "Example Receiver",
		ReportID: "fail1", DateBegin: arrival, DateEnd: arrival,
		Failure: &reports.Failure{FeedbackType: "auth-failure", ArrivalDate: arrival,
			SourceIP: "203.0.113.66", ReportedDomain: "shop.example", AuthFailure: "dmarc",
			OriginalMailFrom: "billing@shop.example", OriginalRcptTo: "victim@receiver.example",
			DeliveryResult: "reject", Headers: []reports.Header{
				{Name: "Subject", Value: "Your invoice"},
				{Name: "From", Value: "billing@shop.example"}}}}
}

package reports

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"testing"
)

// Run with: go test -run '^$' -bench . -benchmem ./reports/
func BenchmarkParse(b *testing.B) {
	for _, bc := range []struct{ name, path string }{
		{"one-record", "real/parsedmarc/addisonfoods.com!example.com!1536105600!1536191999.xml"},
		{"20-records", "real/parsedmarc/nice-input.xml"},
		{"2286-records", "real/parsedmarc/!large-example.com!1711897200!1711983600.xml"},
		{"20-records-gzip", "real/parsedmarc/nice-input.xml.gz"},
		{"tlsrpt", "real/mail-auth/rpt01.json"},
		{"failure-eml", "cases/b28-source-ip-with-hostname.eml"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			corpusFolders(b)
			data, err := os.ReadFile(filepath.Join(corpusDir, bc.path))
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := Parse(data, Options{Name: bc.name}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "reports/s")
		})
	}
}

// xmlBaseline is an aggregate report as encoding/xml struct decoding (the
// approach of other Go report parsers) reads it, for a comparison measured
// under the same load: see BenchmarkBaselineEncodingXML.
type xmlBaseline struct {
	Metadata struct {
		OrgName  string `xml:"org_name"`
		Email    string `xml:"email"`
		ReportID string `xml:"report_id"`
		Begin    int64  `xml:"date_range>begin"`
		End      int64  `xml:"date_range>end"`
	} `xml:"report_metadata"`
	Policy struct {
		Domain string `xml:"domain"`
		P      string `xml:"p"`
	} `xml:"policy_published"`
	Records []struct {
		IP          string `xml:"row>source_ip"`
		Count       int64  `xml:"row>count"`
		Disposition string `xml:"row>policy_evaluated>disposition"`
		DKIM        string `xml:"row>policy_evaluated>dkim"`
		SPF         string `xml:"row>policy_evaluated>spf"`
		HeaderFrom  string `xml:"identifiers>header_from"`
		DKIMResults []struct {
			Domain, Selector, Result string
		} `xml:"auth_results>dkim"`
		SPFResults []struct {
			Domain, Scope, Result string
		} `xml:"auth_results>spf"`
	} `xml:"record"`
}

// BenchmarkBaselineEncodingXML decodes the same files with encoding/xml,
// without any repair or normalization, as a yardstick.
func BenchmarkBaselineEncodingXML(b *testing.B) {
	for _, bc := range []struct{ name, path string }{
		{"one-record", "real/parsedmarc/addisonfoods.com!example.com!1536105600!1536191999.xml"},
		{"20-records", "real/parsedmarc/nice-input.xml"},
		{"2286-records", "real/parsedmarc/!large-example.com!1711897200!1711983600.xml"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			corpusFolders(b)
			data, err := os.ReadFile(filepath.Join(corpusDir, bc.path))
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				var v xmlBaseline
				if err := xml.Unmarshal(data, &v); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "reports/s")
		})
	}
}

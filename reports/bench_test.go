package reports

import (
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

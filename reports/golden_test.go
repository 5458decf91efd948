package reports

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// goldenFiles is a representative set of the corpus: each container, each
// kind, and the repairs with the most effect on the output.
var goldenFiles = []string{
	"cases/b01-gzip-trailing-crlf.xml.gz",
	"cases/b03-capitalised-pass.xml",
	"cases/b05-unclosed-xs-schema-wrapper.xml",
	"cases/b09-two-dkim-results.xml",
	"cases/b12-unknown-auth-results.xml",
	"cases/b14-windows-1252-aol-style.xml",
	"cases/b28-source-ip-with-hostname.eml",
	"cases/b30-exim-text-only.eml",
	"cases/b31-att-file-parts.eml",
	"cases/b33-no-policy-domain-rfc-filename.eml",
	"cases/b42-zip-good-and-wrong-root.zip",
	"cases/b43-one-line-date-range-first-ipless-record.xml",
	"cases/b46-email-two-attachments.eml",
	"cases/b53-ipv4-mapped-and-upper-case-ipv6.xml",
	"cases/b54-rfc8460-keys.json",
	"real/parsedmarc/rfc9990-sample.xml",
	"real/parsedmarc/old_draft_from_wiki.xml",
	"real/parsedmarc/dmarc_ruf_report_linkedin.eml",
	"real/mail-auth/001.xml",
	"real/mox/google.eml",
	"real/dmarc-report-viewer/microsoft.json",
}

// goldenOutput is what a golden file holds: the reports and the errors of
// one input.
type goldenOutput struct {
	Reports []*Report `json:"reports"`
	Errors  []string  `json:"errors"`
}

// TestGolden compares the full normalized output of goldenFiles with
// testdata/golden; run with -update to rewrite them.
func TestGolden(t *testing.T) {
	corpusFolders(t)
	for _, path := range goldenFiles {
		t.Run(path, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(corpusDir, path))
			if err != nil {
				t.Fatal(err)
			}
			rs, err := Parse(data, Options{Name: filepath.Base(path)})
			out := goldenOutput{Reports: rs, Errors: []string{}}
			if err != nil {
				out.Errors = strings.Split(err.Error(), "\n")
			}
			got, err := json.MarshalIndent(out, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			name := filepath.Join("testdata", "golden",
				strings.ReplaceAll(path, "/", "_")+".json")
			compareGolden(t, name, got)
		})
	}
}

// compareGolden compares got with the file name, or rewrites it.
func compareGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(name)
	if err != nil {
		t.Fatalf("reading golden file (run with -update to create): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (run with -update to accept):\n%s", name, got)
	}
}

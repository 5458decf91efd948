package reports

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// parseCase parses one file of corpus/cases.
func parseCase(t *testing.T, name string) ([]*Report, error) {
	t.Helper()
	corpusFolders(t)
	data, err := os.ReadFile(filepath.Join(corpusDir, "cases", name))
	if err != nil {
		t.Fatal(err)
	}
	return Parse(data, Options{Name: name})
}

// one parses a case that must give exactly one report and no error.
func one(t *testing.T, name string) *Report {
	t.Helper()
	rs, err := parseCase(t, name)
	if err != nil || len(rs) != 1 {
		t.Fatalf("%s: %d reports, err %v", name, len(rs), err)
	}
	return rs[0]
}

// hasWarning reports a warning containing sub.
func hasWarning(r *Report, sub string) bool {
	for _, w := range r.Warnings {
		if strings.Contains(w, sub) {
			return true
		}
	}
	return false
}

// TestCorpusNotes checks the specific facts the notes column of
// cases/INDEX.tsv describes, beyond the columns TestCorpus compares.
func TestCorpusNotes(t *testing.T) {
	tests := []struct {
		file  string
		check func(t *testing.T, r *Report)
	}{
		{"b01-gzip-trailing-crlf.xml.gz", func(t *testing.T, r *Report) {
			want(t, hasWarning(r, "2 bytes after the gzip stream ignored"), "trailing bytes warning")
		}},
		{"b03-capitalised-pass.xml", func(t *testing.T, r *Report) {
			got := recordVerdicts(r)
			wantEq(t, got, "none/pass/pass/pass quarantine/fail/fail/fail")
			wantEq(t, r.Records[0].DKIMResults[0].Result+r.Records[1].SPFResults[0].Result,
				"passfail")
			want(t, hasWarning(r, `"Pass" of <dkim> read as "pass"`), "case warning")
		}},
		{"b04-empty-org-name.xml", func(t *testing.T, r *Report) {
			want(t, hasWarning(r, "empty <org_name>"), "org_name warning")
		}},
		{"b05-unclosed-xs-schema-wrapper.xml", func(t *testing.T, r *Report) {
			want(t, hasWarning(r, "<xs:schema>"), "wrapper warning")
		}},
		{"b09-two-dkim-results.xml", func(t *testing.T, r *Report) {
			d := r.Records[0].DKIMResults
			wantEq(t, len(d), 2)
			wantEq(t, d[0].Domain+"/"+d[0].Selector+" "+d[0].Result+" "+
				d[1].Domain+"/"+d[1].Selector+" "+d[1].Result,
				"example.com/20230601 pass esp.example.net/esp1 pass")
			wantEq(t, recordVerdicts(r), "none/pass/fail/pass")
		}},
		{"b10-np-in-rfc7489.xml", func(t *testing.T, r *Report) {
			wantEq(t, r.Policy.NP+" "+r.Policy.FO+" "+r.Schema, "none 1 rfc7489")
		}},
		{"b11-spf-hardfail-empty-reason.xml", func(t *testing.T, r *Report) {
			wantEq(t, r.Records[0].SPFResults[0].Result, "fail")
			want(t, hasWarning(r, "hardfail"), "hardfail warning")
		}},
		{"b12-unknown-auth-results.xml", func(t *testing.T, r *Report) {
			wantEq(t, r.Records[0].SPFResults[0].Result, "permerror")
			wantEq(t, r.Records[0].DKIMResults[0].Result, "unknown")
			want(t, hasWarning(r, `DKIM result "unknown"`), "dkim unknown warning")
		}},
		{"b13-empty-dkim-domain-selector.xml", func(t *testing.T, r *Report) {
			d := r.Records[0].DKIMResults
			wantEq(t, len(d), 1)
			wantEq(t, d[0].Domain+"/"+d[0].Selector+" "+d[0].Result, "example.com/selector1 pass")
			want(t, hasWarning(r, "without domain and selector dropped"), "empty dkim warning")
		}},
		{"b14-bad-xml-declaration.xml", func(t *testing.T, r *Report) {
			want(t, hasWarning(r, "malformed XML declaration"), "declaration warning")
		}},
		{"b14-windows-1252-aol-style.xml", func(t *testing.T, r *Report) {
			wantEq(t, r.OrgName, "Société Exemple – Courrier")
			wantEq(t, r.Records[0].Reasons[0].Comment, "relais autorisé – liste d’envoi")
			wantEq(t, len(r.Records[0].DKIMResults), 0)
		}},
		{"b28-source-ip-with-hostname.eml", func(t *testing.T, r *Report) {
			f := r.Failure
			wantEq(t, f.ArrivalDate.Format(time.RFC3339)+" "+f.DeliveryResult+" "+f.FeedbackType,
				"2024-01-19T10:14:58Z reject auth-failure")
			wantEq(t, f.Headers[0].Name, "Received")
		}},
		{"b29-delivery-result-smg-policy-action.eml", func(t *testing.T, r *Report) {
			wantEq(t, r.Failure.DeliveryResult, "policy")
		}},
		{"b30-exim-text-only.eml", func(t *testing.T, r *Report) {
			wantEq(t, r.Failure.ArrivalDate.Format(time.RFC3339), "2024-01-19T14:05:33Z")
			wantEq(t, r.Failure.FeedbackType, "auth-failure")
			want(t, len(r.Failure.Headers) >= 5, "original headers read")
		}},
		{"b31-att-file-parts.eml", func(t *testing.T, r *Report) {
			wantEq(t, r.Failure.ArrivalDate.Format(time.RFC3339), "2024-01-21T06:02:11Z")
			wantEq(t, r.Failure.AuthResults, "mx1.example.net; dkim=fail header.d=example.com "+
				"header.s=sel1; spf=fail smtp.mailfrom=example.com; dmarc=fail "+
				"header.from=example.com")
			wantEq(t, r.Failure.DKIMDomain+"/"+r.Failure.DKIMSelector, "example.com/sel1")
		}},
		{"b32-sts-fetch-error-no-ips.json", func(t *testing.T, r *Report) {
			d := r.Policies[0].FailureDetails[0]
			wantEq(t, d.SendingMTAIP+d.ReceivingIP+d.ReceivingMXHostname, "")
		}},
		{"b33-no-policy-domain-rfc-filename.eml", func(t *testing.T, r *Report) {
			want(t, hasWarning(r, "taken from the email"), "policy domain warning")
		}},
		{"b33-no-policy-found-no-domain.json", func(t *testing.T, r *Report) {
			want(t, hasWarning(r, `no "policy-domain"`), "policy domain warning")
		}},
		{"b37-two-policy-published.xml", func(t *testing.T, r *Report) {
			wantEq(t, r.Policy.Domain+" "+r.Policy.P, "example.com reject")
			want(t, hasWarning(r, "<policy_published> number 2 ignored"), "second policy warning")
		}},
		{"b40-upper-case-policy-domain.xml", func(t *testing.T, r *Report) {
			wantEq(t, r.Records[0].HeaderFrom, "example.com")
		}},
		{"b43-one-line-date-range-first-ipless-record.xml", func(t *testing.T, r *Report) {
			want(t, hasWarning(r, `record 2 source_ip "" is not an IP address: `+
				"record dropped (2 messages)"), "dropped record warning")
		}},
		{"b45-zero-records.xml", func(t *testing.T, r *Report) {
			want(t, r.Records != nil && hasWarning(r, "no records"), "empty report")
		}},
		{"b48-invalid-utf8-undeclared.xml", func(t *testing.T, r *Report) {
			want(t, strings.Contains(r.Records[0].Reasons[0].Comment, "’"), "cp1252 quote")
			want(t, hasWarning(r, "invalid UTF-8"), "utf-8 warning")
		}},
		{"b51-count-decimal.xml", func(t *testing.T, r *Report) {
			want(t, hasWarning(r, `count "1.0"`), "count warning")
		}},
		{"b52-millisecond-epochs.xml", func(t *testing.T, r *Report) {
			want(t, hasWarning(r, "milliseconds"), "ms warning")
		}},
		{"b54-rfc8460-keys.json", func(t *testing.T, r *Report) {
			p := r.Policies[0]
			wantEq(t, strings.Join(p.MXHosts, ","), "*.mail.example.com")
			wantEq(t, p.FailureDetails[0].SendingMTAIP, "2001:db8:54:7::1")
			var sum int64
			for _, d := range p.FailureDetails {
				sum += d.FailedSessions
			}
			wantEq(t, sum, int64(57))
		}},
		{"b55-no-auth-results.xml", func(t *testing.T, r *Report) {
			rec := r.Records[0]
			want(t, rec.DKIMResults != nil && rec.SPFResults != nil &&
				len(rec.DKIMResults)+len(rec.SPFResults) == 0, "empty lists")
		}},
		{"b55-policy-evaluated-missing-spf.xml", func(t *testing.T, r *Report) {
			rec := r.Records[0]
			wantEq(t, rec.SPF+"/"+rec.DMARC, "/pass")
			want(t, hasWarning(r, "has no <spf>"), "missing spf warning")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) { tt.check(t, one(t, tt.file)) })
	}
}

// TestCorpusErrors checks that refused files name the part, line and
// reason.
func TestCorpusErrors(t *testing.T) {
	tests := []struct {
		file, part string
		line       int
		sentinel   error
		msg        string
		reports    int
	}{
		{"b07-gzip-of-unused.xml.gz", "gzip", 0, ErrUnsupported, `starts with "unused"`, 0},
		{"b11-broken-report-id-close-tag.xml", "", 8, ErrMalformed, "<report_id>", 0},
		{"b42-wrong-root-element.xml", "", 2, ErrNotReport, "root element is <report>", 0},
		{"b42-zip-good-and-wrong-root.zip", "zip entry summary.xml", 2, ErrNotReport,
			"<summary>", 1},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			rs, err := parseCase(t, tt.file)
			wantEq(t, len(rs), tt.reports)
			var pe *PartError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a *PartError", err)
			}
			wantEq(t, pe.File, tt.file)
			wantEq(t, pe.Part, tt.part)
			wantEq(t, pe.Line, tt.line)
			want(t, errors.Is(err, tt.sentinel), "sentinel "+tt.sentinel.Error())
			want(t, strings.Contains(err.Error(), tt.msg), "message has "+tt.msg)
		})
	}
}

// TestReportKeys checks the dedup facts of the b19 cases.
func TestReportKeys(t *testing.T) {
	key := func(name string) string { return one(t, name).ReportKey }
	a, b := key("b19-resent-copy-a.xml"), key("b19-resent-copy-b.xml")
	wantEq(t, a, b)
	want(t, a != key("b19-colliding-id-other-reporter.xml"), "other reporter differs")
	want(t, a != key("b19-same-id-next-day.xml"), "next day differs")

	// The same failure report parsed twice has the same key.
	want(t, key("b28-source-ip-with-hostname.eml") == key("b28-source-ip-with-hostname.eml"),
		"failure key stable")
}

func recordVerdicts(r *Report) string {
	var out []string
	for _, rec := range r.Records {
		out = append(out, rec.Disposition+"/"+rec.DKIM+"/"+rec.SPF+"/"+rec.DMARC)
	}
	return strings.Join(out, " ")
}

func want(t *testing.T, ok bool, what string) {
	t.Helper()
	if !ok {
		t.Errorf("want %s", what)
	}
}

func wantEq[T comparable](t *testing.T, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("got %v, want %v", got, want)
	}
}

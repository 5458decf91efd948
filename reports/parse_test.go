package reports

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// aggXML builds an aggregate report around the given records.
func aggXML(records string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<feedback>
  <report_metadata>
    <org_name>Unit Reporter</org_name>
    <email>dmarc@reporter.example</email>
    <report_id>unit-1</report_id>
    <date_range><begin>1704067200</begin><end>1704153599</end></date_range>
  </report_metadata>
  <policy_published><domain>example.com</domain><p>none</p></policy_published>
` + records + `
</feedback>
`
}

// rec builds a record with the given source IP and count.
func rec(ip, count string) string {
	return `<record><row><source_ip>` + ip + `</source_ip><count>` + count + `</count>
<policy_evaluated><disposition>none</disposition><dkim>pass</dkim><spf>fail</spf>
</policy_evaluated></row><identifiers><header_from>example.com</header_from></identifiers>
<auth_results><spf><domain>example.com</domain><result>pass</result></spf></auth_results>
</record>`
}

func gz(t testing.TB, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// zipOf builds a zip archive of name/content pairs.
func zipOf(t testing.TB, files ...string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	for i := 0; i+1 < len(files); i += 2 {
		f, err := w.Create(files[i])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write([]byte(files[i+1])); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestRefusals checks that each kind of bad input is refused with the
// right sentinel, and never with a panic.
func TestRefusals(t *testing.T) {
	good := aggXML(rec("192.0.2.1", "1"))
	deep := []byte(good)
	for range 6 {
		deep = gz(t, deep)
	}
	manyEntries := make([]string, 0, 2*70)
	for i := range 70 {
		manyEntries = append(manyEntries, fmt.Sprintf("r%d.xml", i), good)
	}
	tests := []struct {
		name     string
		data     []byte
		limits   Limits
		sentinel error
		msg      string
	}{
		{"empty", nil, Limits{}, ErrUnsupported, "empty input"},
		{"prose", []byte("hello, world"), Limits{}, ErrUnsupported, `starts with "hello, world"`},
		{"doctype entity", []byte(`<?xml version="1.0"?><!DOCTYPE feedback [
<!ENTITY x "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"><!ENTITY y "&x;&x;&x;&x;&x;&x;">]>
<feedback>&y;</feedback>`), Limits{}, ErrForbidden, "DOCTYPE"},
		{"truncated", []byte(good[:len(good)/2]), Limits{}, ErrMalformed, "truncated"},
		{"not a report", []byte(`<html><body>hi</body></html>`), Limits{}, ErrNotReport,
			"root element is <html>"},
		{"json not tlsrpt", []byte(`{"a": 1}`), Limits{}, ErrNotReport, "SMTP TLS"},
		{"broken json", []byte(`{"organization-name": "x",`), Limits{}, ErrMalformed, "JSON"},
		{"no report id", []byte(strings.Replace(good, "<report_id>unit-1</report_id>", "", 1)),
			Limits{}, ErrNotReport, "report_id"},
		{"gzip bomb", gz(t, make([]byte, 2<<20)), Limits{MaxDecompressed: 1 << 20}, ErrLimit,
			"exceeds 1048576 bytes"},
		{"zip bomb ratio", zipOf(t, "a.xml", strings.Repeat("\x00", 4<<20)),
			Limits{MaxRatio: 100}, ErrLimit, "expands more than 100 times"},
		{"zip too many entries", zipOf(t, manyEntries...), Limits{}, ErrLimit, "70 entries"},
		{"nesting too deep", deep, Limits{}, ErrLimit, "nested deeper than 4"},
		{"xml nesting", []byte(strings.Repeat("<a>", 100)), Limits{}, ErrLimit, "deeper than 64"},
		{"email without report", []byte("From: a@example.com\r\nSubject: hi\r\n\r\nhello\r\n"),
			Limits{}, ErrNotReport, "no report found"},
		{"truncated gzip", gz(t, []byte(good))[:40], Limits{}, ErrMalformed, "truncated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs, err := Parse(tt.data, Options{Name: "in", Limits: tt.limits})
			if len(rs) != 0 {
				t.Errorf("got %d reports, want none", len(rs))
			}
			var pe *PartError
			if !errors.As(err, &pe) || pe.File != "in" {
				t.Fatalf("error %v is not a *PartError of file in", err)
			}
			if !errors.Is(err, tt.sentinel) {
				t.Errorf("error %v does not wrap %v", err, tt.sentinel)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not say %q", err, tt.msg)
			}
		})
	}
}

// TestTruncatedLine checks that a truncated document's error has a line.
func TestTruncatedLine(t *testing.T) {
	doc := aggXML(rec("192.0.2.1", "1"))
	_, err := Parse([]byte(doc[:strings.Index(doc, "<policy_published>")+30]), Options{Name: "t"})
	var pe *PartError
	if !errors.As(err, &pe) || pe.Line != 9 {
		t.Fatalf("error %v: want a *PartError on line 9", err)
	}
}

// TestRepairs checks each repair: the report is read, the value is right
// and a warning says what was done.
func TestRepairs(t *testing.T) {
	good := aggXML(rec("192.0.2.1", "1"))
	tests := []struct {
		name    string
		data    []byte
		warning string
		check   func(r *Report) bool
	}{
		{"bom and blank lines", append([]byte("\xef\xbb\xbf\n\n"), good...), "byte-order mark",
			func(r *Report) bool { return len(r.Records) == 1 }},
		{"unescaped address", []byte(strings.Replace(good, "dmarc@reporter.example",
			"<dmarc@reporter.example>", 1)), "unescaped",
			func(r *Report) bool { return r.OrgEmail == "<dmarc@reporter.example>" }},
		{"latin-1", []byte(strings.Replace(strings.Replace(good, "UTF-8", "ISO-8859-1", 1),
			"Unit Reporter", "Unit R\xe9porter", 1)), "",
			func(r *Report) bool { return r.OrgName == "Unit Réporter" }},
		{"utf-16 declared on 8-bit text", []byte(strings.Replace(good, "UTF-8", "UTF-16", 1)),
			"is not UTF-16", func(r *Report) bool { return r.OrgName == "Unit Reporter" }},
		{"control characters", []byte(strings.Replace(good, "Unit Reporter",
			"Unit\x01 Reporter\x0b", 1)), "2 control characters removed",
			func(r *Report) bool { return r.OrgName == "Unit Reporter" }},
		{"padded values", []byte(strings.Replace(good, "<p>none</p>", "<p> None </p>", 1)),
			`read as "none"`, func(r *Report) bool { return r.Policy.P == "none" }},
		{"huge count", []byte(aggXML(rec("192.0.2.1", "99999999999999999999") +
			rec("192.0.2.2", "3"))), `count "99999999999999999999" is not a whole number`,
			func(r *Report) bool { return len(r.Records) == 1 && r.Records[0].Count == 3 }},
		{"invalid ip", []byte(aggXML(rec("999.1.1.1", "5") + rec("192.0.2.2", "3"))),
			`source_ip "999.1.1.1" is not an IP address: record dropped (5 messages)`,
			func(r *Report) bool { return len(r.Records) == 1 }},
		{"ipv6 zone", []byte(aggXML(rec("FE80::1%eth0", "1"))), "written as fe80::1",
			func(r *Report) bool { return r.Records[0].SourceIP == "fe80::1" }},
		{"cdata and entities", []byte(strings.Replace(good, "Unit Reporter",
			"<![CDATA[Unit & Co]]> &lt;&#x41;&gt;", 1)), "",
			func(r *Report) bool { return r.OrgName == "Unit & Co <A>" }},
		{"unknown entity kept", []byte(strings.Replace(good, "Unit Reporter",
			"Unit &nbsp; Reporter", 1)), "unknown entity",
			func(r *Report) bool { return r.OrgName == "Unit &nbsp; Reporter" }},
		{"rfc9990", []byte(strings.Replace(strings.Replace(good, "<feedback>",
			`<feedback xmlns="urn:ietf:params:xml:ns:dmarc-2.0">`, 1), "</policy_published>",
			"<np>Reject</np><testing>n</testing><discovery_method>psl</discovery_method>"+
				"</policy_published><extensions><x/></extensions>", 1)), "<extensions> skipped",
			func(r *Report) bool {
				return r.Schema == "rfc9990" && r.Policy.NP == "reject" &&
					r.Policy.DiscoveryMethod == "psl"
			}},
		{"utf-16", utf16LE("\ufeff" + strings.Replace(good, "UTF-8", "UTF-16", 1)), "",
			func(r *Report) bool { return r.OrgName == "Unit Reporter" && len(r.Warnings) == 0 }},
		{"gzip in zip", zipOf(t, "dir/", "", "r.xml.gz", string(gz(t, []byte(good)))), "",
			func(r *Report) bool { return len(r.Records) == 1 }},
		{"double gzip", gz(t, gz(t, []byte(good))), "",
			func(r *Report) bool { return len(r.Records) == 1 }},
		{"attached message", []byte(attachedMessage(good)), "",
			func(r *Report) bool { return len(r.Records) == 1 }},
		{"base64 declared, raw sent", []byte("From: a@example.net\r\nSubject: r\r\n" +
			"Content-Type: application/xml\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
			good), "declared base64 is not", func(r *Report) bool { return len(r.Records) == 1 }},
		{"multipart without boundary", []byte("From: a@example.net\r\nSubject: r\r\n" +
			"Content-Type: multipart/mixed\r\n\r\n--xyz\r\nContent-Type: text/xml\r\n\r\n" +
			good + "\r\n--xyz--\r\n"), "without a boundary parameter",
			func(r *Report) bool { return len(r.Records) == 1 }},
		{"quoted-printable part", []byte(qpMessage(good)), "",
			func(r *Report) bool { return r.OrgName == "Unit Réporter" }},
		{"zone-less tls", []byte(`{"organization-name":"MS","date-range":{"start-datetime":
"2024-01-01T00:00:00","end-datetime":"2024-01-01T23:59:59"},"contact-info":null,
"report-id":"x","policies":[{"policy":{"policy-type":"STS","policy-domain":"Example.COM",
"policy-string":null,"mx-host":"mx.example.com"},"summary":{"total-successful-session-count":
"7","total-failure-session-count":null},"failure-details":[{"result-type":
"certificate-expired","sending-mta-ip":"::ffff:192.0.2.1","failed-session-count":2}]}]}`),
			"no time zone: read as UTC", func(r *Report) bool {
				p := r.Policies[0]
				return r.DateBegin.Equal(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)) &&
					p.PolicyDomain == "example.com" && p.PolicyType == "sts" &&
					p.SuccessfulSessions == 7 && p.MXHosts[0] == "mx.example.com" &&
					p.FailureDetails[0].SendingMTAIP == "192.0.2.1"
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs, err := Parse(tt.data, Options{Name: "in"})
			if err != nil || len(rs) != 1 {
				t.Fatalf("got %d reports, err %v", len(rs), err)
			}
			r := rs[0]
			if tt.warning != "" && !hasWarning(r, tt.warning) {
				t.Errorf("warnings %q lack %q", r.Warnings, tt.warning)
			}
			if !tt.check(r) {
				t.Errorf("report not as expected: %+v", r)
			}
		})
	}
}

// TestTimesIgnoreLocalZone parses a report with a zone-named date and the
// local zone set elsewhere: the result is the same.
func TestTimesIgnoreLocalZone(t *testing.T) {
	arf := "From: r@example.net\r\nMessage-ID: <1@example.net>\r\n" +
		"Content-Type: multipart/report; report-type=feedback-report; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: message/feedback-report\r\n\r\nFeedback-Type: auth-failure\r\n" +
		"Arrival-Date: Thu, 8 Mar 2005 14:00:00 EST\r\nSource-IP: 192.0.2.1\r\n" +
		"Reported-Domain: Example.com\r\n\r\n--b--\r\n"
	want := time.Date(2005, 3, 8, 19, 0, 0, 0, time.UTC)
	for _, zone := range []string{"UTC", "America/New_York", "Europe/Warsaw"} {
		loc, err := time.LoadLocation(zone)
		if err != nil {
			t.Skipf("SKIPPED: no zone database: %v", err)
		}
		saved := time.Local
		time.Local = loc
		rs, err := Parse([]byte(arf), Options{Name: "arf"})
		time.Local = saved
		if err != nil || len(rs) != 1 {
			t.Fatalf("%s: %d reports, err %v", zone, len(rs), err)
		}
		if got := rs[0].Failure.ArrivalDate; !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("%s: arrival %v, want %v", zone, got, want)
		}
		if rs[0].OrgName != "example.net" || rs[0].ReportID != "1@example.net" {
			t.Errorf("%s: key fields %q %q", zone, rs[0].OrgName, rs[0].ReportID)
		}
	}
}

func utf16LE(s string) []byte {
	var b []byte
	for _, r := range s {
		b = append(b, byte(r), byte(r>>8))
	}
	return b
}

func attachedMessage(xml string) string {
	inner := "From: reports@example.net\r\nSubject: report\r\n" +
		"Content-Type: application/xml\r\nContent-Transfer-Encoding: 7bit\r\n\r\n" + xml
	return "From: fwd@example.org\r\nSubject: Fwd: report\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n" +
		"--outer\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n" +
		"--outer\r\nContent-Type: message/rfc822\r\n\r\n" + inner + "\r\n--outer--\r\n"
}

func qpMessage(xml string) string {
	body := strings.ReplaceAll(strings.Replace(xml, "Unit Reporter", "Unit R=C3=A9porter", 1),
		"\n", "\r\n")
	return "From: reports@example.net\r\nSubject: report\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n" +
		"Content-Type: text/xml; name=r.xml\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
		body + "\r\n--b--\r\n"
}

// TestPathological feeds inputs built to cost quadratic time or much
// memory in a careless parser; each must finish and be refused or read.
func TestPathological(t *testing.T) {
	pieces := strings.Repeat("x<!---->", 200000)
	folds := "From: a@example.com\r\nSubject: s" + strings.Repeat("\r\n s", 200000) +
		"\r\n\r\nbody\r\n"
	manyRecords := strings.Repeat(rec("bad-ip", "1"), 3000)
	tests := []struct {
		name string
		data string
		ok   bool
	}{
		{"text in many pieces", aggXML(rec("192.0.2.1", "1") + "<x>" + pieces + "</x>"), true},
		{"header with many folds", folds, false},
		{"many broken records", aggXML(manyRecords + rec("192.0.2.1", "1")), true},
		{"many literal lt", aggXML("<x>" + strings.Repeat("< ", 100000) + "</x>"), true},
		{"many parts", "From: a@b\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" +
			strings.Repeat("--b\r\n\r\nx\r\n", 5000) + "--b--\r\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs, err := Parse([]byte(tt.data), Options{Name: "p"})
			if tt.ok != (err == nil) {
				t.Fatalf("err %v, want ok=%v", err, tt.ok)
			}
			for _, r := range rs {
				if len(r.Warnings) > maxWarnings+1 {
					t.Errorf("%d warnings, over the cap", len(r.Warnings))
				}
			}
		})
	}
}

func TestSniff(t *testing.T) {
	tests := []struct {
		in   string
		want Container
	}{
		{"", ContainerUnknown},
		{"\x1f\x8b\x08", ContainerGzip},
		{"PK\x03\x04rest", ContainerZip},
		{"PK\x05\x06", ContainerZip},
		{`  {"organization-name": "x"}`, ContainerJSON},
		{"\xef\xbb\xbf\r\n\r\n<?xml version=\"1.0\"?>", ContainerXML},
		{"\"<?xml version=\"1.0\"?><feedback>", ContainerXML},
		{"garbage <dmarc:feedback>", ContainerXML},
		{"\xff\xfe<\x00?\x00", ContainerXML},
		{"Return-Path: <a@b>\r\nReceived: x\r\n\r\nbody", ContainerEmail},
		{"From a@b Thu Jan  1 00:00:00 2024\nFrom: a@b\nSubject: s\n\nbody", ContainerEmail},
		{"X-Mailer: y\n continued\nTo: c@d\n\nbody", ContainerEmail},
		{"Note: this is prose, not a header block.\n", ContainerUnknown},
		{"unused", ContainerUnknown},
		{"hello world", ContainerUnknown},
	}
	for _, tt := range tests {
		if got := Sniff([]byte(tt.in)); got != tt.want {
			t.Errorf("Sniff(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestWrongDeclaredEncoding reads UTF-8 text declared as latin-1 as UTF-8.
func TestWrongDeclaredEncoding(t *testing.T) {
	doc := strings.Replace(strings.Replace(aggXML(rec("192.0.2.1", "1")), "UTF-8",
		"ISO-8859-1", 1), "Unit Reporter", "Unit Réporter", 1)
	rs, err := Parse([]byte(doc), Options{})
	if err != nil || rs[0].OrgName != "Unit Réporter" || !hasWarning(rs[0], "is UTF-8") {
		t.Fatalf("err %v, reports %+v", err, rs)
	}
}

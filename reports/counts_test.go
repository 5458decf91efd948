package reports

import (
	"strings"
	"testing"
)

// utf16BE encodes s as big-endian UTF-16, with no byte-order mark.
func utf16BE(s string) []byte {
	var b []byte
	for _, r := range s {
		b = append(b, byte(r>>8), byte(r))
	}
	return b
}

// tlsWithCounts is a TLS report whose session counts are the JSON values
// given.
func tlsWithCounts(ok, failed, detail string) []byte {
	return []byte(`{"organization-name":"Unit","date-range":{"start-datetime":
"2024-01-01T00:00:00Z","end-datetime":"2024-01-01T23:59:59Z"},"report-id":"x",
"policies":[{"policy":{"policy-type":"sts","policy-domain":"example.com"},
"summary":{"total-successful-session-count":` + ok + `,"total-failure-session-count":` +
		failed + `},"failure-details":[{"result-type":"certificate-expired",
"failed-session-count":` + detail + `}]}]}`)
}

// TestCountsAndUTF16 covers counts refused as invalid and UTF-16 text
// without a byte-order mark.
func TestCountsAndUTF16(t *testing.T) {
	good := aggXML(rec("192.0.2.1", "1"))
	utf16 := strings.Replace(good, "UTF-8", "UTF-16", 1)
	tests := []struct {
		name    string
		data    []byte
		warning string
		check   func(r *Report) bool
	}{
		{"int64 max count", []byte(aggXML(rec("192.0.2.1", "9223372036854775807") +
			rec("192.0.2.2", "9223372036854775807") + rec("192.0.2.3", "4"))),
			"record 2 (192.0.2.2) count 9223372036854775807 is an invalid count",
			func(r *Report) bool { return len(r.Records) == 1 && r.Records[0].Count == 4 }},
		{"count at the cap", []byte(aggXML(rec("192.0.2.1", "1000000000000"))), "",
			func(r *Report) bool { return r.Records[0].Count == MaxCount }},
		{"negative sessions", tlsWithCounts("-5", "3", "2"),
			`"total-successful-session-count" "-5" is an invalid count`,
			func(r *Report) bool {
				p := r.Policies[0]
				return p.SuccessfulSessions == 0 && p.FailedSessions == 3
			}},
		{"absurd sessions", tlsWithCounts("1", "9223372036854775807", "1e300"),
			`"failed-session-count" "1e300" is an invalid count`,
			func(r *Report) bool {
				p := r.Policies[0]
				return p.FailedSessions == 0 && p.FailureDetails[0].FailedSessions == 0 &&
					hasWarning(r, `"total-failure-session-count" "9223372036854775807"`)
			}},
		{"utf-16le without mark", utf16LE(utf16), "UTF-16 text without a byte-order mark",
			func(r *Report) bool { return r.OrgName == "Unit Reporter" && len(r.Records) == 1 }},
		{"utf-16be without mark", utf16BE(utf16), "UTF-16 text without a byte-order mark",
			func(r *Report) bool { return r.OrgName == "Unit Reporter" && len(r.Records) == 1 }},
		{"utf-16 mark then blank line", utf16LE("\ufeff\r\n" + utf16), "",
			func(r *Report) bool { return r.OrgName == "Unit Reporter" }},
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

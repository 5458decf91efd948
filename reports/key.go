package reports

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
)

// ReportKey is the deterministic key of a report (CONTRACT.md section 4):
// the first 32 hex characters of the SHA-256 of
// kind|orgName|reportId|policyDomain|dateBegin|dateEnd, the dates in RFC
// 3339 UTC and the policy domain in lower case. The same report sent
// twice, in any container, has the same key.
//
// Failure reports have no report id of their own; parsing gives them one
// (see the failure report section of the package): orgName is the
// reporting domain, reportId the Message-ID of the report message (or a
// hash of its content when it has none), and both dates the arrival date.
func ReportKey(r *Report) string {
	var b strings.Builder
	b.WriteString(string(r.Kind))
	b.WriteByte('|')
	b.WriteString(r.OrgName)
	b.WriteByte('|')
	b.WriteString(r.ReportID)
	b.WriteByte('|')
	b.WriteString(strings.ToLower(r.PolicyDomain()))
	b.WriteByte('|')
	b.WriteString(r.DateBegin.UTC().Format(time.RFC3339))
	b.WriteByte('|')
	b.WriteString(r.DateEnd.UTC().Format(time.RFC3339))
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:])[:32]
}

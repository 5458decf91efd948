package engine

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"

	"github.com/rptctl/rptctl/engine/results"
	"github.com/rptctl/rptctl/reports"
)

// DefaultBatchRecords is the default number of records a batch holds:
// 200 rows keep one log line near 40 KiB, well under the 256 KiB event
// limit of CloudWatch Logs and similar stores.
const DefaultBatchRecords = 200

// batchLog is the summary of one batch that the `report batch` log line
// carries (CONTRACT.md section 6).
type batchLog struct {
	reportKey, kind, orgName, reportID, policyDomain string
	batch, batches, records                          int
	messages, dmarcPass, dmarcFail                   int64
	rows                                             logRows
}

// logRow is one row of a `report batch` log line.
//
// What a row holds depends on the kind of report:
//   - aggregate: one row a record, as sent;
//   - tlsrpt: one row a policy; count is its sessions (successful plus
//     failed), headerFrom its policy domain, dmarc and disposition empty;
//     the line's messages count sessions and dmarcPass/dmarcFail stay 0,
//     as TLS reports say nothing about DMARC;
//   - failure: one row for the one failed message: count 1, dmarc "fail",
//     disposition the delivery result, headerFrom the reported domain; the
//     line counts 1 message and 1 dmarcFail.
type logRow struct {
	SourceIP    string `json:"sourceIp"`
	Hostname    string `json:"hostname"`
	Service     string `json:"service"`
	Count       int64  `json:"count"`
	DMARC       string `json:"dmarc"`
	Disposition string `json:"disposition"`
	HeaderFrom  string `json:"headerFrom"`
}

// logRows are the rows of a `report batch` line. JSON logs carry them as
// an array of objects with the CONTRACT.md names (MarshalJSON); text logs
// as `{sourceIp=... hostname=... ...}` groups (MarshalText), which slog's
// text handler prefers to Go's struct syntax.
type logRows []logRow

// MarshalJSON encodes the rows as a JSON array, [] when there are none.
func (rs logRows) MarshalJSON() ([]byte, error) {
	if rs == nil {
		return []byte("[]"), nil
	}
	return json.Marshal([]logRow(rs))
}

// MarshalText writes the rows as space-separated `{key=value ...}` groups.
func (rs logRows) MarshalText() ([]byte, error) {
	var b strings.Builder
	for i, r := range rs {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "{sourceIp=%s hostname=%s service=%s count=%d dmarc=%s "+
			"disposition=%s headerFrom=%s}", r.SourceIP, r.Hostname, r.Service, r.Count,
			r.DMARC, r.Disposition, r.HeaderFrom)
	}
	return []byte(b.String()), nil
}

// splitReport turns a report into its batches of at most size lines. An
// aggregate report with zero records gives one line of its report fields
// alone (results.Lines), so it is stored, listed and logged like any
// other, as a batch of 0 records.
//
// Storing the same report again with another --batch-records may leave
// objects of the earlier split beyond the new last batch; the storer
// removes them (prune) before the message is deleted.
func splitReport(j *job, r *reports.Report, size int) []batch {
	lines := results.Lines(r, j.origin)
	n := max(1, (len(lines)+size-1)/size)
	out := make([]batch, 0, n)
	for i := range n {
		chunk := lines[min(i*size, len(lines)):min((i+1)*size, len(lines))]
		b := batch{
			job: j,
			key: results.ResultKey(j.origin.CompanyID, j.origin.CustomerID, r.Kind,
				r.DateBegin, r.ReportKey, i+1),
			lines: chunk,
			log: batchLog{
				reportKey: r.ReportKey, kind: string(r.Kind), orgName: r.OrgName,
				reportID: r.ReportID, policyDomain: r.PolicyDomain(),
				batch: i + 1, batches: n,
			},
		}
		b.log.summarize(chunk)
		out = append(out, b)
	}
	return out
}

// reportSpan is where r's result objects lie, in n batches.
func reportSpan(o results.Origin, r *reports.Report, n int) span {
	first := results.ResultKey(o.CompanyID, o.CustomerID, r.Kind, r.DateBegin, r.ReportKey, 1)
	return span{prefix: strings.TrimSuffix(first, resultExt), batches: n}
}

// resultExt ends every result object's key.
const resultExt = ".ndjson.gz"

// summarize fills the counts and rows of a batch from its lines. A line
// that only carries a report's fields (no record) is neither a record nor
// a row.
func (l *batchLog) summarize(lines []results.Line) {
	l.rows = make(logRows, 0, len(lines))
	for i := range lines {
		if !lines[i].IsRecord() {
			continue
		}
		l.records++
		row := lineRow(&lines[i])
		l.messages += row.Count
		switch {
		case lines[i].Kind == reports.KindTLSRPT:
		case row.DMARC == "pass":
			l.dmarcPass += row.Count
		default:
			l.dmarcFail += row.Count
		}
		l.rows = append(l.rows, row)
	}
}

// lineRow is the log row of one result line.
func lineRow(ln *results.Line) logRow {
	row := logRow{SourceIP: ln.SourceIP, HeaderFrom: ln.HeaderFrom}
	if ln.Source != nil {
		row.Hostname = ln.Source.Hostname
		row.Service = ln.Source.Service
	}
	switch ln.Kind {
	case reports.KindAggregate:
		row.Count = ln.Count
		row.DMARC = ln.DMARC
		row.Disposition = ln.Disposition
	case reports.KindTLSRPT:
		row.Count = ln.SuccessfulSessions + ln.FailedSessions
		row.HeaderFrom = ln.PolicyDomain
	case reports.KindFailure:
		row.Count = 1
		row.DMARC = "fail"
		row.Disposition = ln.DeliveryResult
		row.HeaderFrom = ln.ReportedDomain
	}
	return row
}

// logBatch writes the `report batch` line of CONTRACT.md section 6, with
// exactly its fields.
func logBatch(log *slog.Logger, o results.Origin, l *batchLog) {
	log.Info("report batch",
		"traceId", o.TraceID,
		"companyId", o.CompanyID,
		"customerId", o.CustomerID,
		"reportKey", l.reportKey,
		"kind", l.kind,
		"orgName", l.orgName,
		"reportId", l.reportID,
		"policyDomain", l.policyDomain,
		"batch", l.batch,
		"batches", l.batches,
		"records", l.records,
		"messages", l.messages,
		"dmarcPass", l.dmarcPass,
		"dmarcFail", l.dmarcFail,
		"rows", l.rows)
}

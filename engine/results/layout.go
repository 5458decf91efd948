// Package results is the stored form of parsed reports: the object layout
// of CONTRACT.md section 4, the result lines of section 5, and the queries
// over them that `rptctl sources` and `rptctl browse` run.
package results

import (
	"fmt"
	"time"

	"github.com/rptctl/rptctl/reports"
)

// Key prefixes of the bucket layout.
const (
	PayloadsPrefix = "payloads/"
	ResultsPrefix  = "results/"
	StatusPrefix   = "status/"
	FailuresPrefix = "failures/"
)

// PayloadKey is where an offloaded queue body is kept.
func PayloadKey(companyID, customerID, traceID string) string {
	return PayloadsPrefix + companyID + "/" + customerID + "/" + traceID
}

// ResultKey is the object that holds one report's records. batch counts
// from 1; a report stored in several batches has one object per batch,
// the first without a suffix, so that a one-batch report is exactly
// `<reportKey>.ndjson.gz` as CONTRACT.md section 4 shows it.
func ResultKey(companyID, customerID string, kind reports.Kind, begin time.Time,
	reportKey string, batch int) string {
	name := reportKey
	if batch > 1 {
		name = fmt.Sprintf("%s-%04d", reportKey, batch)
	}
	return CompanyPrefix(companyID) + "customer=" + customerID + "/kind=" + string(kind) +
		"/date=" + begin.UTC().Format("2006-01-02") + "/" + name + ".ndjson.gz"
}

// CompanyPrefix is the prefix under which all of a company's results lie.
func CompanyPrefix(companyID string) string {
	return ResultsPrefix + "company=" + companyID + "/"
}

// StatusKey is where the state of one submission is kept.
func StatusKey(companyID, traceID string) string {
	return StatusPrefix + companyID + "/" + traceID + ".json"
}

// FailureKey is where the last error of a failed message is kept.
func FailureKey(traceID string) string {
	return FailuresPrefix + traceID + ".json"
}

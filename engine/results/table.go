package results

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Table lays source rows out as text cells, the same for the table and
// CSV outputs of `rptctl sources` and the browser's CSV export: the
// columns that apply to the grouping, times in RFC 3339 (or, with short
// set, as days, for a table read by people).
func Table(by Grouping, rows []SourceRow, short bool) ([]string, [][]string) {
	header := append(identityHeader(by), "messages", "pass rate", "dmarc pass",
		"dmarc fail", "dkim aligned", "spf aligned", "none", "quarantine", "reject",
		"reports", "first seen", "last seen", "flags")
	out := make([][]string, len(rows))
	for i := range rows {
		r := &rows[i]
		out[i] = append(identityCells(by, r),
			itoa(r.Messages), Percent(r.PassRate()), itoa(r.DMARCPass),
			itoa(r.DMARCFail), itoa(r.DKIMAligned), itoa(r.SPFAligned),
			itoa(r.Dispositions.None), itoa(r.Dispositions.Quarantine),
			itoa(r.Dispositions.Reject), strconv.Itoa(r.Reports),
			stamp(r.FirstSeen, short), stamp(r.LastSeen, short),
			strings.Join(r.Flags, " "))
	}
	return header, out
}

func identityHeader(by Grouping) []string {
	switch by {
	case ByService:
		return []string{"service", "type"}
	case ByHostname:
		return []string{"hostname", "service", "country", "asn"}
	case ByIP:
		return []string{"ip", "hostname", "service", "country", "asn"}
	}
	return []string{"day"}
}

func identityCells(by Grouping, r *SourceRow) []string {
	switch by {
	case ByService:
		return []string{r.Key, r.ServiceType}
	case ByHostname:
		return []string{r.Key, r.Service, r.Country, asn(r.ASN)}
	case ByIP:
		return []string{r.Key, r.Hostname, r.Service, r.Country, asn(r.ASN)}
	}
	return []string{r.Key}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func asn(n uint) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("AS%d", n)
}

// Percent formats a rate of 0 to 1 as a percentage with one decimal.
func Percent(rate float64) string {
	return strconv.FormatFloat(rate*100, 'f', 1, 64) + "%"
}

func stamp(t time.Time, short bool) string {
	if t.IsZero() {
		return ""
	}
	if short {
		return t.UTC().Format(time.DateOnly)
	}
	return t.UTC().Format(time.RFC3339)
}

package results

import (
	"strconv"
	"strings"
	"time"

	"github.com/rptctl/rptctl/reports"
)

// Object is one stored result object, as its key (CONTRACT.md section 4)
// describes it.
type Object struct {
	Key        string
	CompanyID  string
	CustomerID string
	Kind       reports.Kind
	Date       time.Time // the UTC day the report's period begins
	ReportKey  string
	Batch      int // from 1
}

// ParseKey reads a result object key written by ResultKey. It reports
// false for any other key, so that foreign objects in the bucket are
// skipped rather than misread.
func ParseKey(key string) (Object, bool) {
	rest, ok := strings.CutPrefix(key, ResultsPrefix)
	if !ok {
		return Object{}, false
	}
	parts := strings.Split(rest, "/")
	if len(parts) != 5 {
		return Object{}, false
	}
	o := Object{Key: key}
	var date string
	for i, want := range []string{"company=", "customer=", "kind=", "date="} {
		v, ok := strings.CutPrefix(parts[i], want)
		if !ok || v == "" {
			return Object{}, false
		}
		switch i {
		case 0:
			o.CompanyID = v
		case 1:
			o.CustomerID = v
		case 2:
			o.Kind = reports.Kind(v)
		case 3:
			date = v
		}
	}
	day, err := time.Parse("2006-01-02", date)
	if err != nil {
		return Object{}, false
	}
	o.Date = day
	o.ReportKey, o.Batch, ok = parseName(parts[4])
	if !ok {
		return Object{}, false
	}
	return o, true
}

// parseName splits `<reportKey>[-000n].ndjson.gz`.
func parseName(name string) (string, int, bool) {
	base, ok := strings.CutSuffix(name, ".ndjson.gz")
	if !ok || base == "" {
		return "", 0, false
	}
	i := strings.LastIndexByte(base, '-')
	if i < 0 {
		return base, 1, true
	}
	n, err := strconv.Atoi(base[i+1:])
	if err != nil || n < 2 || i == 0 {
		return base, 1, true
	}
	return base[:i], n, true
}

// partitionPrefix is the narrowest listing prefix for a filter: the
// customer's folder when one is named, else the company's.
func partitionPrefix(f Filter) string {
	p := CompanyPrefix(f.Company)
	if f.Customer != "" {
		p += "customer=" + f.Customer + "/"
	}
	return p
}

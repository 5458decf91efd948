package results

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rptctl/rptctl/reports"
)

// Filter selects the result lines a query reads.
type Filter struct {
	Company  string // required
	Customer string // empty: every customer of the company
	// Domain keeps aggregate records whose header-from domain is Domain,
	// TLS policies whose policy domain is Domain and failure reports whose
	// reported domain is Domain; compared in lower case.
	Domain string
	// From and To bound the reports' dateBegin: From <= dateBegin < To.
	// A zero value leaves that side open.
	From, To time.Time
	// Kinds keeps only these kinds; nil keeps all.
	Kinds []reports.Kind
}

// ErrNoCompany is returned for a filter without a company.
var ErrNoCompany = errors.New("a company is required")

// ValidID reports whether s is a valid companyId or customerId, by the
// rule of the HTTP API (CONTRACT.md section 2): 1 to 64 characters of
// A-Z a-z 0-9 . _ -, not starting with a dot. Only such IDs are stored,
// and only they are safe as a segment of an object key or a local path.
func ValidID(s string) bool {
	if len(s) == 0 || len(s) > 64 || s[0] == '.' {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '.', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// Validate checks that the filter names a valid company (and customer,
// when set) and a sane period.
func (f Filter) Validate() error {
	if f.Company == "" {
		return ErrNoCompany
	}
	if !ValidID(f.Company) {
		return fmt.Errorf("company %q is not a valid company ID", f.Company)
	}
	if f.Customer != "" && !ValidID(f.Customer) {
		return fmt.Errorf("customer %q is not a valid customer ID", f.Customer)
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return fmt.Errorf("period from %s to %s is empty",
			f.From.Format(time.RFC3339), f.To.Format(time.RFC3339))
	}
	return nil
}

// wantObject tells from an object's key alone whether it can hold lines
// the filter keeps: company, customer, kind and the date= partition, so
// that objects outside the period are never read.
func (f Filter) wantObject(o Object) bool {
	if o.CompanyID != f.Company {
		return false
	}
	if f.Customer != "" && o.CustomerID != f.Customer {
		return false
	}
	if f.Kinds != nil && !slices.Contains(f.Kinds, o.Kind) {
		return false
	}
	// The partition is the UTC day of dateBegin, so a day before From's
	// day or at or after To cannot hold a line of the period.
	if !f.From.IsZero() && o.Date.Before(day(f.From)) {
		return false
	}
	if !f.To.IsZero() && !o.Date.Before(f.To) {
		return false
	}
	return true
}

// wantLine applies the parts of the filter that need the line itself.
func (f Filter) wantLine(l *Line) bool {
	if !f.From.IsZero() && l.DateBegin.Before(f.From) {
		return false
	}
	if !f.To.IsZero() && !l.DateBegin.Before(f.To) {
		return false
	}
	if f.Domain != "" && !strings.EqualFold(LineDomain(l), f.Domain) {
		return false
	}
	return true
}

// LineDomain is the domain a line is about: the header-from domain of an
// aggregate record, the policy domain of a TLS policy, the reported
// domain of a failure report. It is lower case.
func LineDomain(l *Line) string {
	d := l.PolicyDomain
	switch l.Kind {
	case reports.KindAggregate:
		if l.HeaderFrom != "" {
			d = l.HeaderFrom
		}
	case reports.KindFailure:
		if l.ReportedDomain != "" {
			d = l.ReportedDomain
		}
	}
	return strings.ToLower(strings.TrimSuffix(d, "."))
}

// day truncates t to its UTC day.
func day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Period turns the period flags of `rptctl sources` into From and To:
// since (a duration such as 36h, 7d or 2w) counts back from now; from and
// to are dates (YYYY-MM-DD, to inclusive) or RFC 3339 times. All empty
// gives an open period.
func Period(since, from, to string, now time.Time) (time.Time, time.Time, error) {
	var zero time.Time
	if since != "" {
		if from != "" || to != "" {
			return zero, zero, errors.New("use either --since or --from/--to, not both")
		}
		d, err := ParseDuration(since)
		if err != nil {
			return zero, zero, err
		}
		return now.UTC().Add(-d), zero, nil
	}
	var f, t time.Time
	var err error
	if from != "" {
		if f, _, err = parseDate(from); err != nil {
			return zero, zero, fmt.Errorf("--from: %w", err)
		}
	}
	if to != "" {
		var isDay bool
		if t, isDay, err = parseDate(to); err != nil {
			return zero, zero, fmt.Errorf("--to: %w", err)
		}
		if isDay {
			t = t.AddDate(0, 0, 1) // a date names its whole day
		}
	}
	if !f.IsZero() && !t.IsZero() && !f.Before(t) {
		return zero, zero, fmt.Errorf("--from %s is not before --to %s", from, to)
	}
	return f, t, nil
}

func parseDate(s string) (time.Time, bool, error) {
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, true, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return t, false, fmt.Errorf("%q is neither YYYY-MM-DD nor an RFC 3339 time", s)
	}
	return t.UTC(), false, nil
}

// ParseDuration reads a Go duration, or a whole number of days (7d) or
// weeks (2w), which time.ParseDuration does not know. It must be positive.
func ParseDuration(s string) (time.Duration, error) {
	if s == "" {
		return 0, errors.New("empty duration: use for example 24h, 7d or 2w")
	}
	var d time.Duration
	unit := map[byte]time.Duration{'d': 24 * time.Hour, 'w': 7 * 24 * time.Hour}
	if u, ok := unit[s[len(s)-1]]; ok && len(s) > 1 {
		n, err := strconv.Atoi(s[:len(s)-1])
		if err != nil {
			return 0, fmt.Errorf("duration %q: use for example 24h, 7d or 2w", s)
		}
		d = time.Duration(n) * u
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, fmt.Errorf("duration %q: use for example 24h, 7d or 2w", s)
		}
	}
	if d <= 0 {
		return 0, fmt.Errorf("duration %q: must be positive", s)
	}
	return d, nil
}

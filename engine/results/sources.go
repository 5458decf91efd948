package results

import (
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/rptctl/rptctl/reports"
)

// Grouping is what `rptctl sources --by` groups aggregate records by.
type Grouping string

// The groupings of `rptctl sources`.
const (
	ByService  Grouping = "service"
	ByHostname Grouping = "hostname"
	ByIP       Grouping = "ip"
	ByDay      Grouping = "day"
	// ByDomain groups by header-from domain. The browser uses it for a
	// domain's trend; `rptctl sources --by` does not offer it.
	ByDomain Grouping = "domain"
)

// ParseGrouping checks a --by value.
func ParseGrouping(s string) (Grouping, error) {
	switch g := Grouping(s); g {
	case ByService, ByHostname, ByIP, ByDay:
		return g, nil
	}
	return "", fmt.Errorf("grouping %q: use service, hostname, ip or day", s)
}

// Keys under which records without enrichment are grouped, so that they
// stay visible as one row rather than vanish. Such a row of `rptctl
// sources --format json` has the key NoService or NoHostname and no
// service or hostname field (empty, omitted), which is how a reader tells
// it from a service or host of that name.
const (
	// NoService groups records whose source matched no known service.
	NoService = "(unknown)"
	// NoHostname groups records whose source IP has no (verified) PTR
	// name, or that were stored without enrichment.
	NoHostname = "(no PTR)"
)

// GroupKey is the value a line is grouped under.
func GroupKey(by Grouping, l *Line) string {
	switch by {
	case ByService:
		if l.Source != nil && l.Source.Service != "" {
			return l.Source.Service
		}
		return NoService
	case ByHostname:
		if l.Source != nil && l.Source.Hostname != "" {
			return l.Source.Hostname
		}
		return NoHostname
	case ByIP:
		return l.SourceIP
	case ByDay:
		return l.DateBegin.UTC().Format(time.DateOnly)
	case ByDomain:
		return LineDomain(l)
	}
	return ""
}

// Dispositions counts messages by the receiver's disposition.
type Dispositions struct {
	None       int64 `json:"none"`
	Quarantine int64 `json:"quarantine"`
	Reject     int64 `json:"reject"`
}

// The flags a source row may carry.
const (
	FlagNew     = "new"     // first seen inside the period
	FlagFailing = "failing" // DMARC pass rate under the threshold
	FlagSpike   = "spike"   // a day far above the source's usual volume
)

// SourceRow is one row of `rptctl sources`, in the JSON shape of
// CONTRACT.md section 5. Fields that do not apply to the grouping are
// empty and omitted.
type SourceRow struct {
	Key          string       `json:"key"`
	Service      string       `json:"service,omitempty"`
	ServiceType  string       `json:"serviceType,omitempty"`
	Hostname     string       `json:"hostname,omitempty"`
	BaseDomain   string       `json:"baseDomain,omitempty"`
	IP           string       `json:"ip,omitempty"`
	Country      string       `json:"country,omitempty"`
	ASN          uint         `json:"asn,omitempty"`
	Messages     int64        `json:"messages"`
	DMARCPass    int64        `json:"dmarcPass"`
	DMARCFail    int64        `json:"dmarcFail"`
	DKIMAligned  int64        `json:"dkimAligned"`
	SPFAligned   int64        `json:"spfAligned"`
	Dispositions Dispositions `json:"dispositions"`
	Reports      int          `json:"reports"` // distinct customer and reportKey
	FirstSeen    time.Time    `json:"firstSeen"`
	LastSeen     time.Time    `json:"lastSeen"`
	Flags        []string     `json:"flags"`
}

// PassRate is the share of messages that passed DMARC, 0 to 1; 0 for a
// row without messages.
func (r *SourceRow) PassRate() float64 {
	return rate(r.DMARCPass, r.Messages)
}

// rate is part/whole clamped to 0..1 (0 when whole is not positive), so
// that no sum, however odd, shows a pass rate outside 0-100%.
func rate(part, whole int64) float64 {
	if whole <= 0 || part <= 0 {
		return 0
	}
	return min(float64(part)/float64(whole), 1)
}

// HasFlag reports whether the row carries flag.
func (r *SourceRow) HasFlag(flag string) bool {
	for _, f := range r.Flags {
		if f == flag {
			return true
		}
	}
	return false
}

// uniform keeps a value while every non-empty value offered agrees.
type uniform struct {
	v     string
	mixed bool
}

func (u *uniform) set(v string) {
	switch {
	case v == "" || u.mixed:
	case u.v == "":
		u.v = v
	case u.v != v:
		u.mixed = true
	}
}

func (u *uniform) get() string {
	if u.mixed {
		return ""
	}
	return u.v
}

// group is the running sum of one row.
type group struct {
	row                                            SourceRow
	reports                                        map[string]struct{}
	days                                           map[time.Time]int64
	service, serviceType, host, base, country, asn uniform
}

// satAdd adds n (negative counts are taken as 0) to *sum, stopping at
// the largest int64 rather than wrapping: stored results may predate the
// parser's count cap, and a wrapped sum reads as negative messages and
// pass rates far outside 0-100%.
func satAdd(sum *int64, n int64) {
	switch {
	case n <= 0:
	case *sum > math.MaxInt64-n:
		*sum = math.MaxInt64
	default:
		*sum += n
	}
}

func (g *group) add(l *Line) {
	r := &g.row
	n := l.Count
	satAdd(&r.Messages, n)
	if l.DMARC == "pass" {
		satAdd(&r.DMARCPass, n)
	} else {
		satAdd(&r.DMARCFail, n)
	}
	if l.DKIM == "pass" {
		satAdd(&r.DKIMAligned, n)
	}
	if l.SPF == "pass" {
		satAdd(&r.SPFAligned, n)
	}
	switch l.Disposition {
	// RFC 9990's aggregate schema (ActionDispositionType) adds "pass":
	// DMARC passed and no policy was applied, which is what RFC 7489's
	// "none" says; CONTRACT.md section 5 has no fourth bucket.
	case "none", "pass":
		satAdd(&r.Dispositions.None, n)
	case "quarantine":
		satAdd(&r.Dispositions.Quarantine, n)
	case "reject":
		satAdd(&r.Dispositions.Reject, n)
	}
	d := day(l.DateBegin)
	v := g.days[d]
	satAdd(&v, n)
	g.days[d] = v
	g.seen(l)
	g.addSource(l)
}

// seen counts l's report and widens the row's first and last seen. The
// same report stored for two customers is two reports, as its messages
// count twice; the batches of one report are one.
func (g *group) seen(l *Line) {
	r := &g.row
	g.reports[l.CustomerID+"/"+l.ReportKey] = struct{}{}
	if r.FirstSeen.IsZero() || l.DateBegin.Before(r.FirstSeen) {
		r.FirstSeen = l.DateBegin.UTC()
	}
	if l.DateEnd.After(r.LastSeen) {
		r.LastSeen = l.DateEnd.UTC()
	}
}

func (g *group) addSource(l *Line) {
	if s := l.Source; s != nil {
		g.service.set(s.Service)
		g.serviceType.set(s.ServiceType)
		g.host.set(s.Hostname)
		g.base.set(s.BaseDomain)
		g.country.set(s.Country)
		if s.ASN != 0 {
			g.asn.set(fmt.Sprint(s.ASN))
		}
	}
}

// Aggregator sums aggregate records into source rows, one line at a
// time, so that a scan never holds more than the rows. It is not safe for
// concurrent use.
type Aggregator struct {
	by      Grouping
	groups  map[string]*group
	history map[string]bool
	scope   Scope
}

// NewAggregator returns an Aggregator grouping by by the lines in scope
// (an empty scope keeps every line).
func NewAggregator(by Grouping, scope Scope) *Aggregator {
	return &Aggregator{
		by:      by,
		groups:  map[string]*group{},
		history: map[string]bool{},
		scope:   scope,
	}
}

// Add counts an aggregate line of the period; other kinds are ignored.
// The line of a report without records (see Line.IsRecord) counts as a
// report of its day with --by day, and is no source under the other
// groupings.
func (a *Aggregator) Add(l *Line) {
	if l.Kind != reports.KindAggregate || !a.scope.Match(l) {
		return
	}
	if !l.IsRecord() {
		if a.by == ByDay {
			a.group(GroupKey(a.by, l)).seen(l)
		}
		return
	}
	a.group(GroupKey(a.by, l)).add(l)
}

func (a *Aggregator) group(k string) *group {
	g := a.groups[k]
	if g == nil {
		g = &group{
			row:     SourceRow{Key: k},
			reports: map[string]struct{}{},
			days:    map[time.Time]int64{},
		}
		a.groups[k] = g
	}
	return g
}

// AddHistory notes a line from before the period, which only tells
// which sources are not new.
func (a *Aggregator) AddHistory(l *Line) {
	if l.Kind == reports.KindAggregate && l.IsRecord() && a.scope.Match(l) {
		a.history[GroupKey(a.by, l)] = true
	}
}

// Len is the number of rows so far.
func (a *Aggregator) Len() int { return len(a.groups) }

// Rows returns the rows so far with their flags, most messages first (by
// day: oldest day first).
func (a *Aggregator) Rows(opts FlagOptions) []SourceRow {
	opts = opts.withDefaults()
	out := make([]SourceRow, 0, len(a.groups))
	var totals map[time.Time]int64
	if a.by == ByDay {
		totals = map[time.Time]int64{}
		for _, g := range a.groups {
			for d, n := range g.days {
				totals[d] += n
			}
		}
	}
	for _, g := range a.groups {
		r := a.finish(g)
		r.Flags = a.flags(g, &r, opts, totals)
		out = append(out, r)
	}
	sortRows(a.by, out)
	return out
}

func (a *Aggregator) finish(g *group) SourceRow {
	r := g.row
	r.Reports = len(g.reports)
	switch a.by {
	case ByService:
		if r.Key != NoService {
			r.Service = r.Key
			r.ServiceType = g.serviceType.get()
		}
	case ByHostname:
		if r.Key != NoHostname {
			r.Hostname = r.Key
		}
		a.fillSource(g, &r)
	case ByIP:
		r.IP = r.Key
		r.Hostname = g.host.get()
		a.fillSource(g, &r)
	}
	return r
}

func (a *Aggregator) fillSource(g *group, r *SourceRow) {
	r.BaseDomain = g.base.get()
	r.Service = g.service.get()
	r.ServiceType = g.serviceType.get()
	r.Country = g.country.get()
	if v := g.asn.get(); v != "" {
		var n uint
		if _, err := fmt.Sscan(v, &n); err == nil {
			r.ASN = n
		}
	}
}

func sortRows(by Grouping, rows []SourceRow) {
	sort.Slice(rows, func(i, j int) bool {
		if by == ByDay {
			return rows[i].Key < rows[j].Key
		}
		if rows[i].Messages != rows[j].Messages {
			return rows[i].Messages > rows[j].Messages
		}
		return rows[i].Key < rows[j].Key
	})
}

package reports

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Namespace of RFC 9990 aggregate reports (section 3 and appendix A).
const ns9990 = "urn:ietf:params:xml:ns:dmarc-2.0"

// parseAggregate reads a DMARC aggregate report: RFC 7489 appendix C, the
// drafts before it (`identities` for `identifiers`) and RFC 9990. Elements
// are matched by local name in any order; unknown ones are skipped with a
// warning. It returns the line of a syntax error. owned says nothing
// writes to data again, so that its text need not be copied.
func parseAggregate(data []byte, owned bool) (*Report, int, error) {
	var wn warnings
	doc := xmlText(data, owned, &wn)
	t, err := parseXML(doc, &wn)
	if err != nil {
		var se *xmlSyntaxError
		if errors.As(err, &se) {
			return nil, line(doc, se.off), fmt.Errorf("reading XML: %w", se.err)
		}
		return nil, 0, fmt.Errorf("reading XML: %w", err)
	}

	fb, err := feedbackElement(t, &wn)
	if err != nil {
		return nil, line(doc, t.nodes[t.root].off), err
	}
	a := &aggregate{t: t, wn: &wn, r: &Report{Kind: KindAggregate, Schema: "rfc7489"}}
	for _, ns := range t.ns {
		if trim(ns) == ns9990 {
			a.r.Schema = "rfc9990"
		}
	}
	a.feedback(fb)
	if err := a.check(); err != nil {
		return nil, 0, err
	}
	a.r.Warnings = wn.strings()
	return a.r, 0, nil
}

// feedbackElement returns the <feedback> element: the root, or a child of
// a wrapper such as an <xs:schema> some reporters print around it.
func feedbackElement(t *xtree, wn *warnings) (int32, error) {
	root := &t.nodes[t.root]
	if root.local() == "feedback" {
		if root.qname != "feedback" {
			wn.add("prefixed root element <%s> matched by its local name", clip(root.qname))
		}
		return t.root, nil
	}
	if fb := t.child(t.root, "feedback"); fb >= 0 {
		wn.add("wrapper <%s> around <feedback> ignored", clip(root.qname))
		return fb, nil
	}
	return -1, fmt.Errorf("root element is <%s>, not <feedback>: %w", clip(root.qname), ErrNotReport)
}

// aggregate maps the tree of one report onto the model.
type aggregate struct {
	t          *xtree
	wn         *warnings
	r          *Report
	hasMeta    bool
	hasBegin   bool
	hasEnd     bool
	records    int // <record> elements seen, dropped ones included
	dropped    int
	droppedMsg int64
}

func (a *aggregate) node(n int32) *xnode { return &a.t.nodes[n] }

// text returns an element's text with the white space around it removed.
func (a *aggregate) text(n int32) string { return trim(a.t.nodes[n].text) }

// unknown records an element the report's schema does not define.
func (a *aggregate) unknown(n, parent int32) {
	a.wn.add("unknown element <%s> in <%s> ignored",
		clip(a.node(n).local()), a.node(parent).local())
}

// each calls f for every child element of n.
func (a *aggregate) each(n int32, f func(c int32, name string)) {
	for c := a.t.nodes[n].first; c >= 0; c = a.t.nodes[c].next {
		f(c, a.t.nodes[c].local())
	}
}

func (a *aggregate) feedback(fb int32) {
	records := 0
	a.each(fb, func(_ int32, name string) {
		if name == "record" {
			records++
		}
	})
	a.r.Records = make([]Record, 0, records)
	policies := 0
	a.each(fb, func(c int32, name string) {
		switch name {
		case "version":
		case "report_metadata":
			a.metadata(c)
		case "policy_published":
			policies++
			if policies == 1 {
				a.r.Policy = a.policy(c)
			} else {
				a.wn.add("<policy_published> number %d ignored: the first one is used", policies)
			}
		case "record":
			a.record(c)
		case "extensions":
			// RFC 9990 section 3.1.2: extensions a reader does not know.
			a.wn.add("<extensions> skipped")
		default:
			a.unknown(c, fb)
		}
	})
}

func (a *aggregate) metadata(n int32) {
	a.hasMeta = true
	a.each(n, func(c int32, name string) {
		switch name {
		case "org_name":
			a.r.OrgName = a.text(c)
		case "email":
			a.r.OrgEmail = a.text(c)
		case "extra_contact_info":
		case "report_id":
			a.r.ReportID = a.reportID(a.text(c))
		case "date_range":
			a.dateRange(c)
		case "error":
			if msg := a.text(c); msg != "" {
				a.wn.add("reporter noted an error: %s", clip(msg))
			}
		case "generator":
			a.r.Generator = a.text(c)
		default:
			a.unknown(c, n)
		}
	})
}

// reportID strips the angle brackets some reporters put around a
// Message-ID used as report id.
func (a *aggregate) reportID(id string) string {
	if len(id) > 2 && id[0] == '<' && id[len(id)-1] == '>' {
		a.wn.add("angle brackets around report_id %q removed", clip(id))
		return trim(id[1 : len(id)-1])
	}
	return id
}

func (a *aggregate) dateRange(n int32) {
	a.each(n, func(c int32, name string) {
		switch name {
		case "begin":
			a.r.DateBegin, a.hasBegin = a.epoch(c)
		case "end":
			a.r.DateEnd, a.hasEnd = a.epoch(c)
		default:
			a.unknown(c, n)
		}
	})
}

// epoch reads a date_range bound, seconds since 1970 in UTC.
func (a *aggregate) epoch(n int32) (time.Time, bool) {
	raw := a.node(n).text
	sec, note, ok := parseEpoch(raw)
	if !ok {
		a.wn.add("<%s> %q is not a timestamp", a.node(n).local(), clip(raw))
		return time.Time{}, false
	}
	if note != "" {
		a.wn.add("<%s> %q %s", a.node(n).local(), clip(raw), note)
	}
	return time.Unix(sec, 0).UTC(), true
}

func (a *aggregate) policy(n int32) *Policy {
	p := &Policy{}
	a.each(n, func(c int32, name string) {
		switch name {
		case "domain":
			p.Domain = a.domain(c)
		case "adkim":
			p.ADKIM = a.enum(c)
		case "aspf":
			p.ASPF = a.enum(c)
		case "p":
			p.P = a.enum(c)
		case "sp":
			p.SP = a.enum(c)
		case "np":
			p.NP = a.enum(c)
		case "pct":
			p.Pct = a.pct(c)
		case "fo":
			p.FO = a.text(c)
		case "testing":
			p.Testing = a.enum(c)
		case "discovery_method":
			p.DiscoveryMethod = a.enum(c)
		default:
			a.unknown(c, n)
		}
	})
	return p
}

func (a *aggregate) pct(n int32) *int {
	v, note, ok := parseCount(a.node(n).text)
	if !ok || v > 100 {
		a.wn.add("<pct> %q is not a percentage: ignored", clip(a.node(n).text))
		return nil
	}
	if note != "" {
		a.wn.add("<pct> %q %s", clip(a.node(n).text), note)
	}
	pct := int(v)
	return &pct
}

// enum reads a keyword value: lower case, white space removed (RFC 7489
// appendix C spells every value in lower case; receivers send "Pass").
func (a *aggregate) enum(n int32) string {
	raw := a.node(n).text
	v := lower(trim(raw))
	if v != raw {
		a.wn.add("value %q of <%s> read as %q", clip(raw), a.node(n).local(), clip(v))
	}
	return v
}

// domain reads a domain name in lower case: DNS names are
// case-insensitive (RFC 4343), and keys and filters compare them.
func (a *aggregate) domain(n int32) string {
	return strings.TrimSuffix(lower(a.text(n)), ".")
}

// check completes the report and refuses one without the fields its key
// is made of.
func (a *aggregate) check() error {
	r := a.r
	switch {
	case !a.hasMeta:
		return fmt.Errorf("no <report_metadata>: %w", ErrNotReport)
	case r.ReportID == "":
		return fmt.Errorf("no <report_id> in <report_metadata>: %w", ErrNotReport)
	case !a.hasBegin || !a.hasEnd:
		return fmt.Errorf("no valid <date_range> in <report_metadata>: %w", ErrNotReport)
	}
	if r.DateEnd.Before(r.DateBegin) {
		a.wn.add("date_range ends before it begins")
	}
	if r.OrgName == "" {
		r.OrgName = emailDomain(r.OrgEmail)
		if r.OrgName != "" {
			a.wn.add("empty <org_name>: taken from the domain of <email> (%s)", r.OrgName)
		} else {
			a.wn.add("empty <org_name> and no <email> to take it from")
		}
	}
	if r.Policy == nil {
		a.wn.add("no <policy_published>")
		r.Policy = &Policy{}
	}
	if r.Policy.Domain == "" {
		a.wn.add("no <domain> in <policy_published>")
	}
	if a.dropped > 0 {
		a.wn.add("%d of %d records dropped (%d messages)", a.dropped, a.records, a.droppedMsg)
	}
	if a.records == 0 {
		a.wn.add("report has no records")
	}
	if r.Records == nil {
		r.Records = []Record{}
	}
	return nil
}

// emailDomain returns the lower-case domain of an address such as
// "noreply@example.net" or "mailto:dmarc@example.net".
func emailDomain(addr string) string {
	i := strings.LastIndexByte(addr, '@')
	if i < 0 {
		return ""
	}
	d := strings.TrimRight(addr[i+1:], "> \t")
	if j := strings.IndexAny(d, " ,;"); j >= 0 {
		d = d[:j]
	}
	return lower(d)
}

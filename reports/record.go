package reports

import (
	"fmt"
)

// record reads one <record>: its row, identifiers and every DKIM and SPF
// result in document order. A record whose source IP or count cannot be
// read is dropped with a warning naming it; the others are kept.
func (a *aggregate) record(n int32) {
	a.records++
	idx := a.records
	rec := Record{Reasons: []Reason{}, DKIMResults: []DKIMResult{}, SPFResults: []SPFResult{}}
	var rawIP, rawCount string
	hasRow, hasEval := false, false

	a.each(n, func(c int32, name string) {
		switch name {
		case "row":
			hasRow = true
			rawIP, rawCount, hasEval = a.row(c, idx, &rec)
		case "identifiers", "identities": // "identities" in drafts before RFC 7489
			a.identifiers(c, &rec)
		case "auth_results":
			a.authResults(c, idx, &rec)
		case "extensions":
			a.wn.add("<extensions> skipped")
		default:
			a.unknown(c, n)
		}
	})

	if !a.keep(idx, hasRow, rawIP, rawCount, &rec) {
		return
	}
	if !hasEval {
		a.wn.add("record %d: no <policy_evaluated>", idx)
	}
	rec.DMARC = "fail"
	if rec.DKIM == "pass" || rec.SPF == "pass" {
		// RFC 7489 section 3.1: DMARC passes when an aligned identifier does.
		rec.DMARC = "pass"
	}
	a.r.Records = append(a.r.Records, rec)
}

// keep validates the source IP and count of a record and fills them in.
func (a *aggregate) keep(idx int, hasRow bool, rawIP, rawCount string, rec *Record) bool {
	count, note, countOK := parseCount(rawCount)
	ip, ipOK := canonicalIP(rawIP)
	switch {
	case !hasRow:
		a.drop(idx, 0, "has no <row>")
		return false
	case !ipOK:
		msgs := int64(0)
		if countOK {
			msgs = count
		}
		a.drop(idx, msgs, fmt.Sprintf("source_ip %q is not an IP address", clip(trim(rawIP))))
		return false
	case !countOK:
		a.drop(idx, 0, fmt.Sprintf("(%s) count %q is not a whole number of messages",
			ip, clip(trim(rawCount))))
		return false
	case count > MaxCount:
		a.drop(idx, 0, fmt.Sprintf("(%s) count %d is an invalid count (over %d)",
			ip, count, int64(MaxCount)))
		return false
	}
	if note != "" {
		a.wn.add("record %d (%s): count %q %s", idx, ip, clip(rawCount), note)
	}
	if ip != trim(rawIP) {
		a.wn.add("record %d: source_ip %q written as %s", idx, clip(trim(rawIP)), ip)
	}
	rec.SourceIP, rec.Count = ip, count
	return true
}

func (a *aggregate) drop(idx int, msgs int64, why string) {
	a.dropped++
	a.droppedMsg += msgs
	a.wn.add("record %d %s: record dropped (%d messages)", idx, why, msgs)
}

// row reads <row>: source IP and count raw, the policy evaluated.
func (a *aggregate) row(n int32, idx int, rec *Record) (ip, count string, eval bool) {
	a.each(n, func(c int32, name string) {
		switch name {
		case "source_ip":
			ip = a.node(c).text
		case "count":
			count = a.node(c).text
		case "policy_evaluated":
			eval = true
			a.evaluated(c, idx, rec)
		default:
			a.unknown(c, n)
		}
	})
	return ip, count, eval
}

func (a *aggregate) evaluated(n int32, idx int, rec *Record) {
	hasDKIM, hasSPF := false, false
	a.each(n, func(c int32, name string) {
		switch name {
		case "disposition":
			rec.Disposition = a.enum(c)
		case "dkim":
			hasDKIM = true
			rec.DKIM = a.enum(c)
		case "spf":
			hasSPF = true
			rec.SPF = a.enum(c)
		case "reason":
			a.reason(c, idx, rec)
		default:
			a.unknown(c, n)
		}
	})
	if !hasDKIM {
		a.wn.add("record %d: <policy_evaluated> has no <dkim>", idx)
	}
	if !hasSPF {
		a.wn.add("record %d: <policy_evaluated> has no <spf>", idx)
	}
}

func (a *aggregate) reason(n int32, idx int, rec *Record) {
	var r Reason
	a.each(n, func(c int32, name string) {
		switch name {
		case "type":
			r.Type = a.enum(c)
		case "comment":
			r.Comment = a.text(c)
		default:
			a.unknown(c, n)
		}
	})
	if r.Type == "" && r.Comment == "" {
		a.wn.add("record %d: empty <reason> dropped", idx)
		return
	}
	rec.Reasons = append(rec.Reasons, r)
}

func (a *aggregate) identifiers(n int32, rec *Record) {
	a.each(n, func(c int32, name string) {
		switch name {
		case "header_from":
			rec.HeaderFrom = a.domain(c)
		case "envelope_from":
			rec.EnvelopeFrom = a.domain(c)
		case "envelope_to":
			rec.EnvelopeTo = a.domain(c)
		default:
			a.unknown(c, n)
		}
	})
}

func (a *aggregate) authResults(n int32, idx int, rec *Record) {
	a.each(n, func(c int32, name string) {
		switch name {
		case "dkim":
			a.dkimResult(c, idx, rec)
		case "spf":
			a.spfResult(c, rec)
		default:
			a.unknown(c, n)
		}
	})
}

func (a *aggregate) dkimResult(n int32, idx int, rec *Record) {
	var d DKIMResult
	a.each(n, func(c int32, name string) {
		switch name {
		case "domain":
			d.Domain = a.domain(c)
		case "selector":
			d.Selector = a.text(c)
		case "result":
			d.Result = a.result(c, dkimResults)
		case "human_result":
			d.HumanResult = a.text(c)
		default:
			a.unknown(c, n)
		}
	})
	if d.Domain == "" && d.Selector == "" {
		a.wn.add("record %d: DKIM result without domain and selector dropped", idx)
		return
	}
	rec.DKIMResults = append(rec.DKIMResults, d)
}

func (a *aggregate) spfResult(n int32, rec *Record) {
	var s SPFResult
	a.each(n, func(c int32, name string) {
		switch name {
		case "domain":
			s.Domain = a.domain(c)
		case "scope":
			s.Scope = a.enum(c)
		case "result":
			s.Result = a.result(c, spfResults)
		case "human_result":
		default:
			a.unknown(c, n)
		}
	})
	rec.SPFResults = append(rec.SPFResults, s)
}

// resultSet lists the values of one result type and the aliases read as
// one of them.
type resultSet struct {
	name    string
	valid   map[string]bool
	aliases map[string]string
}

// RFC 7489 appendix C DKIMResultType.
var dkimResults = resultSet{
	name: "DKIM",
	valid: map[string]bool{"none": true, "pass": true, "fail": true, "policy": true,
		"neutral": true, "temperror": true, "permerror": true},
	aliases: map[string]string{"hardfail": "fail"},
}

// RFC 7489 appendix C SPFResultType. "hardfail" is what some receivers
// call fail; "unknown" is the name RFC 4408's drafts gave PermError and
// "error" the one they gave TempError.
var spfResults = resultSet{
	name: "SPF",
	valid: map[string]bool{"none": true, "neutral": true, "pass": true, "fail": true,
		"softfail": true, "temperror": true, "permerror": true},
	aliases: map[string]string{"hardfail": "fail", "unknown": "permerror",
		"error": "temperror"},
}

// result reads an authentication result, mapping aliases. A value with
// no equivalent (DKIM "unknown") is kept with a warning.
func (a *aggregate) result(n int32, set resultSet) string {
	v := a.enum(n)
	if set.valid[v] || v == "" {
		return v
	}
	if to, ok := set.aliases[v]; ok {
		a.wn.add("%s result %q read as %q", set.name, v, to)
		return to
	}
	a.wn.add("%s result %q is not defined by RFC 7489: kept", set.name, clip(v))
	return v
}

package reports

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// tlsReport is the JSON of an SMTP TLS report, RFC 8460 section 4.
// Fields receivers send as null, as a string for a list or as a string
// for a number are read through the flex types.
type tlsReport struct {
	OrganizationName flexString   `json:"organization-name"`
	DateRange        *tlsRange    `json:"date-range"`
	ContactInfo      flexString   `json:"contact-info"`
	ReportID         flexString   `json:"report-id"`
	Policies         []*tlsPolicy `json:"policies"`
}

type tlsRange struct {
	Start flexString `json:"start-datetime"`
	End   flexString `json:"end-datetime"`
}

type tlsPolicy struct {
	Policy         *tlsPolicyDesc `json:"policy"`
	Summary        *tlsSummary    `json:"summary"`
	FailureDetails []*tlsFailure  `json:"failure-details"`
}

type tlsPolicyDesc struct {
	PolicyType   flexString  `json:"policy-type"`
	PolicyString flexStrings `json:"policy-string"`
	PolicyDomain flexString  `json:"policy-domain"`
	MXHost       flexStrings `json:"mx-host"`
	// "mx-host-pattern" is the name in drafts of RFC 8460 some senders kept.
	MXHostPattern flexStrings `json:"mx-host-pattern"`
}

type tlsSummary struct {
	Successful flexInt `json:"total-successful-session-count"`
	Failed     flexInt `json:"total-failure-session-count"`
}

type tlsFailure struct {
	ResultType          flexString `json:"result-type"`
	SendingMTAIP        flexString `json:"sending-mta-ip"`
	ReceivingMXHostname flexString `json:"receiving-mx-hostname"`
	ReceivingIP         flexString `json:"receiving-ip"`
	FailedSessions      flexInt    `json:"failed-session-count"`
	FailureReasonCode   flexString `json:"failure-reason-code"`
}

// TODO: a JSON array of several TLS reports in one file is refused as not
// a report; RFC 8460 sends one report per file and none has been seen.

// parseTLS reads an SMTP TLS report. Datetimes without a zone (Microsoft
// sends them so) are read as UTC; a missing policy domain is taken from
// the enclosing email's hints when there are any.
func parseTLS(data []byte, h hints) (*Report, error) {
	var wn warnings
	data = bytes.TrimPrefix(data, utf8BOM)
	var in tlsReport
	if err := json.Unmarshal(data, &in); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("reading JSON at byte %d: %w: %w", se.Offset, err, ErrMalformed)
		}
		return nil, fmt.Errorf("reading SMTP TLS report: %w: %w", err, ErrNotReport)
	}
	if in.DateRange == nil || in.Policies == nil && in.OrganizationName.s == "" {
		return nil, fmt.Errorf("JSON has no \"date-range\" and \"policies\" "+
			"of an SMTP TLS report: %w", ErrNotReport)
	}

	r := &Report{
		Kind:     KindTLSRPT,
		OrgName:  trim(in.OrganizationName.s),
		OrgEmail: trim(in.ContactInfo.s),
		ReportID: trim(in.ReportID.s),
		Policies: []TLSPolicy{},
	}
	var err error
	if r.DateBegin, err = tlsTime(in.DateRange.Start.s, "start-datetime", &wn); err != nil {
		return nil, err
	}
	if r.DateEnd, err = tlsTime(in.DateRange.End.s, "end-datetime", &wn); err != nil {
		return nil, err
	}
	if r.ReportID == "" {
		return nil, fmt.Errorf("no \"report-id\": %w", ErrNotReport)
	}
	if r.OrgName == "" {
		wn.add("no \"organization-name\"")
	}
	for i, p := range in.Policies {
		if p == nil {
			wn.add("policy %d is null: ignored", i+1)
			continue
		}
		r.Policies = append(r.Policies, tlsPolicyOf(p, i+1, h, &wn))
	}
	if len(r.Policies) == 0 {
		wn.add("report has no policies")
	}
	r.Warnings = wn.strings()
	return r, nil
}

func tlsPolicyOf(p *tlsPolicy, idx int, h hints, wn *warnings) TLSPolicy {
	out := TLSPolicy{PolicyStrings: []string{}, MXHosts: []string{},
		FailureDetails: []FailureDetail{}}
	if d := p.Policy; d != nil {
		out.PolicyType = lower(trim(d.PolicyType.s))
		out.PolicyDomain = strings.TrimSuffix(lower(trim(d.PolicyDomain.s)), ".")
		out.PolicyStrings = append(out.PolicyStrings, d.PolicyString.list...)
		out.MXHosts = append(out.MXHosts, d.MXHost.list...)
		out.MXHosts = append(out.MXHosts, d.MXHostPattern.list...)
	} else {
		wn.add("policy %d has no \"policy\" object", idx)
	}
	if out.PolicyDomain == "" {
		if h.tlsDomain != "" {
			out.PolicyDomain = h.tlsDomain
			wn.add("policy %d has no \"policy-domain\": %s taken from the email", idx, h.tlsDomain)
		} else {
			wn.add("policy %d has no \"policy-domain\"", idx)
		}
	}
	if s := p.Summary; s != nil {
		where := fmt.Sprintf("policy %d", idx)
		out.SuccessfulSessions = s.Successful.count("total-successful-session-count",
			wn, where)
		out.FailedSessions = s.Failed.count("total-failure-session-count", wn, where)
	} else {
		wn.add("policy %d has no \"summary\"", idx)
	}
	for _, f := range p.FailureDetails {
		if f == nil {
			continue
		}
		out.FailureDetails = append(out.FailureDetails, FailureDetail{
			ResultType:          lower(trim(f.ResultType.s)),
			SendingMTAIP:        tlsIP(f.SendingMTAIP.s, "sending-mta-ip", wn),
			ReceivingMXHostname: strings.TrimSuffix(lower(trim(f.ReceivingMXHostname.s)), "."),
			ReceivingIP:         tlsIP(f.ReceivingIP.s, "receiving-ip", wn),
			FailedSessions: f.FailedSessions.count("failed-session-count", wn,
				fmt.Sprintf("policy %d failure detail", idx)),
			FailureReasonCode: trim(f.FailureReasonCode.s),
		})
	}
	return out
}

// tlsIP canonicalises an address of a failure detail; one that is no
// address is kept as sent, with a warning.
func tlsIP(raw, field string, wn *warnings) string {
	if trim(raw) == "" {
		return ""
	}
	ip, ok := canonicalIP(raw)
	if !ok {
		wn.add("%q %q is not an IP address: kept as sent", field, clip(raw))
		return trim(raw)
	}
	return ip
}

// tlsTime reads an RFC 8460 datetime (RFC 3339 date-time).
func tlsTime(raw, field string, wn *warnings) (time.Time, error) {
	s := trim(raw)
	if s == "" {
		return time.Time{}, fmt.Errorf("no %q in \"date-range\": %w", field, ErrNotReport)
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	// time.Parse returns UTC for a layout without a zone, whatever the
	// machine's zone.
	for _, layout := range []string{"2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05",
		"2006-01-02 15:04:05Z07:00", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			if !strings.ContainsAny(layout, "Z") {
				wn.add("%q %q has no time zone: read as UTC", field, clip(s))
			}
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q %q is not a date-time: %w", field, clip(s), ErrNotReport)
}

// flexString reads a JSON string, number or null as text.
type flexString struct{ s string }

func (f *flexString) UnmarshalJSON(b []byte) error {
	switch {
	case bytes.Equal(b, []byte("null")):
		return nil
	case len(b) > 0 && b[0] == '"':
		return json.Unmarshal(b, &f.s)
	case len(b) > 0 && (b[0] == '-' || b[0] >= '0' && b[0] <= '9'):
		f.s = string(b)
		return nil
	}
	return nil // an object or array where text belongs: ignored
}

// flexStrings reads a JSON list of strings, a single string or null.
type flexStrings struct{ list []string }

func (f *flexStrings) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '[' {
		var items []flexString
		if err := json.Unmarshal(b, &items); err != nil {
			return err
		}
		for _, it := range items {
			f.list = append(f.list, it.s)
		}
		return nil
	}
	var one flexString
	if err := one.UnmarshalJSON(b); err != nil {
		return err
	}
	if one.s != "" {
		f.list = []string{one.s}
	}
	return nil
}

// flexInt reads a JSON number, a numeric string or null as an integer.
// flexInt is a session count sent as a number or a string. One that is
// negative, over MaxCount or no number at all reads as 0 and keeps its
// raw text in bad, so that the policy can say so in a warning.
type flexInt struct {
	n   int64
	bad string
}

func (f *flexInt) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "null" || s == "" {
		return nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n >= 0 && n <= MaxCount {
		f.n = n
		return nil
	}
	if v, err := strconv.ParseFloat(s, 64); err == nil && v >= 0 && v <= MaxCount {
		f.n = int64(v)
		return nil
	}
	f.bad = s
	return nil
}

// count returns f's value, with a warning when it was refused.
func (f flexInt) count(field string, wn *warnings, where string) int64 {
	if f.bad != "" {
		wn.add("%s: %q %q is an invalid count (negative, over %d or no number): read as 0",
			where, field, clip(f.bad), int64(MaxCount))
	}
	return f.n
}

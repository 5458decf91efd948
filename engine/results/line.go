package results

import (
	"time"

	"github.com/rptctl/rptctl/reports"
)

// Line is one line of a result object (CONTRACT.md section 5): one
// record, TLS policy or failure report, with its report's fields beside
// it. Fields of the other kinds are empty and omitted.
type Line struct {
	Kind         reports.Kind `json:"kind"`
	ReportKey    string       `json:"reportKey"`
	TraceID      string       `json:"traceId"`
	CompanyID    string       `json:"companyId"`
	CustomerID   string       `json:"customerId"`
	OrgName      string       `json:"orgName"`
	ReportID     string       `json:"reportId"`
	DateBegin    time.Time    `json:"dateBegin"`
	DateEnd      time.Time    `json:"dateEnd"`
	PolicyDomain string       `json:"policyDomain"`
	PolicyP      string       `json:"policyP,omitempty"`

	// An aggregate record.
	SourceIP     string               `json:"sourceIp,omitempty"`
	Count        int64                `json:"count,omitempty"`
	Disposition  string               `json:"disposition,omitempty"`
	DKIM         string               `json:"dkim,omitempty"`
	SPF          string               `json:"spf,omitempty"`
	DMARC        string               `json:"dmarc,omitempty"`
	Reasons      []reports.Reason     `json:"reasons,omitempty"`
	HeaderFrom   string               `json:"headerFrom,omitempty"`
	EnvelopeFrom string               `json:"envelopeFrom,omitempty"`
	EnvelopeTo   string               `json:"envelopeTo,omitempty"`
	DKIMResults  []reports.DKIMResult `json:"dkimResults,omitempty"`
	SPFResults   []reports.SPFResult  `json:"spfResults,omitempty"`

	// A TLS report policy.
	PolicyType         string                  `json:"policyType,omitempty"`
	PolicyStrings      []string                `json:"policyStrings,omitempty"`
	MXHosts            []string                `json:"mxHosts,omitempty"`
	SuccessfulSessions int64                   `json:"successfulSessions,omitempty"`
	FailedSessions     int64                   `json:"failedSessions,omitempty"`
	FailureDetails     []reports.FailureDetail `json:"failureDetails,omitempty"`

	// A failure report (SourceIP above holds its source IP).
	FeedbackType      string           `json:"feedbackType,omitempty"`
	ArrivalDate       *time.Time       `json:"arrivalDate,omitempty"`
	ReportedDomain    string           `json:"reportedDomain,omitempty"`
	AuthFailure       string           `json:"authFailure,omitempty"`
	OriginalMailFrom  string           `json:"originalMailFrom,omitempty"`
	OriginalRcptTo    string           `json:"originalRcptTo,omitempty"`
	DeliveryResult    string           `json:"deliveryResult,omitempty"`
	DKIMDomain        string           `json:"dkimDomain,omitempty"`
	DKIMSelector      string           `json:"dkimSelector,omitempty"`
	IdentityAlignment string           `json:"identityAlignment,omitempty"`
	Headers           []reports.Header `json:"headers,omitempty"`

	Source *reports.Source `json:"source,omitempty"`
}

// Origin says whose a stored report is.
type Origin struct {
	TraceID    string
	CompanyID  string
	CustomerID string
}

// Lines flattens a report into its result lines: one per aggregate
// record, one per TLS policy, one for a failure report. An aggregate
// report with no records gives one line of its report's fields alone (no
// sourceIp, count 0), so that the report is still stored, dated and
// counted; IsRecord tells such a line from a record.
func Lines(r *reports.Report, o Origin) []Line {
	head := Line{
		Kind:         r.Kind,
		ReportKey:    r.ReportKey,
		TraceID:      o.TraceID,
		CompanyID:    o.CompanyID,
		CustomerID:   o.CustomerID,
		OrgName:      r.OrgName,
		ReportID:     r.ReportID,
		DateBegin:    r.DateBegin.UTC(),
		DateEnd:      r.DateEnd.UTC(),
		PolicyDomain: r.PolicyDomain(),
	}
	if r.Policy != nil {
		head.PolicyP = r.Policy.P
	}
	switch r.Kind {
	case reports.KindAggregate:
		if len(r.Records) == 0 {
			return []Line{head}
		}
		out := make([]Line, len(r.Records))
		for i := range r.Records {
			out[i] = withRecord(head, &r.Records[i])
		}
		return out
	case reports.KindTLSRPT:
		out := make([]Line, len(r.Policies))
		for i := range r.Policies {
			out[i] = withPolicy(head, &r.Policies[i])
		}
		return out
	case reports.KindFailure:
		if r.Failure == nil {
			return nil
		}
		return []Line{withFailure(head, r.Failure)}
	}
	return nil
}

// IsRecord reports whether l holds a record, TLS policy or failure
// report, rather than only the fields of a report that has none.
func (l *Line) IsRecord() bool {
	return l.Kind != reports.KindAggregate || l.SourceIP != "" || l.Count != 0
}

func withRecord(l Line, rec *reports.Record) Line {
	l.SourceIP = rec.SourceIP
	l.Count = rec.Count
	l.Disposition = rec.Disposition
	l.DKIM = rec.DKIM
	l.SPF = rec.SPF
	l.DMARC = rec.DMARC
	l.Reasons = rec.Reasons
	l.HeaderFrom = rec.HeaderFrom
	l.EnvelopeFrom = rec.EnvelopeFrom
	l.EnvelopeTo = rec.EnvelopeTo
	l.DKIMResults = rec.DKIMResults
	l.SPFResults = rec.SPFResults
	l.Source = rec.Source
	return l
}

func withPolicy(l Line, p *reports.TLSPolicy) Line {
	l.PolicyDomain = p.PolicyDomain
	l.PolicyType = p.PolicyType
	l.PolicyStrings = p.PolicyStrings
	l.MXHosts = p.MXHosts
	l.SuccessfulSessions = p.SuccessfulSessions
	l.FailedSessions = p.FailedSessions
	l.FailureDetails = p.FailureDetails
	return l
}

func withFailure(l Line, f *reports.Failure) Line {
	arrival := f.ArrivalDate.UTC()
	l.SourceIP = f.SourceIP
	l.FeedbackType = f.FeedbackType
	l.ArrivalDate = &arrival
	l.ReportedDomain = f.ReportedDomain
	l.AuthFailure = f.AuthFailure
	l.OriginalMailFrom = f.OriginalMailFrom
	l.OriginalRcptTo = f.OriginalRcptTo
	l.DeliveryResult = f.DeliveryResult
	l.DKIMDomain = f.DKIMDomain
	l.DKIMSelector = f.DKIMSelector
	l.IdentityAlignment = f.IdentityAlignment
	l.Headers = f.Headers
	l.Source = f.Source
	return l
}

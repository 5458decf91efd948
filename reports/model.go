package reports

import "time"

// Kind names the family of a report. Its values are the `kind` of
// CONTRACT.md sections 4 and 5.
type Kind string

// The kinds of report rptctl reads.
const (
	KindAggregate Kind = "aggregate" // DMARC aggregate, RFC 7489 / RFC 9990
	KindTLSRPT    Kind = "tlsrpt"    // SMTP TLS reporting, RFC 8460
	KindFailure   Kind = "failure"   // DMARC failure (ARF), RFC 6591
)

// Report is one normalized report of any kind, as `rptctl show --format
// json` prints it. Fields that belong to another kind are left empty and
// omitted from JSON.
type Report struct {
	Kind      Kind      `json:"kind"`
	ReportKey string    `json:"reportKey"`
	OrgName   string    `json:"orgName"`
	OrgEmail  string    `json:"orgEmail"`
	ReportID  string    `json:"reportId"`
	DateBegin time.Time `json:"dateBegin"`
	DateEnd   time.Time `json:"dateEnd"`
	// Warnings says what was repaired or ignored on the way in.
	Warnings []string `json:"warnings"`

	// Aggregate reports.
	Policy    *Policy  `json:"policy,omitempty"`
	Generator string   `json:"generator,omitempty"`
	Schema    string   `json:"schema,omitempty"` // "rfc7489" or "rfc9990"
	Records   []Record `json:"records,omitzero"` // [] for an aggregate report with none

	// TLS reports.
	Policies []TLSPolicy `json:"policies,omitzero"`

	// Failure reports: the fields of CONTRACT.md section 5 sit at the top
	// level of the JSON object.
	*Failure
}

// PolicyDomain is the domain the report is about: the published policy's
// domain for aggregate reports, the first policy's domain for TLS reports
// and the reported domain for failure reports. It is lower case.
func (r *Report) PolicyDomain() string {
	switch {
	case r.Policy != nil:
		return r.Policy.Domain
	case len(r.Policies) > 0:
		return r.Policies[0].PolicyDomain
	case r.Failure != nil:
		return r.Failure.ReportedDomain
	}
	return ""
}

// Policy is the DMARC policy the receiver found published (RFC 7489
// appendix C `policy_published`, RFC 9990 section 3).
type Policy struct {
	Domain          string `json:"domain"`
	P               string `json:"p"`
	SP              string `json:"sp,omitempty"`
	NP              string `json:"np,omitempty"`
	ADKIM           string `json:"adkim,omitempty"`
	ASPF            string `json:"aspf,omitempty"`
	Pct             *int   `json:"pct,omitempty"`
	FO              string `json:"fo,omitempty"`
	Testing         string `json:"testing,omitempty"`
	DiscoveryMethod string `json:"discoveryMethod,omitempty"`
}

// Record is one row of an aggregate report: the messages from one source
// IP with one set of identifiers and results.
type Record struct {
	SourceIP     string       `json:"sourceIp"`
	Count        int64        `json:"count"`
	Disposition  string       `json:"disposition"`
	DKIM         string       `json:"dkim"` // policy-evaluated
	SPF          string       `json:"spf"`  // policy-evaluated
	DMARC        string       `json:"dmarc"`
	Reasons      []Reason     `json:"reasons"`
	HeaderFrom   string       `json:"headerFrom"`
	EnvelopeFrom string       `json:"envelopeFrom"`
	EnvelopeTo   string       `json:"envelopeTo"`
	DKIMResults  []DKIMResult `json:"dkimResults"`
	SPFResults   []SPFResult  `json:"spfResults"`
	Source       *Source      `json:"source,omitempty"`
}

// Reason is a policy override reason (RFC 7489 appendix C
// PolicyOverrideReason).
type Reason struct {
	Type    string `json:"type"`
	Comment string `json:"comment"`
}

// DKIMResult is one DKIM authentication result of a record.
type DKIMResult struct {
	Domain      string `json:"domain"`
	Selector    string `json:"selector"`
	Result      string `json:"result"`
	HumanResult string `json:"humanResult"`
}

// SPFResult is one SPF authentication result of a record.
type SPFResult struct {
	Domain string `json:"domain"`
	Scope  string `json:"scope"`
	Result string `json:"result"`
}

// Source is what enrichment found out about a source IP. Fields that could
// not be filled are empty and omitted.
type Source struct {
	Hostname         string `json:"hostname,omitempty"`
	HostnameVerified bool   `json:"hostnameVerified"`
	BaseDomain       string `json:"baseDomain,omitempty"`
	Service          string `json:"service,omitempty"`
	ServiceType      string `json:"serviceType,omitempty"`
	Country          string `json:"country,omitempty"`
	ASN              uint   `json:"asn,omitempty"`
	ASOrg            string `json:"asOrg,omitempty"`
}

// TLSPolicy is one policy of an SMTP TLS report (RFC 8460 section 4.4).
type TLSPolicy struct {
	PolicyType         string          `json:"policyType"`
	PolicyDomain       string          `json:"policyDomain"`
	PolicyStrings      []string        `json:"policyStrings"`
	MXHosts            []string        `json:"mxHosts"`
	SuccessfulSessions int64           `json:"successfulSessions"`
	FailedSessions     int64           `json:"failedSessions"`
	FailureDetails     []FailureDetail `json:"failureDetails"`
}

// FailureDetail is one failure-details entry of a TLS policy.
type FailureDetail struct {
	ResultType          string `json:"resultType"`
	SendingMTAIP        string `json:"sendingMtaIp"`
	ReceivingMXHostname string `json:"receivingMxHostname"`
	ReceivingIP         string `json:"receivingIp"`
	FailedSessions      int64  `json:"failedSessions"`
	FailureReasonCode   string `json:"failureReasonCode"`
}

// Failure holds the fields of a DMARC failure report (RFC 6591, RFC 5965).
type Failure struct {
	FeedbackType      string    `json:"feedbackType"`
	ArrivalDate       time.Time `json:"arrivalDate"`
	SourceIP          string    `json:"sourceIp"`
	ReportedDomain    string    `json:"reportedDomain"`
	AuthFailure       string    `json:"authFailure"`
	OriginalMailFrom  string    `json:"originalMailFrom"`
	OriginalRcptTo    string    `json:"originalRcptTo"`
	DeliveryResult    string    `json:"deliveryResult"`
	DKIMDomain        string    `json:"dkimDomain"`
	DKIMSelector      string    `json:"dkimSelector"`
	IdentityAlignment string    `json:"identityAlignment"`
	// AuthResults is the report's Authentication-Results field (RFC 6591
	// section 3.1), unfolded. Added beside CONTRACT.md section 5.
	AuthResults string   `json:"authenticationResults,omitempty"`
	Headers     []Header `json:"headers"`
	Source      *Source  `json:"source,omitempty"`
}

// Header is one header field of the original message in a failure report.
type Header struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

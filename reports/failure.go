package reports

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"
	"time"
)

// A failure report (RFC 6591) has no report id, organisation or period of
// its own. So that the same report parsed twice gets the same ReportKey,
// they are derived deterministically:
//   - orgName: the domain of the report message's From address, else the
//     host of Reporting-MTA;
//   - reportId: the report message's Message-ID without angle brackets,
//     else "sha256:" and 32 hex characters of the hash of the feedback
//     fields and the reported headers;
//   - dateBegin and dateEnd: the Arrival-Date, else the report's Date.

// isARFFields reports content that opens with the fields of an ARF
// feedback report (RFC 5965 section 3.1), whatever type its part declares.
func isARFFields(content []byte) bool {
	head := content
	if len(head) > 8192 {
		head = head[:8192]
	}
	h, _ := splitHeader(head)
	return h.has("Feedback-Type") ||
		h.has("Source-IP") && (h.has("Reported-Domain") || h.has("Arrival-Date"))
}

func (m *mailWalk) addFeedback(content []byte) {
	m.feedback, _ = splitHeader(content)
	if m.feedback == nil {
		m.feedback = header{}
	}
	m.feedbackRaw = content
}

// failure builds the failure report of an ARF message.
func (m *mailWalk) failure() *Report {
	var wn warnings
	fb := m.feedback
	f := &Failure{
		FeedbackType:      lower(trim(fb.get("Feedback-Type"))),
		SourceIP:          m.sourceIP(fb.get("Source-IP"), &wn),
		ReportedDomain:    firstDomain(fb.get("Reported-Domain")),
		AuthFailure:       lower(trim(fb.get("Auth-Failure"))),
		OriginalMailFrom:  unbracket(fb.get("Original-Mail-From")),
		OriginalRcptTo:    strings.Join(mapStrings(fb.all("Original-Rcpt-To"), unbracket), ", "),
		DeliveryResult:    deliveryResult(fb.get("Delivery-Result"), &wn),
		DKIMDomain:        firstDomain(fb.get("DKIM-Domain")),
		DKIMSelector:      trim(fb.get("DKIM-Selector")),
		IdentityAlignment: lower(trim(fb.get("Identity-Alignment"))),
		AuthResults:       trim(fb.get("Authentication-Results")),
	}
	if f.FeedbackType == "" {
		wn.add("no Feedback-Type: auth-failure assumed")
		f.FeedbackType = "auth-failure"
	}
	arrival := fb.get("Arrival-Date")
	if arrival == "" {
		arrival = fb.get("Received-Date") // the name in drafts of RFC 5965
	}
	f.ArrivalDate = m.arrival(arrival, &wn)
	if f.DKIMDomain == "" {
		f.DKIMDomain, f.DKIMSelector = dkimFromResults(f.AuthResults, &wn)
	}
	return m.report(f, &wn, m.feedbackRaw)
}

// report completes a failure report with the fields of its key.
func (m *mailWalk) report(f *Failure, wn *warnings, raw []byte) *Report {
	f.Headers = []Header{}
	for _, h := range m.original {
		f.Headers = append(f.Headers, Header{Name: h.name, Value: h.value})
	}
	if f.ReportedDomain == "" {
		if d := emailDomain(m.original.get("From")); d != "" {
			f.ReportedDomain = d
			wn.add("no Reported-Domain: %s taken from the reported message's From", d)
		} else {
			wn.add("no Reported-Domain")
		}
	}
	if f.SourceIP == "" {
		wn.add("no valid Source-IP")
	}

	r := &Report{Kind: KindFailure, Failure: f}
	r.OrgEmail = unbracket(addrOf(m.hdr.get("From")))
	r.OrgName = emailDomain(r.OrgEmail)
	if r.OrgName == "" {
		r.OrgName = reportingHost(m.feedback.get("Reporting-MTA"))
	}
	r.ReportID = unbracket(m.hdr.get("Message-ID"))
	if r.ReportID == "" {
		sum := sha256.New()
		sum.Write(raw)
		for _, h := range f.Headers {
			sum.Write([]byte(h.Name + ":" + h.Value + "\n"))
		}
		r.ReportID = "sha256:" + hex.EncodeToString(sum.Sum(nil))[:32]
		wn.add("report message has no Message-ID: report id is a hash of its content")
	}
	r.DateBegin, r.DateEnd = f.ArrivalDate, f.ArrivalDate
	r.Warnings = wn.strings()
	return r
}

// arrival reads the arrival date, falling back on the report's Date.
func (m *mailWalk) arrival(raw string, wn *warnings) time.Time {
	if raw != "" {
		if t, ok := parseMailDate(raw, wn); ok {
			return t
		}
		wn.add("Arrival-Date %q is not a date", clip(raw))
	}
	if t, ok := parseMailDate(m.hdr.get("Date"), wn); ok {
		wn.add("no usable Arrival-Date: the report's Date used")
		return t
	}
	wn.add("no Arrival-Date and no Date")
	return time.Time{}
}

// dkimResult matches the DKIM clause of an Authentication-Results value
// (RFC 8601 section 2.7.1): "dkim=fail header.d=example.com header.s=sel".
var dkimResult = regexp.MustCompile(`(?i)\bdkim=[a-z]+[^;]*`)

var dkimProp = regexp.MustCompile(`(?i)\bheader\.([ds])=([^\s;()]+)`)

// dkimFromResults takes the DKIM domain and selector of a failure report
// that has no DKIM-Domain field (RFC 6591 section 3.1 makes it optional)
// from its Authentication-Results, which names them in most reports.
func dkimFromResults(ar string, wn *warnings) (domain, selector string) {
	clause := dkimResult.FindString(ar)
	for _, m := range dkimProp.FindAllStringSubmatch(clause, -1) {
		if lower(m[1]) == "d" && domain == "" {
			domain = strings.TrimSuffix(lower(m[2]), ".")
		} else if lower(m[1]) == "s" && selector == "" {
			selector = m[2]
		}
	}
	if domain != "" {
		wn.add("DKIM-Domain taken from Authentication-Results (%s)", domain)
	}
	return domain, selector
}

// sourceIP reads Source-IP, which senders follow with a host name in
// parentheses ("192.0.2.61 (mta61.example.net)"): the address is taken.
func (m *mailWalk) sourceIP(raw string, wn *warnings) string {
	s := trim(raw)
	if s == "" {
		return ""
	}
	tok := s
	if i := strings.IndexAny(s, " \t("); i >= 0 {
		tok = s[:i]
	}
	ip, ok := canonicalIP(tok)
	if !ok {
		wn.add("Source-IP %q is not an IP address", clip(s))
		return ""
	}
	return ip
}

// deliveryResult reads Delivery-Result (RFC 6591 section 3.2): delivered,
// spam, policy, reject or other. Values outside the list are kept as
// sent, except those whose meaning is plain.
func deliveryResult(raw string, wn *warnings) string {
	v := lower(trim(raw))
	switch v {
	case "", "delivered", "spam", "policy", "reject", "other":
		return v
	case "smg-policy-action": // Symantec Messaging Gateway
		wn.add("Delivery-Result %q read as \"policy\"", v)
		return "policy"
	}
	wn.add("Delivery-Result %q is not defined by RFC 6591: kept", clip(v))
	return v
}

// firstDomain returns the first domain of a field value in lower case.
func firstDomain(raw string) string {
	s := trim(raw)
	if i := strings.IndexAny(s, " \t,;"); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSuffix(lower(s), ".")
}

// unbracket removes white space and angle brackets around an address.
func unbracket(s string) string {
	s = trim(s)
	if len(s) >= 2 && s[0] == '<' && s[len(s)-1] == '>' {
		s = trim(s[1 : len(s)-1])
	}
	return s
}

// addrOf returns the address in a From value such as
// "Reports <dmarc@example.net>".
func addrOf(v string) string {
	if i := strings.LastIndexByte(v, '<'); i >= 0 {
		if j := strings.IndexByte(v[i:], '>'); j > 0 {
			return v[i+1 : i+j]
		}
	}
	return trim(v)
}

// reportingHost returns the host of "Reporting-MTA: dns; mx.example.net".
func reportingHost(v string) string {
	if i := strings.IndexByte(v, ';'); i >= 0 {
		v = v[i+1:]
	}
	return lower(trim(v))
}

func mapStrings(in []string, f func(string) string) []string {
	out := make([]string, 0, len(in))
	for _, s := range in {
		out = append(out, f(s))
	}
	return out
}

// noticeField matches "  Sender IP Address: 203.0.113.68" in the text of
// a plain-text failure notice.
var noticeField = regexp.MustCompile(`(?m)^[ \t]*([A-Za-z][A-Za-z ]{2,30}):[ \t]*(.*?)[ \t\r]*$`)

// noticeHeaders marks where Exim's notice copies the original headers.
var noticeHeaders = []byte("copy of the headers")

// textNotice reads the plain-text failure notices Exim sends instead of
// ARF (a multipart/report with one text part): the fields "Sender
// Domain", "Sender IP Address" and "Received Date", and the original
// headers after the line that announces them. It returns nil when the
// fields are not there.
func (m *mailWalk) textNotice() *Report {
	for _, text := range m.texts {
		fields, headers := text, []byte(nil)
		if i := bytes.Index(text, noticeHeaders); i >= 0 {
			fields = text[:i]
			headers = firstField(text[i:])
		}
		vals := map[string]string{}
		for _, mt := range noticeField.FindAllSubmatch(fields, 64) {
			vals[lower(string(mt[1]))] = string(mt[2])
		}
		if vals["sender domain"] == "" || vals["sender ip address"] == "" {
			continue
		}
		return m.noticeReport(vals, headers)
	}
	return nil
}

// firstField returns text from its first line that is a header field
// (the announcement before Exim's copy of the headers may wrap).
func firstField(text []byte) []byte {
	for len(text) > 0 {
		i := bytes.IndexByte(text, '\n')
		if i < 0 {
			return nil
		}
		text = text[i+1:]
		if _, ok := fieldName(text[:max(bytes.IndexByte(text, '\n'), 0)]); ok &&
			text[0] != ' ' && text[0] != '\t' {
			return text
		}
	}
	return nil
}

func (m *mailWalk) noticeReport(vals map[string]string, headers []byte) *Report {
	var wn warnings
	wn.add("plain-text failure notice (no ARF part) read from its text fields")
	f := &Failure{
		FeedbackType:      "auth-failure",
		AuthFailure:       "dmarc",
		SourceIP:          m.sourceIP(vals["sender ip address"], &wn),
		ReportedDomain:    firstDomain(vals["sender domain"]),
		DeliveryResult:    noticeDelivery(vals["dmarc results"]),
		IdentityAlignment: noticeAlignment(vals["dkim alignment"], vals["spf alignment"]),
	}
	f.ArrivalDate = m.arrival(vals["received date"], &wn)
	if headers != nil {
		m.original, _ = splitHeader(headers)
	}
	m.feedback = header{}
	raw := []byte(vals["sender domain"] + "|" + vals["sender ip address"] + "|" +
		vals["received date"])
	return m.report(f, &wn, raw)
}

// noticeDelivery maps Exim's "DMARC Results: Reject" to a Delivery-Result.
func noticeDelivery(v string) string {
	v = lower(v)
	switch {
	case strings.Contains(v, "reject"):
		return "reject"
	case strings.Contains(v, "quarantine"):
		return "spam"
	case strings.Contains(v, "accept"), strings.Contains(v, "none"):
		return "delivered"
	}
	return ""
}

// noticeAlignment maps Exim's "DKIM Alignment: no" and "SPF Alignment:
// yes" to an RFC 6591 Identity-Alignment.
func noticeAlignment(dkim, spf string) string {
	var out []string
	if lower(trim(dkim)) == "yes" {
		out = append(out, "dkim")
	}
	if lower(trim(spf)) == "yes" {
		out = append(out, "spf")
	}
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, ", ")
}

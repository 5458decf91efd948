package reports

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math"
	"mime/quotedprintable"
	"regexp"
	"strings"
)

// Bounds of one message's MIME structure. Report messages nest two or
// three levels and carry a handful of parts.
const (
	maxMultipartDepth = 16
	maxParts          = 256
)

// mailWalk is the state of reading one email message.
type mailWalk struct {
	w     *walker
	msg   part   // the message itself
	hdr   header // its header block
	arf   bool   // a multipart/report of report-type feedback-report
	parts int

	feedback    header // the ARF fields (RFC 5965 section 3.1)
	feedbackRaw []byte
	original    header   // headers of the reported message
	texts       [][]byte // text parts, for plain-text failure notices
}

// TODO: an mbox file holding several messages is read as its first
// message only; splitting on "From " lines would need quoting rules
// (mboxrd) that no report sender has been seen to need yet.

// email reads a message: every leaf part is decoded and sniffed, whatever
// its declared type (receivers send gzip typed as zip, XML as text/plain,
// ARF fields as application/octet-stream); reports found in it are walked
// as nested parts, and the ARF parts of a failure report are gathered.
func (w *walker) email(p part) {
	hdr, body := splitHeader(p.data)
	m := &mailWalk{w: w, msg: p, hdr: hdr}
	p.hints = mailHints(hdr, p.hints)
	before := len(w.reports) + len(w.errs)
	m.entity(p, hdr, body, 0)
	if m.feedback == nil && hdr.has("Feedback-Type") {
		// A bare ARF feedback block saved as a file: its fields are all.
		m.feedback, m.feedbackRaw = hdr, p.data
	}

	switch {
	case m.feedback != nil:
		w.add(p, m.failure())
	case len(w.reports)+len(w.errs) > before:
	default:
		if r := m.textNotice(); r != nil {
			w.add(p, r)
			return
		}
		w.fail(p, 0, fmt.Errorf("no report found in the email (%d MIME parts): %w",
			max(m.parts, 1), ErrNotReport))
	}
}

// mailHints gathers what an email says about the TLS report it carries
// (RFC 8460 section 5.3): the TLS-Report-Domain field, or the Subject
// "Report Domain: example.com ...".
func mailHints(h header, in hints) hints {
	if d := trim(h.get("TLS-Report-Domain")); d != "" {
		in.tlsDomain = lower(d)
		return in
	}
	if m := subjectDomain.FindStringSubmatch(h.get("Subject")); m != nil {
		in.tlsDomain = lower(m[1])
	}
	return in
}

var subjectDomain = regexp.MustCompile(`(?i)Report Domain:\s*([A-Za-z0-9.-]+)`)

// entity reads one MIME entity: a multipart is split, a leaf decoded.
func (m *mailWalk) entity(p part, h header, body []byte, mdepth int) {
	ct, params := mediaType(h.get("Content-Type"))
	if strings.HasPrefix(ct, "multipart/") && params["boundary"] == "" {
		if b := guessBoundary(body); b != "" {
			p.warn("multipart without a boundary parameter: %q found in the body", clip(b))
			params["boundary"] = b
		}
	}
	if strings.HasPrefix(ct, "multipart/") && params["boundary"] != "" {
		if ct == "multipart/report" && lower(params["report-type"]) == "feedback-report" {
			m.arf = true
		}
		m.multipart(p, params["boundary"], body, mdepth)
		return
	}
	m.parts++
	name := partName(h)
	if name != "" {
		if hn := fileDomain(name); hn != "" && p.hints.tlsDomain == "" {
			p.hints.tlsDomain = hn
		}
	}
	content := m.decode(&p, lower(trim(h.get("Content-Transfer-Encoding"))), body)
	m.leaf(p, ct, name, content)
}

// multipart splits a multipart body and reads each part.
func (m *mailWalk) multipart(p part, boundary string, body []byte, mdepth int) {
	if mdepth >= maxMultipartDepth {
		m.w.fail(p, 0, fmt.Errorf("multipart nested deeper than %d levels: %w",
			maxMultipartDepth, ErrLimit))
		return
	}
	parts, closed := splitMultipart(body, boundary)
	if !closed && len(parts) > 0 {
		p.warn("multipart body has no closing boundary")
	}
	for i, pb := range parts {
		if m.parts >= maxParts {
			m.w.fail(p, 0, fmt.Errorf("more than %d MIME parts: %w", maxParts, ErrLimit))
			return
		}
		h, b := splitHeader(pb)
		label := fmt.Sprintf("MIME part %d", i+1)
		if n := partName(h); n != "" {
			label += " (" + clip(n) + ")"
		}
		sub := p
		sub.path = append(append([]string(nil), p.path...), label)
		m.entity(sub, h, b, mdepth+1)
	}
}

// guessBoundary finds the boundary of a multipart body whose header does
// not name it: the first line that starts with "--" and is a plausible
// delimiter (RFC 2046 section 5.1.1: 1 to 70 characters, no spaces at the
// end).
func guessBoundary(body []byte) string {
	for len(body) > 0 {
		ln := body
		if i := bytes.IndexByte(body, '\n'); i >= 0 {
			ln, body = body[:i], body[i+1:]
		} else {
			body = nil
		}
		ln = bytes.TrimRight(ln, " \t\r")
		if len(ln) > 2 && len(ln) <= 72 && bytes.HasPrefix(ln, []byte("--")) &&
			!bytes.ContainsAny(ln, " \t") {
			return string(bytes.TrimSuffix(ln[2:], []byte("--")))
		}
	}
	return ""
}

// splitMultipart returns the bodies between the delimiter lines of a
// multipart body (RFC 2046 section 5.1.1), and whether the closing
// delimiter was found. The preamble and epilogue are dropped.
func splitMultipart(body []byte, boundary string) ([][]byte, bool) {
	delim := []byte("--" + boundary)
	var parts [][]byte
	start := -1 // where the current part's body begins
	for pos := 0; pos < len(body); {
		i := bytes.Index(body[pos:], delim)
		if i < 0 {
			break
		}
		at := pos + i
		pos = at + len(delim)
		if at > 0 && body[at-1] != '\n' {
			continue // not at the start of a line
		}
		rest := body[pos:]
		closing := bytes.HasPrefix(rest, []byte("--"))
		eol := bytes.IndexByte(rest, '\n')
		if !closing && eol >= 0 && !isBlank(string(rest[:eol])) {
			continue // a longer boundary that starts with this one
		}
		if start >= 0 {
			parts = append(parts, trimLineEnd(body[start:at]))
			if len(parts) > maxParts {
				return parts, true
			}
		}
		if closing {
			return parts, true
		}
		if eol < 0 {
			return parts, false
		}
		start = pos + eol + 1
		pos = start
	}
	if start >= 0 && start <= len(body) {
		parts = append(parts, body[start:])
	}
	return parts, false
}

// trimLineEnd drops the line break that belongs to the delimiter after a
// part (RFC 2046: the CRLF before a delimiter is part of it).
func trimLineEnd(b []byte) []byte {
	b = bytes.TrimSuffix(b, []byte("\n"))
	return bytes.TrimSuffix(b, []byte("\r"))
}

// decode undoes a part's Content-Transfer-Encoding. Whatever is declared,
// a body that is all base64 and decodes to a known container is decoded:
// some senders leave the header out.
func (m *mailWalk) decode(p *part, cte string, body []byte) []byte {
	switch cte {
	case "base64":
		out := decodeBase64(body)
		if c := Sniff(body); Sniff(out) == ContainerUnknown && c != ContainerUnknown &&
			c != ContainerEmail {
			p.warn("body declared base64 is not: read as is")
			return body
		}
		return out
	case "quoted-printable":
		// Decoding only shortens a body: it is its size at most, and no
		// budget applies to what is not decompression.
		qp := quotedprintable.NewReader(bytes.NewReader(body))
		out, _, err := readCapped(nil, qp, math.MaxInt32, int64(len(body)))
		if err != nil {
			p.warn("quoted-printable body broken (%v): read up to the error", err)
		}
		return out
	case "", "7bit", "8bit", "binary":
	default:
		p.warn("unknown transfer encoding %q: read as is", clip(cte))
	}
	if Sniff(body) == ContainerUnknown && looksBase64(body) {
		if out := decodeBase64(body); Sniff(out) != ContainerUnknown {
			p.warn("base64 body without Content-Transfer-Encoding decoded")
			return out
		}
	}
	return body
}

// decodeBase64 decodes leniently: line breaks, white space and other
// bytes outside the alphabet are skipped, padding is optional, and a
// dangling last character is dropped. The alphabet's bytes are gathered a
// chunk at a time, so that the body is not copied whole before decoding.
func decodeBase64(body []byte) []byte {
	var chunk [4096]byte // a multiple of 4: chunks decode apart
	out := make([]byte, 0, base64.RawStdEncoding.DecodedLen(base64Chars(body)))
	n := 0
	for _, c := range body {
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '+', c == '/':
		case c == '-':
			c = '+'
		case c == '_':
			c = '/'
		default:
			continue
		}
		chunk[n] = c
		if n++; n == len(chunk) {
			out = appendBase64(out, chunk[:n])
			n = 0
		}
	}
	if n%4 == 1 {
		n--
	}
	return appendBase64(out, chunk[:n])
}

// base64Chars counts the bytes of body that decodeBase64 decodes.
func base64Chars(body []byte) int {
	n := 0
	for _, c := range body {
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9',
			c == '+', c == '/', c == '-', c == '_':
			n++
		}
	}
	return n
}

// appendBase64 appends the decoding of src, bytes of the alphabet only, to
// out, which has room for it.
func appendBase64(out, src []byte) []byte {
	dst := out[len(out) : len(out)+base64.RawStdEncoding.DecodedLen(len(src))]
	n, _ := base64.RawStdEncoding.Decode(dst, src) //nolint:errcheck // alphabet filtered above
	return out[:len(out)+n]
}

// looksBase64 reports a body of base64 lines only, long enough to matter.
func looksBase64(body []byte) bool {
	n := 0
	for _, c := range body {
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9',
			c == '+', c == '/', c == '=':
			n++
		case c == '\r', c == '\n', c == ' ', c == '\t':
		default:
			return false
		}
	}
	return n >= 16
}

// leaf handles the decoded content of a leaf part.
func (m *mailWalk) leaf(p part, ct, name string, content []byte) {
	if len(bytes.TrimSpace(content)) == 0 {
		return
	}
	switch {
	case ct == "message/feedback-report" || m.feedback == nil && isARFFields(content):
		m.addFeedback(content)
		return
	case ct == "text/rfc822-headers":
		m.original, _ = splitHeader(content)
		return
	case (ct == "message/rfc822" || ct == "message/global") && (m.arf || m.feedback != nil):
		m.original, _ = splitHeader(content)
		return
	case ct == "text/html":
		return // the human-readable alternative of a report message
	}

	c := Sniff(content)
	switch {
	case (c == ContainerXML || c == ContainerJSON) && isProseType(ct):
		m.quietParse(p, c, name, content)
	case c == ContainerEmail && strings.HasPrefix(ct, "message/"):
		m.w.walk(p.child(content, "attached message", name))
	case c == ContainerEmail, c == ContainerUnknown:
		if strings.HasPrefix(ct, "text/") || ct == "" {
			m.texts = append(m.texts, content)
		}
	default:
		m.w.walk(p.child(content, "", name))
	}
}

// isProseType reports declared types of text meant for people, which may
// still carry a report (some receivers attach the XML as text/plain).
func isProseType(ct string) bool {
	return ct == "" || ct == "text/plain" || ct == "text/enriched"
}

// quietParse reads a prose part that looks like XML or JSON as a report;
// when it is none ("<https://...> see above") it is kept as text for the
// plain-text failure notice, and no error is reported.
func (m *mailWalk) quietParse(p part, c Container, name string, content []byte) {
	var r *Report
	var err error
	line := 0
	if c == ContainerXML {
		r, line, err = parseAggregate(content, false)
	} else {
		r, err = parseTLS(content, p.hints)
	}
	head := content[:min(len(content), 4096)]
	switch {
	case err == nil:
		m.w.add(p.child(content, "", name), r)
	case bytes.Contains(head, []byte("feedback>")) || bytes.Contains(head, []byte(`"policies"`)):
		m.w.fail(p, line, err) // a report after all, and a broken one
	default:
		m.texts = append(m.texts, content)
	}
}

// fileDomain takes the policy domain out of an RFC 8460 section 5.3 file
// name: sender "!" policy-domain "!" begin "!" end ["!" id] ".json[.gz]".
func fileDomain(name string) string {
	fields := strings.Split(name, "!")
	if len(fields) < 4 || !strings.Contains(lower(name), ".json") {
		return ""
	}
	return lower(trim(fields[1]))
}

package reports

import (
	"bytes"
	"encoding/binary"
)

// Container names what a byte string is, as Sniff tells it.
type Container string

// The containers Sniff recognises.
const (
	ContainerUnknown Container = ""
	ContainerXML     Container = "xml"
	ContainerJSON    Container = "json"
	ContainerGzip    Container = "gzip"
	ContainerZip     Container = "zip"
	ContainerEmail   Container = "email"
)

// sniffWindow bounds how far Sniff looks: garbage before an XML document's
// first '<' and the header block of an email are both short in practice.
const sniffWindow = 4096

// Sniff tells the container of data from its first bytes alone (at most a
// few KiB are read; the cost does not grow with len(data)). It recognises
// gzip and zip by their magic numbers, JSON by a first '{' or '[', XML by
// a first '<' (after a byte-order mark, blank lines or a little garbage,
// such as a stray quote, before an XML declaration or <feedback>), and an
// email by a header block that opens with a header field and holds one of
// the fields every message has.
func Sniff(data []byte) Container {
	switch {
	case len(data) >= 2 && data[0] == 0x1f && data[1] == 0x8b:
		return ContainerGzip
	case bytes.HasPrefix(data, []byte("PK\x03\x04")),
		bytes.HasPrefix(data, []byte("PK\x05\x06")),
		bytes.HasPrefix(data, []byte("PK\x07\x08")):
		return ContainerZip
	case isUTF16XML(data):
		return ContainerXML
	}
	head := data
	if len(head) > sniffWindow {
		head = head[:sniffWindow]
	}
	head = bytes.TrimPrefix(head, utf8BOM)
	body := bytes.TrimLeft(head, " \t\r\n")
	if len(body) == 0 {
		return ContainerUnknown
	}
	switch body[0] {
	case '{', '[':
		return ContainerJSON
	case '<':
		return ContainerXML
	}
	if looksLikeEmail(body) {
		return ContainerEmail
	}
	if i := xmlStart(body); i >= 0 && i < 256 {
		return ContainerXML
	}
	return ContainerUnknown
}

var utf8BOM = []byte{0xef, 0xbb, 0xbf}

// isUTF16XML reports UTF-16 text that opens an XML document: a
// byte-order mark, then white space and '<'; or, with no mark, "<?" in
// two-byte units (XML 1.0 appendix F, which is how a document declared
// encoding="UTF-16" but sent without a mark is recognised).
func isUTF16XML(data []byte) bool {
	order, skip, ok := utf16Order(data)
	if !ok {
		return false
	}
	for i := skip; i+1 < len(data) && i < 512; i += 2 {
		u := order.Uint16(data[i:])
		switch u {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return u == '<'
	}
	return false
}

// utf16Order tells the byte order of UTF-16 text from its byte-order
// mark (skip 2) or from "<?" encoded in two-byte units (skip 0).
func utf16Order(data []byte) (order binary.ByteOrder, skip int, ok bool) {
	switch {
	case bytes.HasPrefix(data, []byte{0xfe, 0xff}):
		return binary.BigEndian, 2, true
	case bytes.HasPrefix(data, []byte{0xff, 0xfe}):
		return binary.LittleEndian, 2, true
	case bytes.HasPrefix(data, []byte{0, '<', 0, '?'}):
		return binary.BigEndian, 0, true
	case bytes.HasPrefix(data, []byte{'<', 0, '?', 0}):
		return binary.LittleEndian, 0, true
	}
	return nil, 0, false
}

// xmlStart finds an XML declaration or a (possibly prefixed) <feedback
// start tag in head, the places where an aggregate report may begin after
// garbage.
func xmlStart(head []byte) int {
	i := bytes.Index(head, []byte("<?xml"))
	if j := bytes.Index(head, []byte("feedback")); j > 0 && (i < 0 || j < i) {
		k := bytes.LastIndexByte(head[:j], '<')
		if k >= 0 && j-k < 32 {
			return k
		}
	}
	return i
}

// looksLikeEmail reports whether head opens with a header block of an
// RFC 5322 message: every line up to a blank one is a field or a
// continuation, and at least one field is one that messages carry. An mbox
// "From " line may come first.
func looksLikeEmail(head []byte) bool {
	if bytes.HasPrefix(head, []byte("From ")) {
		i := bytes.IndexByte(head, '\n')
		if i < 0 {
			return false
		}
		head = head[i+1:]
	}
	known, lines := false, 0
	for len(head) > 0 {
		line := head
		i := bytes.IndexByte(head, '\n')
		if i >= 0 {
			line, head = head[:i], head[i+1:]
		} else {
			head = nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) == 0 {
			break
		}
		lines++
		if line[0] == ' ' || line[0] == '\t' {
			if lines == 1 {
				return false
			}
			continue
		}
		name, ok := fieldName(line)
		if !ok {
			// A window cut in the middle of a line ends the check.
			return known && head == nil
		}
		known = known || commonField(name)
	}
	return known
}

// fieldName returns the name of a header field line "Name: value".
func fieldName(line []byte) (string, bool) {
	i := bytes.IndexByte(line, ':')
	if i <= 0 || i > 76 {
		return "", false
	}
	for _, c := range line[:i] {
		if c <= ' ' || c > '~' {
			return "", false
		}
	}
	return string(line[:i]), true
}

// commonField reports header fields that an email's header block (or an
// ARF feedback block) carries; one is enough to tell a message from text
// that merely has a colon on its first line.
func commonField(name string) bool {
	switch lower(name) {
	case "from", "to", "subject", "date", "message-id", "mime-version",
		"content-type", "received", "return-path", "delivered-to",
		"dkim-signature", "authentication-results", "x-original-to",
		"feedback-type", "reply-to", "sender":
		return true
	}
	return false
}

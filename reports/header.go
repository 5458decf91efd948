package reports

import (
	"bytes"
	"mime"
	"regexp"
	"strings"

	"golang.org/x/net/html/charset"
)

// maxFields bounds the fields read from one header block; real messages
// carry a few dozen, a spam sample in a failure report a few hundred.
const maxFields = 1000

// field is one header field, unfolded.
type field struct {
	name  string
	value string
}

// header is a header block in order.
type header []field

// get returns the first value of the field name (case-insensitive).
func (h header) get(name string) string {
	for _, f := range h {
		if strings.EqualFold(f.name, name) {
			return f.value
		}
	}
	return ""
}

// all returns every value of the field name.
func (h header) all(name string) []string {
	var out []string
	for _, f := range h {
		if strings.EqualFold(f.name, name) {
			out = append(out, f.value)
		}
	}
	return out
}

// has reports whether the field name is present.
func (h header) has(name string) bool {
	for _, f := range h {
		if strings.EqualFold(f.name, name) {
			return true
		}
	}
	return false
}

// splitHeader reads the header block at the start of data (RFC 5322
// section 2.2, leniently: bare LF line ends, an mbox "From " line first)
// and returns it with the body after the blank line. A line that is
// neither a field nor a continuation ends the block and starts the body.
func splitHeader(data []byte) (header, []byte) {
	if bytes.HasPrefix(data, []byte("From ")) {
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			data = data[i+1:]
		}
	}
	var h header
	var folded []byte // the value of the last field, when it has continuations
	flush := func() {
		if folded != nil {
			h[len(h)-1].value = string(folded)
			folded = nil
		}
	}
	rest := data
	for len(rest) > 0 {
		ln, next := rest, rest[len(rest):]
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			ln, next = rest[:i], rest[i+1:]
		}
		ln = bytes.TrimSuffix(ln, []byte("\r"))
		if len(ln) == 0 {
			flush()
			return h, next
		}
		if ln[0] == ' ' || ln[0] == '\t' {
			if len(h) == 0 {
				return h, rest
			}
			// RFC 5322 section 2.2.3: unfolding; the fold's white space
			// becomes one space.
			if v := bytes.TrimLeft(ln, " \t"); len(v) > 0 {
				if folded == nil {
					folded = append([]byte(nil), h[len(h)-1].value...)
				}
				if len(folded) > 0 {
					folded = append(folded, ' ')
				}
				folded = append(folded, v...)
			}
			rest = next
			continue
		}
		flush()
		name, ok := fieldName(ln)
		if !ok || len(h) >= maxFields {
			return h, rest
		}
		h = append(h, field{name: name, value: string(bytes.Trim(ln[len(name)+1:], " \t"))})
		rest = next
	}
	flush()
	return h, nil
}

var boundaryParam = regexp.MustCompile(`(?i)boundary\s*=\s*"?([^";\r\n]+)"?`)

// mediaType parses a Content-Type value. One that mime.ParseMediaType
// refuses (a stray semicolon, an unquoted special) still gives its type
// and boundary.
func mediaType(v string) (string, map[string]string) {
	mt, params, err := mime.ParseMediaType(v)
	if err == nil && params != nil {
		return mt, params
	}
	mt = lower(trim(strings.SplitN(v, ";", 2)[0]))
	params = map[string]string{}
	if m := boundaryParam.FindStringSubmatch(v); m != nil {
		params["boundary"] = trim(m[1])
	}
	return mt, params
}

var wordDecoder = &mime.WordDecoder{CharsetReader: charset.NewReaderLabel}

// decodeWords decodes RFC 2047 encoded words, keeping the text as it is
// when they are malformed.
func decodeWords(s string) string {
	if !strings.Contains(s, "=?") {
		return s
	}
	out, err := wordDecoder.DecodeHeader(s)
	if err != nil {
		return s
	}
	return out
}

// partName returns the file name a MIME part declares, if any.
func partName(h header) string {
	if _, p := mediaType(h.get("Content-Disposition")); p["filename"] != "" {
		return decodeWords(p["filename"])
	}
	if _, p := mediaType(h.get("Content-Type")); p["name"] != "" {
		return decodeWords(p["name"])
	}
	return ""
}

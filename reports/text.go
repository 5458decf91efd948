package reports

import (
	"bytes"
	"encoding/binary"
	"regexp"
	"strings"
	"unicode/utf8"
	"unsafe"

	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

// xmlDecl matches a well-formed XML declaration's pseudo-attributes (XML
// 1.0 section 2.8).
var xmlDecl = regexp.MustCompile(`^<\?xml\s+version\s*=\s*("[^"]*"|'[^']*')` +
	`(\s+encoding\s*=\s*("[^"]*"|'[^']*'))?(\s+standalone\s*=\s*("[^"]*"|'[^']*'))?\s*\?>$`)

// declEncoding finds the encoding name in a declaration, well-formed or not.
var declEncoding = regexp.MustCompile(`encoding\s*=\s*["']?([A-Za-z0-9._:-]+)`)

// xmlText turns the bytes of an XML document into valid UTF-8 text: a
// byte-order mark removed, the encoding declared in the prolog decoded
// (via golang.org/x/net/html/charset, which knows the names receivers
// use), invalid UTF-8 read as windows-1252 (the bytes AOL and others send
// undeclared are cp1252 punctuation) and control characters, which XML
// 1.0 section 2.2 forbids, removed. Every repair is recorded in wn.
//
// The document is copied once at most: owned says data is the walk's own
// (decompressed or decoded bytes nothing writes again), and then it, like
// the fresh buffer of a repair, becomes the text without a copy.
func xmlText(data []byte, owned bool, wn *warnings) string {
	if order, skip, ok := utf16Order(data); ok && skip == 0 {
		// XML 1.0 section 4.3.3 wants a byte-order mark on UTF-16 text;
		// some senders declare encoding="UTF-16" and send none.
		end := unicode.LittleEndian
		if order == binary.BigEndian {
			end = unicode.BigEndian
		}
		dec := unicode.UTF16(end, unicode.IgnoreBOM).NewDecoder()
		if out, err := decodeOnce(dec, data, utf16Size(data, order)); err == nil {
			wn.add("UTF-16 text without a byte-order mark decoded")
			return ownedText(cleanUTF8(out, wn))
		}
	}
	switch {
	case bytes.HasPrefix(data, []byte{0xfe, 0xff}), bytes.HasPrefix(data, []byte{0xff, 0xfe}):
		dec := unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM).NewDecoder()
		var order binary.ByteOrder = binary.BigEndian
		if data[0] == 0xff {
			order = binary.LittleEndian
		}
		if out, err := decodeOnce(dec, data, utf16Size(data, order)); err == nil {
			// Decoded by its byte-order mark: the declaration's encoding
			// names what was just undone.
			return ownedText(cleanUTF8(out, wn))
		}
		wn.add("UTF-16 text could not be decoded: read as UTF-8")
	case bytes.HasPrefix(data, utf8BOM):
		data = data[len(utf8BOM):]
		wn.add("UTF-8 byte-order mark removed")
	}

	text := cleanUTF8(decodeDeclared(data, wn), wn)
	// A decompressed buffer that grew past a false size hint has room to
	// spare, which the report's substrings would pin: it is copied then.
	fresh := len(text) > 0 && unsafe.SliceData(text) != unsafe.SliceData(data)
	if fresh || owned && cap(text)-len(text) <= len(text)/4 {
		return ownedText(text)
	}
	return string(text)
}

// ownedText returns b as a string without a copy. Nothing may write to b
// afterwards: b is a buffer made for this text, or decompressed bytes the
// walk owns.
func ownedText(b []byte) string {
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// decodeDeclared converts a document whose XML declaration names an
// encoding other than UTF-8 (or ASCII, its subset).
func decodeDeclared(data []byte, wn *warnings) []byte {
	decl := findDecl(data)
	if decl == "" {
		return data
	}
	if !xmlDecl.MatchString(decl) {
		wn.add("malformed XML declaration %q ignored", clip(decl))
	}
	m := declEncoding.FindStringSubmatch(decl)
	if m == nil {
		return data
	}
	name := lower(m[1])
	switch name {
	case "utf-8", "utf8", "us-ascii", "ascii":
		return data
	}
	enc, canonical := charset.Lookup(name)
	if enc == nil {
		wn.add("unknown encoding %q declared: read as UTF-8", clip(m[1]))
		return data
	}
	if canonical == "utf-8" {
		return data
	}
	if strings.HasPrefix(canonical, "utf-16") {
		// The declaration was found in single bytes: the text is not UTF-16.
		wn.add("encoding %q declared but the text is not UTF-16: read as UTF-8", clip(m[1]))
		return data
	}
	if singleByte(canonical) && utf8.Valid(data) && hasHighBytes(data) {
		// Text that is valid UTF-8 and has non-ASCII bytes is all but
		// never latin-1 or cp1252: the declaration is wrong.
		wn.add("encoding %q declared but the text is UTF-8: read as UTF-8", clip(m[1]))
		return data
	}
	out, err := decodeOnce(enc.NewDecoder(), data, len(data)+2*highBytes(data))
	if err != nil {
		wn.add("text in encoding %q could not be decoded: read as UTF-8", clip(m[1]))
		return data
	}
	return out
}

// decodeOnce decodes data into one buffer of size bytes, or when they
// are too few, into the growing buffer of the decoder's Bytes.
func decodeOnce(dec *encoding.Decoder, data []byte, size int) ([]byte, error) {
	out := make([]byte, size)
	n, read, err := dec.Transform(out, data, true)
	if err == nil && read == len(data) {
		return out[:n], nil
	}
	dec.Reset()
	return dec.Bytes(data)
}

// utf16Size is the most UTF-8 that UTF-16 data decodes to, counted unit
// by unit: a surrogate as three bytes (a pair makes four), an odd last
// byte as a replacement character.
func utf16Size(data []byte, order binary.ByteOrder) int {
	n := 3
	for i := 0; i+1 < len(data); i += 2 {
		switch u := order.Uint16(data[i:]); {
		case u < 0x80:
			n++
		case u < 0x800:
			n += 2
		default:
			n += 3
		}
	}
	return n
}

// highBytes counts the bytes of data outside ASCII. A declared charset
// decodes to at most len(data)+2*highBytes(data) bytes: ASCII stays one
// byte and any other byte three at most (U+0800 to U+FFFF, the
// replacement character included). That holds for every single-byte
// encoding and the multi-byte ones receivers declare; one that breaks it
// (ISO-2022-JP, where pairs of ASCII bytes make kanji) costs decodeOnce a
// second try.
func highBytes(data []byte) int {
	n := 0
	for _, c := range data {
		if c >= utf8.RuneSelf {
			n++
		}
	}
	return n
}

// singleByte reports the single-byte encodings of charset's names.
func singleByte(name string) bool {
	return strings.HasPrefix(name, "windows-125") || strings.HasPrefix(name, "iso-8859-") ||
		strings.HasPrefix(name, "koi8") || name == "macintosh"
}

func hasHighBytes(data []byte) bool {
	for _, c := range data {
		if c >= utf8.RuneSelf {
			return true
		}
	}
	return false
}

// findDecl returns the XML declaration near the start of data, if any.
func findDecl(data []byte) string {
	head := data
	if len(head) > 1024 {
		head = head[:1024]
	}
	i := bytes.Index(head, []byte("<?xml"))
	if i < 0 {
		return ""
	}
	if j := bytes.IndexByte(head[:i], '<'); j >= 0 {
		return "" // an element comes first: this is no declaration
	}
	j := bytes.Index(head[i:], []byte("?>"))
	if j < 0 {
		return ""
	}
	return string(head[i : i+j+2])
}

// cleanUTF8 returns data unchanged when it is valid UTF-8 without control
// characters, and a repaired copy otherwise.
func cleanUTF8(data []byte, wn *warnings) []byte {
	i := firstBad(data)
	if i == len(data) {
		return data
	}

	out := make([]byte, i, len(data)+len(data)/8)
	copy(out, data[:i])
	invalid, control := 0, 0
	for i < len(data) {
		c := data[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
				control++
			} else {
				out = append(out, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size == 1 {
			invalid++
			out = utf8.AppendRune(out, charmap.Windows1252.DecodeByte(c))
		} else {
			out = append(out, data[i:i+size]...)
		}
		i += size
	}
	if invalid > 0 {
		wn.add("%d bytes of invalid UTF-8 read as windows-1252", invalid)
	}
	if control > 0 {
		wn.add("%d control characters removed", control)
	}
	return out
}

// firstBad returns the offset of the first byte that is invalid UTF-8 or
// a control character XML forbids, or len(data). Eight bytes of printable
// ASCII are checked at once: this runs over every byte of every report.
func firstBad(data []byte) int {
	const (
		high  = 0x8080808080808080
		space = 0x2020202020202020
	)
	i := 0
	for i+8 <= len(data) {
		x := binary.LittleEndian.Uint64(data[i:])
		if x&high == 0 && (x-space)&^x&high == 0 {
			i += 8 // ASCII, no byte below 0x20
			continue
		}
		end := i + 8
		for i < end {
			c := data[i]
			if c < utf8.RuneSelf {
				if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
					return i
				}
				i++
				continue
			}
			r, size := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && size == 1 {
				return i
			}
			i += size
		}
	}
	for i < len(data) {
		c := data[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
				return i
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return len(data)
}

// isBlank reports whether s holds only XML white space.
func isBlank(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', '\r', '\n':
		default:
			return false
		}
	}
	return true
}

// trim removes XML white space around s.
func trim(s string) string {
	i, j := 0, len(s)
	for i < j && isSpace(s[i]) {
		i++
	}
	for j > i && isSpace(s[j-1]) {
		j--
	}
	return s[i:j]
}

package reports

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// This file holds a small, strict-where-it-matters XML reader built for
// aggregate reports. encoding/xml costs about 50 times more per byte and
// cannot be told to accept the deviations receivers send (an unescaped
// <user@host> in text, a stray wrapper tag left open); this reader builds
// a flat tree of elements whose names and texts are substrings of the
// document, so that a 900 KB report costs a few allocations.
//
// It never resolves or fetches anything: a DOCTYPE or ENTITY declaration
// is refused (ErrForbidden); only the five predefined entities and
// character references are decoded.

// maxXMLDepth bounds element nesting; an aggregate report nests 5 deep.
const maxXMLDepth = 64

// maxXMLElements bounds the elements of one document, and so the memory
// of its tree (48 bytes an element): 4 million is some 200,000 records,
// several times the largest reports big receivers send.
const maxXMLElements = 4 << 20

// xnode is one element. Children are linked by index, -1 for none.
type xnode struct {
	qname string // name as written, prefix included
	text  string // character data directly inside, entities decoded
	off   int    // offset of the start tag's '<' in the document
	first int32
	next  int32
}

// local is the element's name without its namespace prefix.
func (n *xnode) local() string {
	if i := strings.IndexByte(n.qname, ':'); i >= 0 {
		return n.qname[i+1:]
	}
	return n.qname
}

// xtree is a parsed document.
type xtree struct {
	doc   string
	nodes []xnode
	root  int32
	ns    []string // namespace names declared on the root element
}

// xmlSyntaxError is a well-formedness error at a byte offset.
type xmlSyntaxError struct {
	off int
	err error
}

func (e *xmlSyntaxError) Error() string { return e.err.Error() }

// line returns the 1-based line of byte offset off in doc.
func line(doc string, off int) int {
	if off > len(doc) {
		off = len(doc)
	}
	return 1 + strings.Count(doc[:off], "\n")
}

// xparser is the state of parseXML.
type xparser struct {
	s       string
	i       int
	t       *xtree
	stack   []int32  // open elements
	lastKid []int32  // the last child of each open element, -1 for none
	buf     [][]byte // text of each open element when it came in pieces
	rootEnd bool     // the root element is complete
	stray   int      // bytes of text outside the root element
	wn      *warnings
}

// parseXML reads doc (valid UTF-8) into a tree.
func parseXML(doc string, wn *warnings) (*xtree, error) {
	p := &xparser{
		s:  doc,
		t:  &xtree{doc: doc, root: -1, nodes: make([]xnode, 0, min(strings.Count(doc, "<")/2+8, 1<<20))},
		wn: wn,
	}
	for p.i < len(p.s) && !p.rootEnd {
		j := strings.IndexByte(p.s[p.i:], '<')
		if j < 0 {
			p.text(p.s[p.i:])
			p.i = len(p.s)
			break
		}
		if j > 0 {
			p.text(p.s[p.i : p.i+j])
			p.i += j
		}
		if err := p.markup(); err != nil {
			return nil, err
		}
	}
	if err := p.finish(); err != nil {
		return nil, err
	}
	return p.t, nil
}

// finish checks the document's end: trailing content, unclosed elements.
func (p *xparser) finish() error {
	if p.rootEnd && p.i < len(p.s) {
		rest := p.s[p.i:]
		if !isBlank(rest) && !onlyMarkup(rest) {
			p.wn.add("%d bytes after the root element ignored", len(rest))
		}
	}
	if p.stray > 0 {
		p.wn.add("%d bytes of text outside the root element ignored", p.stray)
	}
	if p.t.root < 0 {
		return &xmlSyntaxError{off: len(p.s),
			err: fmt.Errorf("no XML element found: %w", ErrMalformed)}
	}
	if len(p.stack) == 0 {
		return nil
	}
	open := &p.t.nodes[p.stack[len(p.stack)-1]]
	openLine := line(p.s, open.off)
	openName := open.qname
	depth := len(p.stack)

	// A wrapper left open around a complete <feedback> (an <xs:schema>
	// start tag some reporters print before the report) is dropped.
	if depth == 1 {
		root := &p.t.nodes[p.t.root]
		if fb := p.t.child(p.t.root, "feedback"); fb >= 0 && root.local() != "feedback" {
			p.wn.add("unclosed <%s> before <feedback> dropped", clip(root.qname))
			p.t.root = fb
			return nil
		}
	}
	return &xmlSyntaxError{off: len(p.s), err: fmt.Errorf(
		"document ends inside <%s> opened on line %d (truncated?): %w",
		clip(openName), openLine, ErrMalformed)}
}

// onlyMarkup reports whether rest holds only comments and processing
// instructions, which may follow the root element.
func onlyMarkup(rest string) bool {
	for {
		rest = trim(rest)
		switch {
		case rest == "":
			return true
		case strings.HasPrefix(rest, "<!--"):
			i := strings.Index(rest, "-->")
			if i < 0 {
				return false
			}
			rest = rest[i+3:]
		case strings.HasPrefix(rest, "<?"):
			i := strings.Index(rest, "?>")
			if i < 0 {
				return false
			}
			rest = rest[i+2:]
		default:
			return false
		}
	}
}

// text handles character data between markup.
func (p *xparser) text(s string) {
	if len(p.stack) == 0 {
		if !isBlank(s) {
			p.stray += len(s)
		}
		return
	}
	n := &p.t.nodes[p.stack[len(p.stack)-1]]
	if isBlank(s) && (n.text == "" || n.first >= 0) {
		return // indentation between child elements
	}
	if strings.IndexByte(s, '&') >= 0 {
		s = p.unescape(s)
	}
	p.appendText(s)
}

// rawText appends text that needs no decoding (CDATA, a literal '<').
func (p *xparser) rawText(s string) {
	if len(p.stack) == 0 {
		p.stray += len(s)
		return
	}
	p.appendText(s)
}

// appendText adds s to the innermost open element's text. The first piece
// is kept as a substring of the document; further pieces (text broken by
// comments, CDATA or child elements) go to a buffer of that element, so
// that many pieces cost linear time.
func (p *xparser) appendText(s string) {
	top := len(p.stack) - 1
	n := &p.t.nodes[p.stack[top]]
	switch {
	case n.text == "" && p.buf[top] == nil:
		n.text = s
	case p.buf[top] == nil:
		p.buf[top] = append(append(make([]byte, 0, len(n.text)+len(s)), n.text...), s...)
	default:
		p.buf[top] = append(p.buf[top], s...)
	}
}

// pop closes the innermost open element.
func (p *xparser) pop() {
	top := len(p.stack) - 1
	if p.buf[top] != nil {
		p.t.nodes[p.stack[top]].text = string(p.buf[top])
		p.buf[top] = nil
	}
	p.stack = p.stack[:top]
	p.lastKid = p.lastKid[:top]
	p.buf = p.buf[:top]
}

func (p *xparser) errorf(off int, sentinel error, format string, args ...any) error {
	return &xmlSyntaxError{off: off, err: fmt.Errorf(format+": %w", append(args, sentinel)...)}
}

// markup handles the construct at p.s[p.i] == '<'.
func (p *xparser) markup() error {
	s, i := p.s, p.i
	if i+1 >= len(s) {
		return p.errorf(i, ErrMalformed, "document ends after '<' (truncated?)")
	}
	switch c := s[i+1]; {
	case c == '?':
		return p.skipTo("?>", "processing instruction")
	case c == '!':
		return p.bang()
	case c == '/':
		return p.endTag()
	case isNameStart(c):
		return p.startTag()
	}
	return p.literalLT()
}

// literalLT keeps a '<' that starts no markup as text: receivers write
// "<user@host>" or "a < b" unescaped in comments and contact fields.
func (p *xparser) literalLT() error {
	if len(p.stack) == 0 {
		return p.errorf(p.i, ErrMalformed, "'<' outside any element does not start markup")
	}
	end := p.i + 1
	if j := strings.IndexAny(p.s[p.i+1:], "<>"); j >= 0 && p.s[p.i+1+j] == '>' &&
		j < 256 && strings.IndexByte(p.s[p.i:p.i+1+j], '@') > 0 {
		end = p.i + j + 2 // the whole <user@host>
	}
	n := &p.t.nodes[p.stack[len(p.stack)-1]]
	p.wn.add("unescaped %q in <%s> kept as text", clip(p.s[p.i:end]), n.local())
	p.rawText(p.s[p.i:end])
	p.i = end
	return nil
}

// skipTo moves past the next end marker.
func (p *xparser) skipTo(end, what string) error {
	j := strings.Index(p.s[p.i:], end)
	if j < 0 {
		return p.errorf(p.i, ErrMalformed, "%s never ends (truncated?)", what)
	}
	p.i += j + len(end)
	return nil
}

// bang handles comments, CDATA sections and declarations.
func (p *xparser) bang() error {
	rest := p.s[p.i:]
	switch {
	case strings.HasPrefix(rest, "<!--"):
		return p.skipTo("-->", "comment")
	case strings.HasPrefix(rest, "<![CDATA["):
		j := strings.Index(rest, "]]>")
		if j < 0 {
			return p.errorf(p.i, ErrMalformed, "CDATA section never ends (truncated?)")
		}
		p.rawText(rest[len("<![CDATA["):j])
		p.i += j + 3
		return nil
	case hasPrefixFold(rest, "<!DOCTYPE"), hasPrefixFold(rest, "<!ENTITY"):
		return p.errorf(p.i, ErrForbidden, "DOCTYPE or ENTITY declaration refused")
	}
	return p.errorf(p.i, ErrMalformed, "unexpected %q", clip(rest[:min(len(rest), 12)]))
}

// endTag closes the innermost open element.
func (p *xparser) endTag() error {
	j := strings.IndexByte(p.s[p.i:], '>')
	if j < 0 {
		return p.errorf(p.i, ErrMalformed, "end tag never ends (truncated?)")
	}
	name := trim(p.s[p.i+2 : p.i+j])
	if len(p.stack) == 0 {
		return p.errorf(p.i, ErrMalformed, "end tag </%s> without a start tag", clip(name))
	}
	open := &p.t.nodes[p.stack[len(p.stack)-1]]
	if open.qname != name {
		return &xmlSyntaxError{off: open.off, err: fmt.Errorf(
			"element <%s> is never closed (found </%s> on line %d): %w",
			clip(open.qname), clip(name), line(p.s, p.i), ErrMalformed)}
	}
	p.pop()
	p.rootEnd = len(p.stack) == 0
	p.i += j + 1
	return nil
}

// startTag opens an element, reading its attributes.
func (p *xparser) startTag() error {
	s, start := p.s, p.i
	n := start + 1
	for n < len(s) && isNameChar(s[n]) {
		n++
	}
	if n < len(s) && !isSpace(s[n]) && s[n] != '>' && s[n] != '/' {
		return p.literalLT() // "<user@host>" and the like
	}
	qname := s[start+1 : n]
	rootTag := p.t.root < 0

	for {
		for n < len(s) && isSpace(s[n]) {
			n++
		}
		if n >= len(s) {
			return p.errorf(start, ErrMalformed, "start tag <%s> never ends (truncated?)", clip(qname))
		}
		switch s[n] {
		case '>':
			p.open(qname, start, false)
			p.i = n + 1
			return p.depthCheck(start)
		case '/':
			if n+1 < len(s) && s[n+1] == '>' {
				p.open(qname, start, true)
				p.i = n + 2
				return p.depthCheck(start)
			}
			return p.errorf(n, ErrMalformed, "stray '/' in start tag <%s>", clip(qname))
		case '<':
			return p.errorf(start, ErrMalformed, "start tag <%s> never ends", clip(qname))
		}
		name, value, next, err := p.attr(n, qname)
		if err != nil {
			return err
		}
		if rootTag && (name == "xmlns" || strings.HasPrefix(name, "xmlns:")) {
			p.t.ns = append(p.t.ns, value)
		}
		n = next
	}
}

// attr reads one attribute name="value" at n.
func (p *xparser) attr(n int, tag string) (name, value string, next int, err error) {
	s := p.s
	a := n
	for n < len(s) && !isSpace(s[n]) && s[n] != '=' && s[n] != '>' && s[n] != '<' {
		n++
	}
	name = s[a:n]
	for n < len(s) && isSpace(s[n]) {
		n++
	}
	if n >= len(s) || s[n] != '=' {
		return "", "", 0, p.errorf(a, ErrMalformed,
			"attribute %q of <%s> has no value", clip(name), clip(tag))
	}
	n++
	for n < len(s) && isSpace(s[n]) {
		n++
	}
	if n >= len(s) || (s[n] != '"' && s[n] != '\'') {
		return "", "", 0, p.errorf(a, ErrMalformed,
			"attribute %q of <%s> is not quoted", clip(name), clip(tag))
	}
	q := s[n]
	e := strings.IndexByte(s[n+1:], q)
	if e < 0 {
		return "", "", 0, p.errorf(a, ErrMalformed,
			"attribute %q of <%s> never ends (truncated?)", clip(name), clip(tag))
	}
	return name, s[n+1 : n+1+e], n + e + 2, nil
}

func (p *xparser) depthCheck(off int) error {
	if len(p.stack) > maxXMLDepth {
		return p.errorf(off, ErrLimit, "elements nested deeper than %d", maxXMLDepth)
	}
	if len(p.t.nodes) > maxXMLElements {
		return p.errorf(off, ErrLimit, "more than %d elements", maxXMLElements)
	}
	return nil
}

// open adds an element under the innermost open one.
func (p *xparser) open(qname string, off int, empty bool) {
	idx := int32(len(p.t.nodes))
	p.t.nodes = append(p.t.nodes, xnode{qname: qname, off: off, first: -1, next: -1})
	if top := len(p.stack) - 1; top < 0 {
		p.t.root = idx
	} else {
		if last := p.lastKid[top]; last < 0 {
			p.t.nodes[p.stack[top]].first = idx
		} else {
			p.t.nodes[last].next = idx
		}
		p.lastKid[top] = idx
	}
	if empty {
		p.rootEnd = len(p.stack) == 0
		return
	}
	p.stack = append(p.stack, idx)
	p.lastKid = append(p.lastKid, -1)
	p.buf = append(p.buf, nil)
}

// unescape decodes the predefined entities and character references of
// s. Anything else after '&' is kept as written, with a warning: no
// entity is ever expanded from a definition.
func (p *xparser) unescape(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for {
		i := strings.IndexByte(s, '&')
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		s = s[i:]
		j := strings.IndexByte(s, ';')
		if j < 0 || j > 12 {
			p.wn.add("bare '&' kept as text")
			b.WriteByte('&')
			s = s[1:]
			continue
		}
		if r, ok := entity(s[1:j]); ok {
			b.WriteRune(r)
		} else {
			p.wn.add("unknown entity %q kept as text", clip(s[:j+1]))
			b.WriteString(s[:j+1])
		}
		s = s[j+1:]
	}
}

// entity decodes the name or character reference between '&' and ';'.
func entity(name string) (rune, bool) {
	switch name {
	case "lt":
		return '<', true
	case "gt":
		return '>', true
	case "amp":
		return '&', true
	case "quot":
		return '"', true
	case "apos":
		return '\'', true
	}
	if len(name) < 2 || name[0] != '#' {
		return 0, false
	}
	base, digits := 10, name[1:]
	if digits[0] == 'x' || digits[0] == 'X' {
		base, digits = 16, digits[1:]
	}
	if digits == "" {
		return 0, false
	}
	var v rune
	for i := 0; i < len(digits); i++ {
		d := digitVal(digits[i])
		if d < 0 || d >= base {
			return 0, false
		}
		v = v*rune(base) + rune(d)
		if v > utf8.MaxRune {
			return 0, false
		}
	}
	if !utf8.ValidRune(v) || v == 0 {
		return utf8.RuneError, true
	}
	return v, true
}

func digitVal(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func isNameStart(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' || c == ':' || c >= 0x80
}

func isNameChar(c byte) bool {
	return isNameStart(c) || '0' <= c && c <= '9' || c == '-' || c == '.'
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// child returns the first child of n with local name name, or -1.
func (t *xtree) child(n int32, name string) int32 {
	for c := t.nodes[n].first; c >= 0; c = t.nodes[c].next {
		if t.nodes[c].local() == name {
			return c
		}
	}
	return -1
}

// Package reports reads the reports mail receivers send about a domain's
// mail and normalizes them: DMARC aggregate reports (RFC 7489 appendix C,
// its drafts, RFC 9990), SMTP TLS reports (RFC 8460) and DMARC failure
// reports (RFC 6591 ARF, and the plain-text notices some servers send
// instead), in any container receivers use: bare XML or JSON, gzip, zip
// and email (RFC 5322 / MIME), nested.
//
// The container is always told apart by its bytes, never by a file name
// or a declared type. What was repaired on the way in is recorded in each
// report's Warnings; what could not be read is returned as a *PartError
// naming the file, the part inside it and the reason. Parsing never
// resolves entities or DTDs, never reaches the network, and bounds the
// memory one input may cost (see Limits).
package reports

import (
	"errors"
	"fmt"
	"strings"
)

// Limits bounds what one input may cost. Zero values take the defaults.
type Limits struct {
	// MaxDecompressed caps the bytes produced by decompressing one input,
	// all layers together (default 64 MiB).
	MaxDecompressed int64
	// MaxZipEntries caps the entries of one zip archive (default 64).
	MaxZipEntries int
	// MaxRatio caps the compression ratio of one zip entry (default 1000).
	MaxRatio int
	// MaxDepth caps container nesting: zip in email in gzip... (default 4).
	MaxDepth int
}

// Default limits. 64 MiB holds the largest aggregate reports seen from big
// receivers (a few MiB) many times over; deflate cannot exceed a ratio of
// about 1032:1, so 1000 only stops archives built as bombs; real reports
// are at most gzip in zip in an attached message in an email.
const (
	DefaultMaxDecompressed = 64 << 20
	DefaultMaxZipEntries   = 64
	DefaultMaxRatio        = 1000
	DefaultMaxDepth        = 4
)

func (l Limits) withDefaults() Limits {
	if l.MaxDecompressed <= 0 {
		l.MaxDecompressed = DefaultMaxDecompressed
	}
	if l.MaxZipEntries <= 0 {
		l.MaxZipEntries = DefaultMaxZipEntries
	}
	if l.MaxRatio <= 0 {
		l.MaxRatio = DefaultMaxRatio
	}
	l.MaxRatio = min(l.MaxRatio, 1<<20) // keeps size * ratio within int64
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	return l
}

// Options tells Parse about its input.
type Options struct {
	// Name is the file name, used only in errors and warnings; the
	// container is always told apart by its bytes.
	Name   string
	Limits Limits
}

// Sentinel errors a *PartError wraps, for callers that sort failures.
var (
	// ErrUnsupported: the bytes are none of the containers Parse reads.
	ErrUnsupported = errors.New("not a supported report container")
	// ErrNotReport: well-formed input that is not a report (wrong root
	// element, JSON without TLS report fields, an email without a report).
	ErrNotReport = errors.New("not a report")
	// ErrMalformed: input that claims a format but breaks it (truncated
	// XML, a corrupt gzip stream).
	ErrMalformed = errors.New("malformed")
	// ErrForbidden: a DOCTYPE or entity declaration, never resolved.
	ErrForbidden = errors.New("DTD not allowed")
	// ErrLimit: decompressed size, zip entries or ratio, or nesting
	// depth over Limits.
	ErrLimit = errors.New("over limit")
)

// PartError says which part of an input could not be read and why.
type PartError struct {
	File string // the input's name
	Part string // the part inside it, for example "zip entry summary.xml"
	Line int    // 1-based line in the part's text, 0 when not known
	Err  error
}

func (e *PartError) Error() string {
	msg := e.File
	if msg == "" {
		msg = "input"
	}
	if e.Part != "" {
		msg += ": " + e.Part
	}
	if e.Line > 0 {
		msg += fmt.Sprintf(": line %d", e.Line)
	}
	return msg + ": " + e.Err.Error()
}

func (e *PartError) Unwrap() error { return e.Err }

// Parse reads every report in data, whatever its container (XML, JSON,
// gzip, zip, email), and returns them normalized, each with its
// ReportKey set. A part that cannot be read gives a *PartError, joined
// into err; the reports of the other parts are still returned. Parse never
// panics, never reaches the network and keeps its memory within a small
// multiple of len(data) plus Limits.MaxDecompressed. It is safe for
// concurrent use.
func Parse(data []byte, opts Options) ([]*Report, error) {
	w := &walker{
		file:   opts.Name,
		limits: opts.Limits.withDefaults(),
	}
	w.budget = w.limits.MaxDecompressed
	if len(data) == 0 {
		w.fail(part{}, 0, fmt.Errorf("empty input: %w", ErrUnsupported))
	} else {
		w.walk(part{data: data, name: opts.Name})
	}
	for _, r := range w.reports {
		r.ReportKey = ReportKey(r)
	}
	return w.reports, errors.Join(w.errs...)
}

// walker carries the state of one Parse call through the layers of its
// input: the reports found, the errors of the parts that failed and the
// decompression budget left for all layers together.
type walker struct {
	file    string
	limits  Limits
	budget  int64
	reports []*Report
	errs    []error
}

// part is one layer of the input: its bytes, where it sits, and what the
// layers around it found out.
type part struct {
	data     []byte
	path     []string // e.g. ["MIME part 2 (report.zip)", "zip entry a.xml"]
	depth    int      // container layers around it
	name     string   // file or attachment name, a hint only
	warnings []string // repairs made by the layers around it
	hints    hints
	// owned says data was made by this walk (decompressed) and nothing
	// writes to it again: its text may share its memory.
	owned bool
}

// hints are facts an enclosing email offers to the report inside it.
type hints struct {
	// tlsDomain is the policy domain of a TLS report as the email's
	// TLS-Report-Domain header, subject or attachment name give it.
	tlsDomain string
}

// child derives the part inside p, one layer deeper.
func (p part) child(data []byte, label, name string) part {
	c := part{data: data, depth: p.depth + 1, name: name, hints: p.hints}
	c.path = append([]string(nil), p.path...)
	if label != "" {
		c.path = append(c.path, label)
	}
	c.warnings = append([]string(nil), p.warnings...)
	return c
}

func (p part) where() string { return strings.Join(p.path, " > ") }

// warn records a repair made by a container layer for every report inside.
func (p *part) warn(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if w := p.where(); w != "" {
		msg = w + ": " + msg
	}
	p.warnings = append(p.warnings, msg)
}

// fail records the failure of one part.
func (w *walker) fail(p part, line int, err error) {
	w.errs = append(w.errs, &PartError{File: w.file, Part: p.where(), Line: line, Err: err})
}

// add records the reports of one part with the warnings of the layers
// around it first.
func (w *walker) add(p part, rs ...*Report) {
	for _, r := range rs {
		if len(p.warnings) > 0 {
			r.Warnings = append(append([]string(nil), p.warnings...), r.Warnings...)
		}
		if r.Warnings == nil {
			r.Warnings = []string{}
		}
		w.reports = append(w.reports, r)
	}
}

// walk dispatches one part on its container.
func (w *walker) walk(p part) {
	if p.depth > w.limits.MaxDepth {
		w.fail(p, 0, fmt.Errorf("containers nested deeper than %d levels: %w",
			w.limits.MaxDepth, ErrLimit))
		return
	}
	switch Sniff(p.data) {
	case ContainerXML:
		w.xml(p)
	case ContainerJSON:
		w.json(p)
	case ContainerGzip:
		w.gzip(p)
	case ContainerZip:
		w.zip(p)
	case ContainerEmail:
		w.email(p)
	default:
		w.fail(p, 0, fmt.Errorf("content starts with %s: %w", preview(p.data), ErrUnsupported))
	}
}

// xml parses an aggregate report.
func (w *walker) xml(p part) {
	r, line, err := parseAggregate(p.data, p.owned)
	if err != nil {
		w.fail(p, line, err)
		return
	}
	w.add(p, r)
}

// json parses an SMTP TLS report.
func (w *walker) json(p part) {
	r, err := parseTLS(p.data, p.hints)
	if err != nil {
		w.fail(p, 0, err)
		return
	}
	w.add(p, r)
}

// preview quotes the first bytes of data for an error message.
func preview(data []byte) string {
	const n = 16
	if len(data) == 0 {
		return "nothing (empty)"
	}
	if len(data) > n {
		return fmt.Sprintf("%q...", data[:n])
	}
	return fmt.Sprintf("%q", data)
}

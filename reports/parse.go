package reports

import (
	"errors"
	"fmt"
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

// Options tells Parse about its input.
type Options struct {
	// Name is the file name, used only in errors and warnings; the
	// container is always told apart by its bytes.
	Name   string
	Limits Limits
}

// PartError says which part of an input could not be read and why.
type PartError struct {
	File string // the input's name
	Part string // the part inside it, for example "zip entry summary.xml"
	Line int    // 1-based line in the part's text, 0 when not known
	Err  error
}

func (e *PartError) Error() string {
	msg := e.File
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
// gzip, zip, email), and returns them normalized. A part that cannot be
// read gives a *PartError, joined into err; the reports of the other parts
// are still returned. Parse never panics and never reaches the network.
func Parse(data []byte, opts Options) ([]*Report, error) {
	// TODO: placeholder until the parser lands; returns an error for all.
	return nil, &PartError{File: opts.Name, Err: errors.New("parser not built yet")}
}

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

// Sniff tells the container of data from its first bytes alone.
func Sniff(data []byte) Container {
	// TODO: placeholder until the parser lands.
	return ContainerUnknown
}

// ReportKey is the deterministic key of a report (CONTRACT.md section 4):
// the first 32 hex characters of the SHA-256 of
// kind|orgName|reportId|policyDomain|dateBegin|dateEnd, the dates in RFC
// 3339 UTC.
func ReportKey(r *Report) string {
	// TODO: placeholder until the parser lands.
	return ""
}

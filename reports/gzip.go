package reports

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
)

// gzip decompresses every member of a gzip stream (RFC 1952 section 2.2:
// members concatenate, as gunzip does) and walks the result. Bytes after
// the last member that do not start another member are ignored with a
// warning: several receivers end the stream with a CRLF.
func (w *walker) gzip(p part) {
	out, err := w.gunzip(&p)
	if err != nil {
		w.fail(p, 0, err)
		return
	}
	w.walk(p.child(out, "gzip", trimExt(p.name, ".gz")))
}

// gunzip returns the concatenated members of p's gzip stream, counting
// what it produces against the walker's decompression budget.
func (w *walker) gunzip(p *part) ([]byte, error) {
	br := bytes.NewReader(p.data)
	var out bytes.Buffer
	var z *gzip.Reader
	for members := 0; ; members++ {
		if members > 0 {
			rest := p.data[len(p.data)-br.Len():]
			if len(rest) == 0 {
				return out.Bytes(), nil
			}
			if len(rest) < 2 || rest[0] != 0x1f || rest[1] != 0x8b {
				p.warn("%d bytes after the gzip stream ignored (%s)", len(rest), preview(rest))
				return out.Bytes(), nil
			}
		}
		// bytes.Reader is an io.ByteReader, so the gzip reader does not read
		// ahead past a member's trailer and br's position marks its end.
		var err error
		if z == nil {
			z, err = gzip.NewReader(br)
		} else {
			err = z.Reset(br)
		}
		if err != nil {
			return nil, fmt.Errorf("reading gzip member %d header: %w: %w", members+1, err, ErrMalformed)
		}
		z.Multistream(false)
		if err := w.inflate(&out, z); err != nil {
			return nil, fmt.Errorf("decompressing gzip member %d: %w", members+1, err)
		}
	}
}

// inflate copies r into out, within the decompression budget.
func (w *walker) inflate(out *bytes.Buffer, r io.Reader) error {
	n, err := out.ReadFrom(io.LimitReader(r, w.budget+1))
	w.budget -= n
	if w.budget < 0 {
		return fmt.Errorf("decompressed output exceeds %d bytes: %w",
			w.limits.MaxDecompressed, ErrLimit)
	}
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("stream truncated: %w", ErrMalformed)
		}
		return fmt.Errorf("%w: %w", err, ErrMalformed)
	}
	return nil
}

// trimExt removes ext from the end of name, for the name of what a
// decompressed file held.
func trimExt(name, ext string) string {
	if len(name) > len(ext) && lower(name[len(name)-len(ext):]) == ext {
		return name[:len(name)-len(ext)]
	}
	return name
}

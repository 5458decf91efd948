package reports

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
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
	c := p.child(out, "gzip", trimExt(p.name, ".gz"))
	c.owned = true
	w.walk(c)
}

// gunzip returns the concatenated members of p's gzip stream, counting
// what it produces against the walker's decompression budget.
func (w *walker) gunzip(p *part) ([]byte, error) {
	br := bytes.NewReader(p.data)
	var out []byte
	var z *gzip.Reader
	for members := 0; ; members++ {
		rest := p.data[len(p.data)-br.Len():]
		if members > 0 {
			if len(rest) == 0 {
				return out, nil
			}
			if len(rest) < 2 || rest[0] != 0x1f || rest[1] != 0x8b {
				p.warn("%d bytes after the gzip stream ignored (%s)", len(rest), preview(rest))
				return out, nil
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
			return nil, fmt.Errorf("reading gzip member %d header: %w: %w",
				members+1, err, ErrMalformed)
		}
		z.Multistream(false)
		if out, err = w.inflate(out, z, gzipSizeHint(rest)); err != nil {
			return nil, fmt.Errorf("decompressing gzip member %d: %w", members+1, err)
		}
	}
}

// gzipSizeHint guesses the decompressed size of the gzip member that
// starts rest from the ISIZE trailer (RFC 1952 section 2.3.1: the size
// modulo 2^32) at its end, which is the member's own when it is the last.
// A stream that ends in a line break (as several receivers send it) has
// its trailer before the break; the smaller reading is taken, since a hint
// too small costs growth and one too large costs memory. No member can
// expand more than deflate allows, whatever its trailer claims.
func gzipSizeHint(rest []byte) int64 {
	isize := func(b []byte) int64 {
		if len(b) < 18 { // header 10, trailer 8
			return 0
		}
		return int64(binary.LittleEndian.Uint32(b[len(b)-4:]))
	}
	hint := isize(rest)
	if trimmed := bytes.TrimRight(rest, "\r\n"); len(trimmed) < len(rest) {
		hint = min(hint, isize(trimmed))
	}
	return min(hint, int64(len(rest))*maxDeflateRatio)
}

// inflate appends what r produces to out, within the decompression budget,
// and takes what it produced from the budget.
func (w *walker) inflate(out []byte, r io.Reader, hint int64) ([]byte, error) {
	base := len(out)
	out, over, err := readCapped(out, r, w.budget, hint)
	w.budget -= int64(len(out) - base)
	if over {
		return nil, fmt.Errorf("decompressed output exceeds %d bytes: %w",
			w.limits.MaxDecompressed, ErrLimit)
	}
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("stream truncated: %w", ErrMalformed)
		}
		return nil, fmt.Errorf("%w: %w", err, ErrMalformed)
	}
	return out, nil
}

// trimExt removes ext from the end of name, for the name of what a
// decompressed file held.
func trimExt(name, ext string) string {
	if len(name) > len(ext) && lower(name[len(name)-len(ext):]) == ext {
		return name[:len(name)-len(ext)]
	}
	return name
}

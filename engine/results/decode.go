package results

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"sync"
)

// lineDecoder is the reusable state of decodeLines: a gzip reader and a
// line buffer, which Decode allocates afresh for every object. Queries
// read thousands of objects; reusing them cuts what a scan allocates by
// more than half.
type lineDecoder struct {
	src bytes.Reader
	zr  gzip.Reader
	buf []byte
}

var decoders = sync.Pool{New: func() any {
	return &lineDecoder{buf: make([]byte, 0, 64<<10)}
}}

// decodeLines reads a result object as Decode does, keeping only the
// lines keep accepts.
func decodeLines(data []byte, keep func(*Line) bool) ([]Line, error) {
	d := decoders.Get().(*lineDecoder)
	defer decoders.Put(d)
	d.src.Reset(data)
	if err := d.zr.Reset(&d.src); err != nil {
		return nil, fmt.Errorf("opening result object: %w", err)
	}
	sc := bufio.NewScanner(io.LimitReader(&d.zr, MaxObjectBytes))
	sc.Buffer(d.buf[:0], 16<<20)
	var out []Line
	for n := 1; sc.Scan(); n++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var l Line
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			return nil, fmt.Errorf("result line %d: %w", n, err)
		}
		if keep(&l) {
			out = append(out, l)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading result object: %w", err)
	}
	return out, nil
}

package results

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
)

// MaxObjectBytes caps the decompressed size of one result object that
// Decode reads. The pipeline writes at most --batch-records lines a
// object, far below it; the cap only guards readers against a foreign or
// corrupt object.
const MaxObjectBytes = 256 << 20

// Encode writes lines as gzip'd NDJSON, one JSON object a line.
func Encode(lines []Line) ([]byte, error) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	enc := json.NewEncoder(zw)
	enc.SetEscapeHTML(false)
	for i := range lines {
		if err := enc.Encode(&lines[i]); err != nil {
			return nil, fmt.Errorf("encoding result line %d: %w", i+1, err)
		}
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("compressing result lines: %w", err)
	}
	return buf.Bytes(), nil
}

// Decode reads a result object written by Encode.
func Decode(data []byte) ([]Line, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("opening result object: %w", err)
	}
	defer zr.Close()
	sc := bufio.NewScanner(io.LimitReader(zr, MaxObjectBytes))
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	var out []Line
	for n := 1; sc.Scan(); n++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var l Line
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			return nil, fmt.Errorf("result line %d: %w", n, err)
		}
		out = append(out, l)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading result object: %w", err)
	}
	return out, nil
}

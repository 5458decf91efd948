package reports

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"strings"
)

// zipRatioFloor is the entry size below which the ratio check does not
// apply: a tiny entry of repeated bytes may compress far but costs nothing.
const zipRatioFloor = 1 << 20

// zip walks every file entry of a zip archive. Folders are skipped; an
// entry that fails is reported on its own and the others are still read
// (a receiver's archive may hold a good report beside a bad one).
func (w *walker) zip(p part) {
	zr, err := zip.NewReader(bytes.NewReader(p.data), int64(len(p.data)))
	if errors.Is(err, zip.ErrInsecurePath) {
		// Entry names are only labels here; nothing is written to disk.
		err = nil
	}
	if err != nil {
		w.fail(p, 0, fmt.Errorf("reading zip archive: %w: %w", err, ErrMalformed))
		return
	}
	if len(zr.File) > w.limits.MaxZipEntries {
		w.fail(p, 0, fmt.Errorf("zip archive has %d entries, more than %d: %w",
			len(zr.File), w.limits.MaxZipEntries, ErrLimit))
		return
	}
	read := 0
	for _, f := range zr.File {
		if f.FileInfo().IsDir() || strings.HasSuffix(f.Name, "/") {
			continue
		}
		read++
		c := p.child(nil, "zip entry "+f.Name, f.Name)
		data, err := w.unzipEntry(f)
		if err != nil {
			w.fail(c, 0, err)
			continue
		}
		c.data, c.owned = data, true
		w.walk(c)
	}
	if read == 0 {
		w.fail(p, 0, fmt.Errorf("zip archive holds no files: %w", ErrNotReport))
	}
}

// unzipEntry decompresses one entry within the budget and the ratio limit.
// The sizes in the archive's headers are not trusted: the bytes produced
// are counted.
func (w *walker) unzipEntry(f *zip.File) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("opening zip entry: %w: %w", err, ErrMalformed)
	}
	defer rc.Close() //nolint:errcheck // read-only; errors surface from Read

	// Header sizes are not trusted; the cap keeps the product in int64.
	comp := int64(min(f.CompressedSize64, 1<<32))
	// The ratio bounds what an entry may expand to, never below
	// zipRatioFloor; the budget bounds it too.
	limit := min(w.budget, max(comp*int64(w.limits.MaxRatio), zipRatioFloor))
	// archive/zip fails an entry that produces more than its central
	// directory's uncompressed size, so that size is a true hint or a
	// failure; the limit caps what a false one can reserve.
	hint := int64(min(f.UncompressedSize64, uint64(max(limit, 0))))
	out, over, err := readCapped(nil, rc, limit, hint)
	n := int64(len(out))
	w.budget -= n
	if over {
		if limit < w.budget+n {
			return nil, fmt.Errorf("zip entry expands more than %d times: %w",
				w.limits.MaxRatio, ErrLimit)
		}
		return nil, fmt.Errorf("decompressed output exceeds %d bytes: %w",
			w.limits.MaxDecompressed, ErrLimit)
	}
	if err != nil {
		return nil, fmt.Errorf("decompressing zip entry: %w: %w", err, ErrMalformed)
	}
	return out, nil
}

package reports

import "io"

// maxDeflateRatio bounds what one byte of deflate data can expand to: a
// length code of 258 bytes and its distance code take two bits at least
// (RFC 1951 section 3.2.5), so 1032 bytes a byte, block headers aside.
const maxDeflateRatio = 1032

// minGrowth is the least a buffer grows by when no hint sizes it.
const minGrowth = 512

// readCapped appends what r produces to dst, at most most bytes. The
// buffer is sized from hint, a size the container claims (zip's
// uncompressed size, gzip's ISIZE), capped by most: a true hint costs one
// allocation of the output's size plus one byte, which is where reading
// stops once r gave more than most. A false hint only costs growth, which
// doubles but never beyond most+1 bytes (see nextCap), so a bomb stopped
// at the limit holds about the limit and not the twice-doubled buffer of
// bytes.Buffer. over reports that r had more than most bytes; what was
// read is returned anyway.
func readCapped(dst []byte, r io.Reader, most, hint int64) (out []byte, over bool, err error) {
	most = max(most, 0) // a spent budget still lets an empty stream through
	base := len(dst)
	end := base + int(most) + 1 // one byte past the budget, to see it exceeded
	if hint = min(hint, most); cap(dst)-base < int(hint)+1 {
		dst = grow(dst, base+int(hint)+1)
	}
	for {
		if len(dst) == cap(dst) {
			dst = grow(dst, nextCap(cap(dst), end))
		}
		n, err := r.Read(dst[len(dst):min(cap(dst), end)])
		dst = dst[:len(dst)+n]
		if len(dst) >= end {
			return dst, true, nil
		}
		if err == io.EOF {
			return dst, false, nil
		}
		if err != nil {
			return dst, false, err
		}
	}
}

// nextCap doubles c, up to end. Past half of end it goes to end at once:
// a doubling that lands just short of end would cost one more full copy,
// so a stream that outgrows a false hint allocates under twice end in all
// and holds at most one and a half times end while it copies.
func nextCap(c, end int) int {
	c = max(2*c, c+minGrowth)
	if c > end/2 {
		return end
	}
	return c
}

// grow returns b with capacity c exactly, so that a cap computed from the
// budget is not rounded up to the next doubling.
func grow(b []byte, c int) []byte {
	nb := make([]byte, len(b), c)
	copy(nb, b)
	return nb
}

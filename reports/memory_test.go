package reports

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/text/encoding/unicode"
)

// bombSize is what the bombs below expand to: 16 times the default
// decompression limit, as an attacker's 1 MiB upload can.
const bombSize = 1 << 30

// zeroDeflate returns a raw deflate stream of n zero bytes (n a multiple
// of 1 MiB). One flushed MiB is repeated: it ends on a byte boundary and
// refers to nothing before it, so a 1 GiB bomb costs milliseconds to make.
func zeroDeflate(tb testing.TB, n int) []byte {
	tb.Helper()
	var chunk bytes.Buffer
	fw, err := flate.NewWriter(&chunk, flate.BestCompression)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := fw.Write(make([]byte, 1<<20)); err != nil {
		tb.Fatal(err)
	}
	if err := fw.Flush(); err != nil {
		tb.Fatal(err)
	}
	out := bytes.Repeat(chunk.Bytes(), n>>20)
	// A final empty stored block (RFC 1951 section 3.2.4) ends the stream.
	return append(out, 0x01, 0x00, 0x00, 0xff, 0xff)
}

// zeroCRC is the CRC-32 of n zero bytes.
func zeroCRC(n int) uint32 {
	zeros := make([]byte, 1<<20)
	var sum uint32
	for ; n > 0; n -= len(zeros) {
		sum = crc32.Update(sum, crc32.IEEETable, zeros[:min(n, len(zeros))])
	}
	return sum
}

var bombs = sync.OnceValues(func() (gzipBomb, zipBomb []byte) {
	var t testing.T // the builders fail only on a broken flate package
	raw := zeroDeflate(&t, bombSize)
	sum := zeroCRC(bombSize)

	// RFC 1952 section 2.3: header, deflate data, CRC-32 and ISIZE.
	gzipBomb = append([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff}, raw...)
	gzipBomb = binary.LittleEndian.AppendUint32(gzipBomb, sum)
	gzipBomb = binary.LittleEndian.AppendUint32(gzipBomb, uint32(bombSize))

	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, err := zw.CreateRaw(&zip.FileHeader{
		Name: "bomb.xml", Method: zip.Deflate, CRC32: sum,
		CompressedSize64: uint64(len(raw)), UncompressedSize64: bombSize,
	})
	if err == nil {
		_, err = w.Write(raw)
	}
	if err == nil {
		err = zw.Close()
	}
	if err != nil {
		panic(err)
	}
	return gzipBomb, b.Bytes()
})

// falseISIZE returns a copy of the gzip stream gz whose trailer claims n
// bytes.
func falseISIZE(gz []byte, n uint32) []byte {
	gz = bytes.Clone(gz)
	binary.LittleEndian.PutUint32(gz[len(gz)-4:], n)
	return gz
}

// allocated returns the bytes the process has allocated so far.
func allocated() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.TotalAlloc
}

// TestBombMemory checks that a bomb stopped at the decompression limit
// costs about the limit, not the several times of a buffer that doubles.
func TestBombMemory(t *testing.T) {
	gzipBomb, zipBomb := bombs()
	for _, tc := range []struct {
		name string
		data []byte
		most float64 // bytes allocated, in multiples of the limit
	}{
		{"gzip", gzipBomb, 1.1},
		{"zip", zipBomb, 1.1},
		{"gzip with a CRLF after it", append(bytes.Clone(gzipBomb), "\r\n"...), 1.1},
		// A false size hint costs growth: doubling, capped at the limit.
		{"gzip claiming 1000 bytes", falseISIZE(gzipBomb, 1000), 2.1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			runtime.GC()
			before := allocated()
			_, err := Parse(tc.data, Options{Name: "bomb"})
			spent := allocated() - before
			if !errors.Is(err, ErrLimit) {
				t.Fatalf("err = %v, want ErrLimit", err)
			}
			times := float64(spent) / DefaultMaxDecompressed
			t.Logf("%s bomb: %.1f MiB allocated, %.2f times the limit", tc.name,
				float64(spent)/(1<<20), times)
			if times > tc.most {
				t.Errorf("parsing a %d MiB %s bomb allocated %.2f times the limit, "+
					"want %.2f at most", bombSize>>20, tc.name, times, tc.most)
			}
		})
	}
}

// peakSampler records the most heap in use while it runs, sampled every
// 100 microseconds (runtime/metrics reads without stopping the world).
type peakSampler struct {
	peak atomic.Uint64
	stop chan struct{}
	done chan struct{}
}

func startPeakSampler() *peakSampler {
	s := &peakSampler{stop: make(chan struct{}), done: make(chan struct{})}
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	go func() {
		defer close(s.done)
		tick := time.NewTicker(100 * time.Microsecond)
		defer tick.Stop()
		for {
			metrics.Read(sample)
			if v := sample[0].Value.Uint64(); v > s.peak.Load() {
				s.peak.Store(v)
			}
			select {
			case <-s.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return s
}

// end stops the sampler and returns the peak.
func (s *peakSampler) end() uint64 {
	close(s.stop)
	<-s.done
	return s.peak.Load()
}

// BenchmarkMemory reports, besides B/op, the peak heap (objects, live
// or not yet collected) while parsing bombs and real reports, in MiB
// and as a multiple of the decompression limit.
//
//	go test -run '^$' -bench Memory -benchmem ./reports/
func BenchmarkMemory(b *testing.B) {
	read := func(path string) func(testing.TB) []byte {
		return func(tb testing.TB) []byte {
			corpusFolders(tb)
			data, err := os.ReadFile(filepath.Join(corpusDir, path))
			if err != nil {
				tb.Fatal(err)
			}
			return data
		}
	}
	for _, bc := range []struct {
		name string
		data func(testing.TB) []byte
	}{
		{"gzip-bomb-1GiB", func(testing.TB) []byte { g, _ := bombs(); return g }},
		{"gzip-bomb-1GiB-false-ISIZE", func(testing.TB) []byte {
			g, _ := bombs()
			return falseISIZE(g, 1000)
		}},
		{"zip-bomb-1GiB", func(testing.TB) []byte { _, z := bombs(); return z }},
		{"20-records", read("real/parsedmarc/nice-input.xml")},
		{"20-records-gzip", read("real/parsedmarc/nice-input.xml.gz")},
		{"20-records-zip", read("real/parsedmarc/nice-input.xml.zip")},
		{"2286-records-900KB",
			read("real/parsedmarc/!large-example.com!1711897200!1711983600.xml")},
		{"2286-records-900KB-gzip", func(tb testing.TB) []byte {
			return gz(tb, read("real/parsedmarc/!large-example.com!1711897200!1711983600.xml")(tb))
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			data := bc.data(b)
			runtime.GC()
			b.ReportAllocs()
			b.ResetTimer()
			s := startPeakSampler()
			for b.Loop() {
				_, _ = Parse(data, Options{Name: bc.name}) // bombs fail by design
				if len(data) > 1<<20 {
					// A bomb's garbage is collected before the next, so
					// that the peak is one parse's.
					b.StopTimer()
					runtime.GC()
					b.StartTimer()
				}
			}
			peak := float64(s.end())
			b.ReportMetric(peak/(1<<20), "peak-MiB")
			b.ReportMetric(peak/DefaultMaxDecompressed, "peak/limit")
		})
	}
}

// TestTextCopies checks that turning a document into text copies it once
// at most, repairs included, and not at all when the walk owns its bytes.
func TestTextCopies(t *testing.T) {
	body := bytes.Repeat([]byte("<row><source_ip>192.0.2.1</source_ip></row>\n"), 4<<20/45)
	doc := func(decl string, extra ...byte) []byte {
		d := append([]byte(`<?xml version="1.0"`+decl+`?><feedback>`), body...)
		return append(append(d, extra...), "</feedback>"...)
	}
	for _, tc := range []struct {
		name  string
		data  []byte
		owned bool
		most  float64 // bytes allocated, in sizes of the document
	}{
		// Bounds leave room for what the runtime allocates meanwhile.
		{"caller's UTF-8", doc(""), false, 1.1},
		{"owned UTF-8", doc(""), true, 0.1},
		{"invalid UTF-8", doc("", 0xe9), true, 1.2},
		{"control character", doc("", 0x01), false, 1.2},
		{"declared windows-1252", doc(` encoding="windows-1252"`, 0xe9), true, 1.2},
		// UTF-16 decodes to half its size when the text is ASCII.
		{"UTF-16 with a byte-order mark", utf16(t, unicode.UseBOM, doc("")), false, 0.6},
		{"UTF-16 without one", utf16(t, unicode.IgnoreBOM, doc("")), false, 0.6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var wn warnings
			before := allocated()
			text := xmlText(tc.data, tc.owned, &wn)
			spent := float64(allocated()-before) / float64(len(tc.data))
			if len(text) < len(body) {
				t.Fatalf("text of %d bytes, want at least %d", len(text), len(body))
			}
			if spent > tc.most {
				t.Errorf("allocated %.2f times the document, want at most %.2f", spent, tc.most)
			}
		})
	}
}

// utf16 encodes data as UTF-16LE.
func utf16(t testing.TB, bom unicode.BOMPolicy, data []byte) []byte {
	t.Helper()
	out, err := unicode.UTF16(unicode.LittleEndian, bom).NewEncoder().Bytes(data)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// onlyReader hides bytes.Reader's WriterTo, as a decompressor has none.
type onlyReader struct{ r *bytes.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

func TestReadCapped(t *testing.T) {
	for _, tc := range []struct {
		name            string
		size, most      int
		hint            int64
		over            bool
		wantCap, maxCap int // wantCap 0: not checked; maxCap bounds the buffer
	}{
		{"true hint", 1000, 4096, 1000, false, 1001, 0},
		{"no hint", 1000, 4096, 0, false, 0, 2048},
		{"hint too small", 100000, 1 << 20, 10, false, 0, 1<<20 + 1},
		{"hint too large", 10, 1 << 20, 1 << 30, false, 1<<20 + 1, 0},
		{"exactly the budget", 4096, 4096, 4096, false, 4097, 0},
		{"one byte over", 4097, 4096, 4097, true, 4097, 0},
		{"far over, no hint", 1 << 20, 4096, 0, true, 0, 4097},
		{"spent budget, empty", 0, -1, 0, false, 0, 1},
		{"spent budget", 5, -1, 0, true, 0, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := bytes.Repeat([]byte("x"), tc.size)
			out, over, err := readCapped(nil, onlyReader{bytes.NewReader(in)},
				int64(tc.most), tc.hint)
			if err != nil || over != tc.over {
				t.Fatalf("over, err = %v, %v; want %v, nil", over, err, tc.over)
			}
			if !over && !bytes.Equal(out, in) {
				t.Fatalf("read %d bytes, want %d", len(out), len(in))
			}
			if over && len(out) != max(tc.most, 0)+1 {
				t.Fatalf("read %d bytes past the budget, want one", len(out)-max(tc.most, 0))
			}
			if tc.wantCap > 0 && cap(out) != tc.wantCap {
				t.Errorf("buffer of %d bytes, want %d", cap(out), tc.wantCap)
			}
			if tc.maxCap > 0 && cap(out) > tc.maxCap {
				t.Errorf("buffer of %d bytes, want at most %d", cap(out), tc.maxCap)
			}
		})
	}
}

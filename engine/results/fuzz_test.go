package results

import (
	"testing"
)

// FuzzDecodeLines feeds arbitrary bytes to the scan's decoder: it must
// never panic, and must agree with Decode on what is a valid object.
func FuzzDecodeLines(f *testing.F) {
	r := aggReport("fuzz", date("2024-05-01"),
		rec{ip: "192.0.2.1", service: "A", host: "a.example", count: 3, dmarc: "pass"},
		rec{ip: "2001:db8::1", count: 4, dmarc: "fail", headerFrom: "other.org"})
	seed, err := Encode(Lines(r, Origin{CompanyID: "acme", CustomerID: "c1"}))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add(seed[:len(seed)/2])
	f.Add([]byte("not gzip"))
	f.Fuzz(func(t *testing.T, data []byte) {
		want, wantErr := Decode(data)
		all := func(*Line) bool { return true }
		got, err := decodeLines(data, false, all, nil)
		if (err != nil) != (wantErr != nil) || len(got) != len(want) {
			t.Fatalf("decodeLines: %d lines, %v; Decode: %d lines, %v",
				len(got), err, len(want), wantErr)
		}
		// The summary reads a subset of the fields: it may accept a line
		// whose other fields are malformed, never the other way round.
		summary, err := decodeLines(data, true, all, borrowLines())
		if wantErr == nil && (err != nil || len(summary) != len(want)) {
			t.Fatalf("summary: %d lines, %v; Decode: %d lines, %v",
				len(summary), err, len(want), wantErr)
		}
		releaseLines(summary)
	})
}

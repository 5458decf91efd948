package reports

import (
	"bytes"
	"encoding/base64"
	"math/rand/v2"
	"testing"
)

// TestDecodeBase64 checks the lenient decoder on bodies around its chunk
// size, wrapped as MIME wraps them, in both alphabets, with and without
// padding.
func TestDecodeBase64(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, size := range []int{0, 1, 2, 3, 3071, 3072, 3073, 3074, 10000} {
		data := make([]byte, size)
		for i := range data {
			data[i] = byte(rng.UintN(256))
		}
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawURLEncoding} {
			text := enc.EncodeToString(data)
			var body bytes.Buffer
			for i := 0; i < len(text); i += 76 {
				body.WriteString(text[i:min(i+76, len(text))] + "\r\n")
			}
			if got := decodeBase64(body.Bytes()); !bytes.Equal(got, data) {
				t.Errorf("%d bytes: decoded %d bytes that differ", size, len(got))
			}
		}
	}
	if got := decodeBase64([]byte("QUJD\nR")); string(got) != "ABC" {
		t.Errorf("dangling character: got %q, want %q", got, "ABC")
	}
}

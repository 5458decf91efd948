package engine

import "mime"

// Limits of the identifiers of CONTRACT.md section 2.
const (
	maxIDLen      = 64
	maxTraceIDLen = 128
)

// validID reports whether s is a valid companyId or customerId: 1 to 64
// characters of A-Z a-z 0-9 . _ -, not starting with a dot (so that it is
// a safe path segment of the storage layout).
func validID(s string) bool {
	if len(s) == 0 || len(s) > maxIDLen || s[0] == '.' {
		return false
	}
	return allIn(s, "._-")
}

// validTraceID reports whether s is a valid traceId: 1 to 128 characters
// of A-Z a-z 0-9 . _ : -, and neither "." nor "..", which would name
// another folder in the local store.
func validTraceID(s string) bool {
	if len(s) == 0 || len(s) > maxTraceIDLen || s == "." || s == ".." {
		return false
	}
	return allIn(s, "._:-")
}

func allIn(s, extra string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case containsByte(extra, c):
		default:
			return false
		}
	}
	return true
}

func containsByte(s string, c byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return true
		}
	}
	return false
}

// validContentType reports whether s is a media type a client may declare:
// empty (sniffed) or a parsable type/subtype of at most 255 characters.
func validContentType(s string) bool {
	if s == "" {
		return true
	}
	if len(s) > 255 {
		return false
	}
	_, _, err := mime.ParseMediaType(s)
	return err == nil
}

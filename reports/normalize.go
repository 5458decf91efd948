package reports

import (
	"net/netip"
	"strconv"
	"strings"
)

// maxSeconds is the first second of the year 5000: a date_range bound
// above it cannot be seconds, and receivers that send milliseconds (a few
// Java-based ones) are read as such.
const maxSeconds = 95617584000

// parseEpoch reads a date_range bound: whole seconds since 1970, with a
// decimal fraction truncated and milliseconds recognised. note says what
// was repaired.
func parseEpoch(raw string) (sec int64, note string, ok bool) {
	s := trim(raw)
	if s != raw {
		note = "trimmed"
	}
	if i := strings.IndexByte(s, '.'); i >= 0 {
		if !allDigits(s[i+1:]) {
			return 0, "", false
		}
		s = s[:i]
		note = "read without its fraction"
	}
	if !allDigits(s) {
		return 0, "", false
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, "", false
	}
	if v >= maxSeconds {
		v /= 1000
		note = "read as milliseconds"
		if v >= maxSeconds {
			return 0, "", false
		}
	}
	if note == "trimmed" {
		note = "" // white space around a number is no repair worth a word
	}
	return v, note, true
}

// parseCount reads a whole number of messages; "12.0" is read as 12 with
// a note, "12.5", negative numbers and numbers over int64 are refused.
// MaxCount is the largest message or session count a record may carry:
// 10^12, a thousand times the mail a large mailbox provider receives in
// a day, so no real report reaches it, while sums of many such counts
// stay far from overflowing int64 (9.2 x 10^18). Counts above it are
// taken as corrupt or hostile and refused.
const MaxCount = 1_000_000_000_000

func parseCount(raw string) (n int64, note string, ok bool) {
	s := trim(raw)
	if i := strings.IndexByte(s, '.'); i >= 0 {
		if strings.Trim(s[i+1:], "0") != "" || !allDigits(s[i+1:]) {
			return 0, "", false
		}
		s = s[:i]
		note = "read as a whole number"
	}
	if !allDigits(s) {
		return 0, "", false
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, "", false
	}
	return v, note, true
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// canonicalIP validates an IP address and writes it canonically: IPv4
// mapped into IPv6 as IPv4, IPv6 compressed in lower case (RFC 5952), a
// zone or brackets removed.
func canonicalIP(raw string) (string, bool) {
	s := trim(raw)
	if len(s) > 2 && s[0] == '[' && s[len(s)-1] == ']' {
		s = s[1 : len(s)-1]
	}
	ip, err := netip.ParseAddr(s)
	if err != nil {
		return "", false
	}
	return ip.Unmap().WithZone("").String(), true
}

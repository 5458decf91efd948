package reports

import (
	"strings"
	"time"
)

// zoneOffsets are the zone names RFC 5322 section 4.3 allows (obsolete)
// and a few others seen in reports, in hours east of UTC. time.Parse
// gives a zone abbreviation the offset of the machine's local zone when
// it knows it and zero otherwise, so names are never left to it: the
// result must not depend on TZ.
var zoneOffsets = map[string]int{
	"UT": 0, "UTC": 0, "GMT": 0, "Z": 0,
	"EST": -5, "EDT": -4, "CST": -6, "CDT": -5,
	"MST": -7, "MDT": -6, "PST": -8, "PDT": -7,
	"CET": 1, "CEST": 2, "BST": 1, "WET": 0, "WEST": 1, "EET": 2, "EEST": 3,
}

var mailDateLayouts = []string{
	"2 Jan 2006 15:04:05 -0700",
	"2 Jan 2006 15:04 -0700",
	"2 Jan 06 15:04:05 -0700",
	"2 Jan 06 15:04 -0700",
	"Jan 2 15:04:05 2006 -0700", // asctime with a zone appended
}

// parseMailDate reads an RFC 5322 date-time (as Arrival-Date and Date
// carry it), leniently: comments, the day of the week and extra spaces
// are dropped, a zone name is mapped to its offset, and an RFC 3339 value
// is accepted too. The result is in UTC.
func parseMailDate(raw string, wn *warnings) (time.Time, bool) {
	s := trim(stripComments(raw))
	if s == "" {
		return time.Time{}, false
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), true
	}
	if i := strings.IndexByte(s, ','); i >= 0 && i < 12 {
		s = s[i+1:]
	}
	f := strings.Fields(s)
	if len(f) == 0 {
		return time.Time{}, false
	}
	if len(f[0]) == 3 && isAlpha(f[0]) && len(f) > 1 && isAlpha(f[1]) {
		f = f[1:] // asctime's day of the week
	}
	last := f[len(f)-1]
	switch {
	case len(f) >= 2 && isAlpha(last):
		off, ok := zoneOffsets[strings.ToUpper(last)]
		if !ok {
			// RFC 5322 section 4.3: other names are read as -0000.
			wn.add("unknown time zone %q read as UTC", clip(last))
		}
		f[len(f)-1] = numericZone(off)
	case !strings.ContainsAny(last[:1], "+-"):
		f = append(f, "+0000")
		wn.add("date %q has no time zone: read as UTC", clip(raw))
	}
	s = strings.Join(f, " ")
	for _, layout := range mailDateLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

func numericZone(hours int) string {
	sign := byte('+')
	if hours < 0 {
		sign, hours = '-', -hours
	}
	return string([]byte{sign, byte('0' + hours/10), byte('0' + hours%10), '0', '0'})
}

// stripComments removes RFC 5322 comments: "(NZDT)", "(UTC)".
func stripComments(s string) string {
	if strings.IndexByte(s, '(') < 0 {
		return s
	}
	var b strings.Builder
	depth := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '(':
			depth++
		case c == ')' && depth > 0:
			depth--
		case depth == 0:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func isAlpha(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i] | 0x20; c < 'a' || c > 'z' {
			return false
		}
	}
	return s != ""
}

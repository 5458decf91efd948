package reports

import (
	"fmt"
	"strings"
)

// warnings collects what was repaired or ignored while reading one report.
// The same repair made many times (an upper-case value in each of 2,000
// records) is listed once with its count.
type warnings struct {
	list  []string
	count map[string]int
	more  int // warnings not kept, over maxWarnings
}

// maxWarnings bounds the distinct warnings of one report: a report whose
// every record is broken says so in the first few hundred.
const maxWarnings = 200

func (w *warnings) add(format string, args ...any) {
	msg := format
	if len(args) > 0 {
		msg = fmt.Sprintf(format, args...)
	}
	if w.count == nil {
		w.count = make(map[string]int)
	}
	switch {
	case w.count[msg] > 0:
	case len(w.list) >= maxWarnings:
		w.more++
		return
	default:
		w.list = append(w.list, msg)
	}
	w.count[msg]++
}

// strings returns the warnings in the order first seen, never nil.
func (w *warnings) strings() []string {
	out := make([]string, 0, len(w.list))
	for _, msg := range w.list {
		if n := w.count[msg]; n > 1 {
			msg = fmt.Sprintf("%s (%d times)", msg, n)
		}
		out = append(out, msg)
	}
	if w.more > 0 {
		out = append(out, fmt.Sprintf("%d more warnings not listed", w.more))
	}
	return out
}

// lower is strings.ToLower without an allocation for the common case of
// a value that is already lower case.
func lower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' || c >= 0x80 {
			return strings.ToLower(s)
		}
	}
	return s
}

// clip shortens s for a warning or error message.
func clip(s string) string {
	const n = 64
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

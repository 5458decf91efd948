package engine

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/rptctl/rptctl/awsio"
)

const (
	// maxErrorText caps the error text of a status, a failure record and a
	// log line: a zip of thousands of bad entries must not make a log line
	// near the 256 KiB event limit of common log stores.
	maxErrorText = 4 << 10
	// maxListed is how many of several joined errors are spelled out.
	maxListed = 3
)

// errorText is err as one line of at most maxErrorText bytes: of joined
// errors (errors.Join, as reports.Parse returns for failed parts) the
// first maxListed and "(+N more)".
func errorText(err error) string {
	if err == nil {
		return ""
	}
	text := err.Error()
	var multi interface{ Unwrap() []error }
	if errors.As(err, &multi) {
		if errs := multi.Unwrap(); len(errs) > maxListed {
			parts := make([]string, 0, maxListed)
			for _, e := range errs[:maxListed] {
				parts = append(parts, e.Error())
			}
			short := fmt.Sprintf("%s (+%d more)", strings.Join(parts, "; "),
				len(errs)-maxListed)
			text = strings.Replace(text, multi.(error).Error(), short, 1)
		}
	}
	text = strings.ReplaceAll(text, "\n", "; ")
	if len(text) <= maxErrorText {
		return text
	}
	cut := maxErrorText
	for cut > 0 && !utf8.RuneStart(text[cut]) {
		cut--
	}
	return text[:cut] + " ... (truncated)"
}

// malformedPayload reports whether the error of decoding a message body
// says the body itself is broken (bad base64, a malformed pointer), which
// no retry mends. A pointer to a missing object is not: S3 may show a
// new object late.
func malformedPayload(err error) bool {
	return errors.Is(err, awsio.ErrMalformedPayload)
}

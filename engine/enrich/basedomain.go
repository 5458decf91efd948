package enrich

import (
	"strings"

	"golang.org/x/net/publicsuffix"
)

// baseOverrides names hostname suffixes whose base domain we set ourselves,
// where even the ICANN part of the public suffix list does not give the
// organisation that sends the mail. Keys and values are lower case.
var baseOverrides = map[string]string{
	// Amazon EC2's reverse names: explicit, though the ICANN rule below
	// already gives amazonaws.com, because it is the case that matters most.
	"compute-1.amazonaws.com": "amazonaws.com",
	"compute.amazonaws.com":   "amazonaws.com",
	// Microsoft 365's outbound relays: outlook.com, not the tenant.
	"protection.outlook.com": "outlook.com",
}

// baseDomain is the registrable domain of host, by the ICANN section of the
// public suffix list alone. The list's private section (amazonaws.com's
// regions, herokuapp.com, github.io, ...) marks domains whose subdomains
// belong to different customers; for mail the sender is the platform, so
// ec2-1-2-3-4.compute-1.amazonaws.com belongs to amazonaws.com and
// x.herokuapp.com to herokuapp.com. baseOverrides come first. host is a
// lower-case name without the final dot; the result is "" when host is
// itself a public suffix or empty.
func baseDomain(host string) string {
	if host == "" {
		return ""
	}
	labels := strings.Split(host, ".")
	for i := range labels {
		if base, ok := baseOverrides[strings.Join(labels[i:], ".")]; ok {
			return base
		}
	}

	// The longest suffix that is an ICANN public suffix; without one, the
	// list's default rule makes the last label the suffix.
	suffixAt := len(labels) - 1
	for i := range labels {
		s := strings.Join(labels[i:], ".")
		if ps, icann := publicsuffix.PublicSuffix(s); icann && ps == s {
			suffixAt = i
			break
		}
	}
	if suffixAt == 0 {
		return ""
	}
	return strings.Join(labels[suffixAt-1:], ".")
}

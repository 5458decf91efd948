package main

import (
	"log/slog"

	"github.com/urfave/cli/v2"

	"github.com/rptctl/rptctl/engine/enrich"
)

// enrichFlags are the source-enrichment flags that parse, serve and
// show --enrich share (CONTRACT.md section 1), each also read from
// RPTCTL_<FLAG>. RPTCTL_DNS_SERVER takes several servers separated by
// commas.
func enrichFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringSliceFlag{Name: "dns-server", EnvVars: envName("dns-server"),
			Usage: "DNS resolver `HOST:PORT` for reverse lookups, repeatable, tried in order " +
				"(default: the nameservers of /etc/resolv.conf)"},
		&cli.DurationFlag{Name: "dns-timeout", Value: enrich.DefaultTimeout,
			EnvVars: envName("dns-timeout"),
			Usage:   "how long one DNS query waits for an answer before the next try"},
		&cli.IntFlag{Name: "dns-in-flight", Value: enrich.DefaultMaxInFlight,
			EnvVars: envName("dns-in-flight"),
			Usage:   "DNS queries on the wire at once, for the whole process"},
		&cli.BoolFlag{Name: "no-dns", EnvVars: envName("no-dns"),
			Usage: "no DNS lookups: no hostname, base domain or service"},
		&cli.StringFlag{Name: "service-map", EnvVars: envName("service-map"), TakesFile: true,
			Usage: "CSV `FILE` of domain,name,type that overrides and extends the " +
				"built-in map of sending services"},
		&cli.StringFlag{Name: "geoip-db", EnvVars: envName("geoip-db"), TakesFile: true,
			Usage: "MaxMind-format Country or City database `FILE`, for the country"},
		&cli.StringFlag{Name: "asn-db", EnvVars: envName("asn-db"), TakesFile: true,
			Usage: "MaxMind-format ASN database `FILE`, for the network (ASN and AS org)"},
	}
}

// enrichOptions copies the enrichment flags into enrich.Options. The caller
// sets Registerer when it serves metrics; enrich.New checks the values.
func enrichOptions(c *cli.Context, log *slog.Logger) enrich.Options {
	return enrich.Options{
		DNSServers:  c.StringSlice("dns-server"),
		Timeout:     c.Duration("dns-timeout"),
		MaxInFlight: c.Int("dns-in-flight"),
		NoDNS:       c.Bool("no-dns"),
		ServiceMap:  c.String("service-map"),
		GeoIPDB:     c.String("geoip-db"),
		ASNDB:       c.String("asn-db"),
		Logger:      log,
	}
}

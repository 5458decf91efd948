package main

import (
	"io"
	"log/slog"
	"reflect"
	"testing"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/rptctl/rptctl/engine/enrich"
)

func TestEnrichOptions(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want enrich.Options
	}{
		{
			name: "defaults",
			want: enrich.Options{
				Timeout:     enrich.DefaultTimeout,
				MaxInFlight: enrich.DefaultMaxInFlight,
			},
		},
		{
			name: "flags",
			args: []string{
				"--dns-server", "192.0.2.53", "--dns-server", "[2001:db8::53]:5353",
				"--dns-timeout", "750ms", "--dns-in-flight", "16", "--no-dns",
				"--service-map", "map.csv", "--geoip-db", "c.mmdb", "--asn-db", "a.mmdb",
			},
			want: enrich.Options{
				DNSServers:  []string{"192.0.2.53", "[2001:db8::53]:5353"},
				Timeout:     750 * time.Millisecond,
				MaxInFlight: 16,
				NoDNS:       true,
				ServiceMap:  "map.csv",
				GeoIPDB:     "c.mmdb",
				ASNDB:       "a.mmdb",
			},
		},
		{
			name: "environment",
			env: map[string]string{
				"RPTCTL_DNS_SERVER":    "192.0.2.53,192.0.2.54:53",
				"RPTCTL_DNS_TIMEOUT":   "5s",
				"RPTCTL_DNS_IN_FLIGHT": "8",
				"RPTCTL_NO_DNS":        "true",
				"RPTCTL_SERVICE_MAP":   "env.csv",
				"RPTCTL_GEOIP_DB":      "env-c.mmdb",
				"RPTCTL_ASN_DB":        "env-a.mmdb",
			},
			want: enrich.Options{
				DNSServers:  []string{"192.0.2.53", "192.0.2.54:53"},
				Timeout:     5 * time.Second,
				MaxInFlight: 8,
				NoDNS:       true,
				ServiceMap:  "env.csv",
				GeoIPDB:     "env-c.mmdb",
				ASNDB:       "env-a.mmdb",
			},
		},
		{
			name: "flag over environment",
			args: []string{"--dns-timeout", "1s"},
			env:  map[string]string{"RPTCTL_DNS_TIMEOUT": "9s"},
			want: enrich.Options{
				Timeout:     time.Second,
				MaxInFlight: enrich.DefaultMaxInFlight,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			var got enrich.Options
			app := &cli.App{
				Flags:     enrichFlags(),
				Writer:    io.Discard,
				ErrWriter: io.Discard,
				Action: func(c *cli.Context) error {
					got = enrichOptions(c, log)
					return nil
				},
			}
			if err := app.Run(append([]string{"rptctl"}, tt.args...)); err != nil {
				t.Fatal(err)
			}
			if got.Logger != log {
				t.Error("Logger not passed on")
			}
			got.Logger = nil
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("options\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// TestEnrichFlagsBuild checks that the default options build an Enricher.
func TestEnrichFlagsBuild(t *testing.T) {
	app := &cli.App{
		Flags:  enrichFlags(),
		Writer: io.Discard,
		Action: func(c *cli.Context) error {
			e, err := enrich.New(enrichOptions(c, slog.New(slog.DiscardHandler)))
			if err != nil {
				return err
			}
			return e.Close()
		},
	}
	if err := app.Run([]string{"rptctl", "--no-dns"}); err != nil {
		t.Fatal(err)
	}
}

// Command rptctl ingests, queues, parses and browses DMARC aggregate,
// SMTP TLS and DMARC failure reports.
package main

import "os"

func main() {
	os.Exit(Main(os.Args, defaultStreams()))
}

//go:build race

package main

// Under `go test -race` the binary the end-to-end tests run is built with
// -race too, so that a data race in a real serve or parse process fails
// the test (the race detector makes the process exit with status 66).
func init() { raceBuild = true }

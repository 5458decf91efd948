package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestQueueCommandsWiring runs setup, queue stats and the dlq commands
// through Main on a local data folder: flags, subcommands, exit codes.
func TestQueueCommandsWiring(t *testing.T) {
	dir := t.TempDir()
	run := func(args ...string) (string, string, int) {
		var out, errOut bytes.Buffer
		code := Main(append([]string{"rptctl", "--data-dir", dir, "--log-format", "json"},
			args...), streams{Out: &out, Err: &errOut})
		return out.String(), errOut.String(), code
	}
	tests := []struct {
		name string
		args []string
		code int
		out  string // a substring of stdout
		err  string // a substring of stderr
	}{
		{"setup", []string{"setup", "--max-receive", "3"}, 0, "created", ""},
		{"setup again", []string{"setup"}, 0, "found", ""},
		{"setup bad", []string{"setup", "--max-receive", "0"}, 2, "", "--max-receive"},
		{"stats json", []string{"queue", "stats", "--format", "json"}, 0,
			`"inFlight": 0`, ""},
		{"stats table", []string{"queue", "stats"}, 0, "rptctl-reports-dlq", ""},
		{"stats csv", []string{"queue", "stats", "--format", "csv"}, 2, "", "--format"},
		{"stats extra arg", []string{"queue", "stats", "now"}, 2, "", "no arguments"},
		{"dlq list empty", []string{"dlq", "list", "--format", "json"}, 0, "[]", ""},
		{"dlq list bad limit", []string{"dlq", "list", "--limit", "0"}, 2, "", "--limit"},
		{"redrive nothing", []string{"dlq", "redrive", "--format", "json"}, 0,
			`"redriven": 0`, ""},
		{"redrive missing", []string{"dlq", "redrive", "--trace-id", "x"}, 1, "",
			"not in the DLQ"},
		{"purge without yes", []string{"dlq", "purge"}, 2, "", "--yes"},
		{"purge", []string{"dlq", "purge", "--yes"}, 0, "purged rptctl-reports-dlq", ""},
	}
	for _, tt := range tests {
		out, errOut, code := run(tt.args...)
		if code != tt.code || !strings.Contains(out, tt.out) ||
			!strings.Contains(errOut, tt.err) {
			t.Errorf("%s: exit %d, want %d\nstdout: %s\nstderr: %s", tt.name, code, tt.code,
				out, errOut)
		}
	}

	out, _, _ := run("setup", "--format", "json")
	var res struct{ Created, Found, Warnings []string }
	if err := json.Unmarshal([]byte(out), &res); err != nil || len(res.Found) != 4 {
		t.Errorf("setup --format json: %v\n%s", err, out)
	}
}

// TestQueueCommandsCreateNothing: the queue and dlq commands, run where
// there is no data or with a queue name nobody set up, fail saying what is
// missing and what to do, and create nothing.
func TestQueueCommandsCreateNothing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "rptctl-data")
	run := func(args ...string) (string, int) {
		var out, errOut bytes.Buffer
		code := Main(append([]string{"rptctl", "--data-dir", dir, "--log-format", "json"},
			args...), streams{Out: &out, Err: &errOut})
		return errOut.String(), code
	}
	commands := [][]string{
		{"queue", "stats"},
		{"dlq", "list"},
		{"dlq", "redrive"},
		{"dlq", "purge", "--yes"},
	}
	for _, args := range commands {
		errOut, code := run(args...)
		if code != 1 || !strings.Contains(errOut, "no rptctl data in "+dir) ||
			!strings.Contains(errOut, `"rptctl setup"`) {
			t.Errorf("%v in no data folder: exit %d, stderr %s", args, code, errOut)
		}
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the commands created %s (%v)", dir, err)
	}

	if _, code := run("setup"); code != 0 {
		t.Fatal("setup failed")
	}
	t.Setenv("RPTCTL_QUEUE", "other")
	for _, args := range append(commands, commands[0]) { // and again: still missing
		errOut, code := run(args...)
		if code != 1 || !strings.Contains(errOut, `queue "other" does not exist in `+dir) {
			t.Errorf("%v with RPTCTL_QUEUE=other: exit %d, stderr %s", args, code, errOut)
		}
	}
}

//go:build unix

package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestShowReadsOnlyRegularFiles: a named pipe named on the command line
// is an error for that path (not a wait for a writer that never comes),
// one inside a folder is skipped, a file over the cap is refused, and the
// other files are still printed.
func TestShowReadsOnlyRegularFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("no named pipes here: %v", err)
	}
	report, err := os.ReadFile(filepath.Join(showIn, "b09-two-dkim-results.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "report"), report, 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(t.TempDir(), "big")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	// A sparse file: its size is over the cap, its blocks cost nothing.
	if err := f.Truncate(maxShowFile + 1); err != nil {
		t.Fatal(err)
	}
	_ = f.Close() // written nothing: nothing to lose

	tests := []struct {
		name    string
		paths   []string
		stderr  string
		printed bool
	}{
		{"pipe", []string{fifo}, "is a named pipe, not a regular file", false},
		{"device", []string{os.DevNull}, "is a device, not a regular file", false},
		{"folder with a pipe", []string{dir}, "", true},
		{"too large", []string{big}, "over the 256 MiB show reads", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := runShow(context.Background(), showOptions{Paths: tt.paths,
				Format: "json"}, showDeps{Out: &out, Err: &errOut})
			if tt.stderr != "" && (!errors.Is(err, errSilent) ||
				!strings.Contains(errOut.String(), tt.stderr)) {
				t.Errorf("err %v, stderr %q; want errSilent and %q", err, errOut.String(),
					tt.stderr)
			}
			if tt.stderr == "" && err != nil {
				t.Errorf("err %v, stderr %q", err, errOut.String())
			}
			if got := strings.Contains(out.String(), `"reportKey"`); got != tt.printed {
				t.Errorf("report printed %v, want %v: %s", got, tt.printed, out.String())
			}
		})
	}
}

// TestShowHonoursContext: a cancelled context (Ctrl-C) stops show.
func TestShowHonoursContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out, errOut bytes.Buffer
	err := runShow(ctx, showOptions{Paths: []string{showIn}, Format: "json"},
		showDeps{Out: &out, Err: &errOut})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

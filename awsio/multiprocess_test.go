package awsio_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rptctl/rptctl/awsio"
)

// childEnv names the data folder a child process drains; set only in the
// children TestLocalProcessesShareQueue starts.
const childEnv = "RPTCTL_AWSIO_TEST_CHILD_DIR"

// stopBody tells a child to stop.
const stopBody = "c3RvcA=="

// TestLocalProcessesShareQueue starts worker processes (this test binary
// again) that long-poll one data folder's queue while this process sends
// to it: every message is received and deleted exactly once, a long poll
// in one process sees a send of another, and SQLite's locking holds up.
func TestLocalProcessesShareQueue(t *testing.T) {
	if os.Getenv(childEnv) != "" {
		t.Skip("in a child process")
	}
	dir := t.TempDir()
	setUp(t, dir)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	const workers, n = 3, 120
	outs := make([]bytes.Buffer, workers)
	var wg sync.WaitGroup
	ready := make(chan struct{}, workers)
	for i := range workers {
		cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestLocalQueueChild$")
		cmd.Env = append(os.Environ(), childEnv+"="+dir)
		cmd.Stderr = os.Stderr
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				if sc.Text() == "ready" {
					ready <- struct{}{}
					continue
				}
				fmt.Fprintln(&outs[i], sc.Text())
			}
			if err := cmd.Wait(); err != nil {
				t.Errorf("child %d: %v", i, err)
			}
		})
	}
	for range workers {
		select {
		case <-ready:
		case <-ctx.Done():
			t.Fatal("children did not start")
		}
	}

	// The children wait in long polls; send from this process.
	cfg := localConfig(dir)
	cfg.NoSweep = true
	b, err := awsio.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = b.Close() }()
	for i := range n {
		if _, err := b.Queue.Send(ctx, encodeB64(fmt.Appendf(nil, "m-%d", i)), nil); err != nil {
			t.Fatal(err)
		}
	}
	for range workers {
		if _, err := b.Queue.Send(ctx, stopBody, nil); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()

	seen := map[string]int{}
	for i := range outs {
		for _, line := range strings.Fields(outs[i].String()) {
			seen[line]++
		}
	}
	for i := range n {
		body := encodeB64(fmt.Appendf(nil, "m-%d", i))
		if seen[body] != 1 {
			t.Errorf("m-%d received %d times, want once", i, seen[body])
		}
	}
	if s, err := b.Queue.Stats(ctx); err != nil || s.Visible+s.InFlight+s.Delayed != 0 {
		t.Errorf("queue after the children: %+v, %v; want empty", s, err)
	}
}

// TestLocalQueueChild is the worker of TestLocalProcessesShareQueue: it
// receives, prints and deletes messages until it receives a stop, which
// it deletes; other stops of the same batch it hands back.
func TestLocalQueueChild(t *testing.T) {
	dir := os.Getenv(childEnv)
	if dir == "" {
		t.Skip("run by TestLocalProcessesShareQueue")
	}
	ctx := context.Background()
	cfg := localConfig(dir)
	cfg.NoSweep, cfg.NoCreate = true, true
	b, err := awsio.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = b.Close() }()
	fmt.Println("ready")
	for stopped := false; !stopped; {
		msgs, err := b.Queue.Receive(ctx, awsio.ReceiveOptions{Max: 10,
			Visibility: time.Minute, Wait: 20 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			if m.Body == stopBody && stopped {
				err = b.Queue.ChangeVisibility(ctx, m.ReceiptHandle, 0)
			} else {
				stopped = stopped || m.Body == stopBody
				if m.Body != stopBody {
					fmt.Println(m.Body)
				}
				err = b.Queue.Delete(ctx, m.ReceiptHandle)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
	}
}

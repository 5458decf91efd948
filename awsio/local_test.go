package awsio_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rptctl/rptctl/awsio"
)

func encodeB64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// localFactory opens a local backend in a fresh data folder.
func localFactory(t *testing.T, opts awsio.SetupOptions) *awsio.Backend {
	t.Helper()
	cfg := localConfig(t.TempDir())
	if _, err := awsio.Setup(context.Background(), cfg, opts); err != nil {
		t.Fatalf("Setup: %v", err)
	}
	b, err := awsio.Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

func localConfig(dir string) awsio.Config {
	return awsio.Config{Backend: "local", DataDir: dir, Queue: "q", DLQ: "q-dlq",
		Bucket: "bucket"}
}

func TestLocalConformance(t *testing.T) {
	runConformance(t, localFactory)
}

func TestLocalSetupIsRepeatable(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	cfg := localConfig(dir)
	ctx := context.Background()
	first, err := awsio.Setup(ctx, cfg, awsio.SetupOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(first.Created) != 4 || len(first.Found) != 0 {
		t.Errorf("first Setup: %+v, want 4 created", first)
	}
	again, err := awsio.Setup(ctx, cfg, awsio.SetupOptions{MaxReceive: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Created) != 0 || len(again.Found) != 4 {
		t.Errorf("second Setup: %+v, want 4 found", again)
	}
}

func TestLocalKeysAreChecked(t *testing.T) {
	b := localFactory(t, awsio.SetupOptions{})
	bad := []string{"", "/etc/passwd", "../x", "a/../../x", "a//b", "a/./b", "a\\b",
		"a/.rptctl-tmp-1"}
	for _, k := range bad {
		if err := b.Store.Put(context.Background(), k, []byte("x")); err == nil {
			t.Errorf("Put(%q) succeeded", k)
		}
		if _, err := b.Store.Get(context.Background(), k); err == nil ||
			errors.Is(err, awsio.ErrNotFound) {
			t.Errorf("Get(%q) = %v, want a key error", k, err)
		}
	}
}

// TestLocalTwoProcessesShareQueue opens the same data folder twice, as
// serve and dlq commands do, and checks that each message is received by
// exactly one of many concurrent receivers.
func TestLocalTwoOpensShareQueue(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	var backends []*awsio.Backend
	for range 2 {
		b, err := awsio.Open(ctx, localConfig(dir))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = b.Close() })
		backends = append(backends, b)
	}
	const n = 60
	var mu sync.Mutex
	seen := map[string]int{}
	received := 0
	var wg sync.WaitGroup
	// Receivers stop once all n were received (or at the deadline), not
	// at the first empty poll: a slow machine may pause between sends.
	rctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for i := range 4 {
		wg.Go(func() {
			q := backends[i%2].Queue
			for {
				mu.Lock()
				done := received >= n
				mu.Unlock()
				if done || rctx.Err() != nil {
					return
				}
				msgs, err := q.Receive(rctx, awsio.ReceiveOptions{Max: 10,
					Visibility: time.Minute, Wait: 200 * time.Millisecond})
				if err != nil && rctx.Err() == nil {
					t.Error(err)
					return
				}
				mu.Lock()
				for _, m := range msgs {
					seen[m.ID]++
					received++
				}
				mu.Unlock()
			}
		})
	}
	for i := range n {
		if _, err := backends[i%2].Queue.Send(ctx, "Ym9keQ==", nil); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	if len(seen) != n {
		t.Errorf("received %d distinct messages, want %d", len(seen), n)
	}
	for id, c := range seen {
		if c != 1 {
			t.Errorf("message %s received %d times", id, c)
		}
	}
}

func TestSweepPayloads(t *testing.T) {
	b := localFactory(t, awsio.SetupOptions{})
	ctx := context.Background()
	for _, k := range []string{"payloads/a/b/old", "payloads/a/b/new", "results/old"} {
		if err := b.Store.Put(ctx, k, []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now()
	n, err := awsio.SweepPayloads(ctx, b.Store, time.Hour, now.Add(30*time.Minute))
	if err != nil || n != 0 {
		t.Fatalf("early sweep removed %d, %v", n, err)
	}
	n, err = awsio.SweepPayloads(ctx, b.Store, time.Hour, now.Add(2*time.Hour))
	if err != nil || n != 2 {
		t.Fatalf("late sweep removed %d, %v, want 2", n, err)
	}
	if _, err := b.Store.Get(ctx, "results/old"); err != nil {
		t.Errorf("sweep touched results/: %v", err)
	}
}

// TestLocalStaleDelete: locally a stale handle is refused outright.
func TestLocalStaleDelete(t *testing.T) {
	b := localFactory(t, awsio.SetupOptions{})
	ctx := context.Background()
	if _, err := b.Queue.Send(ctx, "Ym9keQ==", nil); err != nil {
		t.Fatal(err)
	}
	opts := awsio.ReceiveOptions{Max: 1, Visibility: time.Minute}
	first, err := b.Queue.Receive(ctx, opts)
	if err != nil || len(first) != 1 {
		t.Fatalf("Receive: %d, %v", len(first), err)
	}
	if err := b.Queue.ChangeVisibility(ctx, first[0].ReceiptHandle, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Queue.Receive(ctx, opts); err != nil {
		t.Fatal(err)
	}
	for _, receipt := range []string{first[0].ReceiptHandle, "", "made-up"} {
		if err := b.Queue.Delete(ctx, receipt); !errors.Is(err, awsio.ErrReceiptInvalid) {
			t.Errorf("Delete(%q) = %v, want ErrReceiptInvalid", receipt, err)
		}
	}
}

// TestLocalSweepsInBackground: an open local backend expires payloads
// older than the expiry `setup` saved, and leaves newer ones.
func TestLocalSweepsInBackground(t *testing.T) {
	dir := t.TempDir()
	cfg := localConfig(dir)
	ctx := context.Background()
	opts := awsio.SetupOptions{PayloadExpiry: 48 * time.Hour}
	if _, err := awsio.Setup(ctx, cfg, opts); err != nil {
		t.Fatal(err)
	}
	folder := filepath.Join(dir, cfg.Bucket, "payloads", "acme", "shop")
	if err := os.MkdirAll(folder, 0o755); err != nil {
		t.Fatal(err)
	}
	old, young := filepath.Join(folder, "old"), filepath.Join(folder, "young")
	for _, p := range []string{old, young} {
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	past := time.Now().Add(-72 * time.Hour)
	if err := os.Chtimes(old, past, past); err != nil {
		t.Fatal(err)
	}

	b, err := awsio.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(old); errors.Is(err, os.ErrNotExist) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the expired payload was not swept")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := os.Stat(young); err != nil {
		t.Errorf("the young payload went too: %v", err)
	}
}

// TestLocalNoCreate: with NoCreate, Open creates nothing and says what is
// missing and what to do.
func TestLocalNoCreate(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		prepare func(t *testing.T, dir string) // before Open; dir does not exist
		change  func(cfg *awsio.Config)
		want    []string
	}{
		{"no folder", nil, nil,
			[]string{"no rptctl data in", `"rptctl setup"`, "--data-dir"}},
		{"empty folder", func(t *testing.T, dir string) {
			if err := os.Mkdir(dir, 0o750); err != nil {
				t.Fatal(err)
			}
		}, nil, []string{"no rptctl data in"}},
		{"other queue", setUp, func(cfg *awsio.Config) { cfg.Queue = "other" },
			[]string{`queue "other" does not exist in`, "--queue other setup"}},
		{"other dlq", setUp, func(cfg *awsio.Config) { cfg.DLQ = "other-dlq" },
			[]string{`dlq "other-dlq" does not exist in`, "--dlq other-dlq setup"}},
		{"other bucket", setUp, func(cfg *awsio.Config) { cfg.Bucket = "other" },
			[]string{`bucket "other" does not exist in`, "--bucket other setup"}},
		{"all there", setUp, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			if tt.prepare != nil {
				tt.prepare(t, dir)
			}
			cfg := localConfig(dir)
			cfg.NoCreate, cfg.NoSweep = true, true
			if tt.change != nil {
				tt.change(&cfg)
			}
			before := listTree(t, dir)
			b, err := awsio.Open(ctx, cfg)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Open: %v", err)
				}
				_ = b.Close()
				return
			}
			if err == nil {
				_ = b.Close()
				t.Fatalf("Open: no error, want one saying %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Open: %v\nwant it to say %q", err, w)
				}
			}
			if after := listTree(t, dir); after != before {
				t.Errorf("Open created files:\nbefore %s\nafter  %s", before, after)
			}
			// Nor did it create the missing queue: a second Open fails too.
			if b, err := awsio.Open(ctx, cfg); err == nil {
				_ = b.Close()
				t.Errorf("second Open: no error; the first one created what was missing")
			}
		})
	}
}

// setUp runs Setup in dir with localConfig.
func setUp(t *testing.T, dir string) {
	t.Helper()
	if _, err := awsio.Setup(context.Background(), localConfig(dir),
		awsio.SetupOptions{}); err != nil {
		t.Fatal(err)
	}
}

// listTree lists the files below dir (the queue database's WAL files
// aside, which SQLite makes on any open).
func listTree(t *testing.T, dir string) string {
	t.Helper()
	var names []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		if !strings.Contains(p, "queues.db-") {
			names = append(names, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(names, " ")
}

// TestLocalConcurrentPuts: puts that create the same new folders at once
// all succeed, and each key reads back whole.
func TestLocalConcurrentPuts(t *testing.T) {
	b := localFactory(t, awsio.SetupOptions{})
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			key := fmt.Sprintf("results/company=a/customer=b/kind=x/date=d%d/k", i%2)
			body := bytes.Repeat([]byte{byte('a' + i)}, 4096)
			if err := b.Store.Put(ctx, key+fmt.Sprint(i), body); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	objs, err := b.Store.List(ctx, "results/")
	if err != nil || len(objs) != 16 {
		t.Fatalf("List: %d objects, %v; want 16", len(objs), err)
	}
	for _, o := range objs {
		if o.Size != 4096 {
			t.Errorf("%s: %d bytes, want 4096", o.Key, o.Size)
		}
	}
}

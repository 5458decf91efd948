package awsio_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rptctl/rptctl/awsio"
)

// BenchmarkLocalSendReceiveDelete measures one message's round trip
// through the local queue: send, receive, delete (each a durable commit).
func BenchmarkLocalSendReceiveDelete(b *testing.B) {
	cfg := localConfig(b.TempDir())
	ctx := context.Background()
	be, err := awsio.Open(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer be.Close()
	body := strings.Repeat("A", 4096)
	for b.Loop() {
		if _, err := be.Queue.Send(ctx, body, attrs("t")); err != nil {
			b.Fatal(err)
		}
		msgs, err := be.Queue.Receive(ctx, awsio.ReceiveOptions{Max: 1,
			Visibility: time.Minute})
		if err != nil || len(msgs) != 1 {
			b.Fatalf("Receive: %d, %v", len(msgs), err)
		}
		if err := be.Queue.Delete(ctx, msgs[0].ReceiptHandle); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLocalPut measures an atomic 64 KiB put (temp file, fsync,
// rename).
func BenchmarkLocalPut(b *testing.B) {
	be, err := awsio.Open(context.Background(), localConfig(b.TempDir()))
	if err != nil {
		b.Fatal(err)
	}
	defer be.Close()
	body := make([]byte, 64<<10)
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if err := be.Store.Put(context.Background(), "results/x.ndjson.gz", body); err != nil {
			b.Fatal(err)
		}
	}
}

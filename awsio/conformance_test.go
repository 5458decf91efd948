package awsio_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rptctl/rptctl/awsio"
)

// factory opens a fresh backend (its own queues and bucket) set up with
// opts, closed when the test ends.
type factory func(t *testing.T, opts awsio.SetupOptions) *awsio.Backend

// runConformance runs every queue and store test against one backend.
func runConformance(t *testing.T, open factory) {
	tests := []struct {
		name string
		run  func(t *testing.T, open factory)
	}{
		{"SendReceiveAttributes", testSendReceiveAttributes},
		{"ReceiveBatch", testReceiveBatch},
		{"VisibilityExpiry", testVisibilityExpiry},
		{"StaleReceipt", testStaleReceipt},
		{"ChangeVisibility", testChangeVisibility},
		{"MoveToDLQ", testMoveToDLQ},
		{"MaxReceive", testMaxReceive},
		{"Delete", testDelete},
		{"Stats", testStats},
		{"Purge", testPurge},
		{"LongPollWakesOnSend", testLongPollWakesOnSend},
		{"Peek", testPeek},
		{"PayloadRoundTrip", testPayloadRoundTrip},
		{"PayloadPointerForms", testPayloadPointerForms},
		{"Store", testStore},
		{"StoreList", testStoreList},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.run(t, open)
		})
	}
}

// testMaxReceive: the backend reports the maxReceiveCount setup gave
// the queue, which parsers use to know a failure is a message's last.
func testMaxReceive(t *testing.T, open factory) {
	for _, n := range []int{0, 3} {
		b := open(t, awsio.SetupOptions{MaxReceive: n})
		want := n
		if n == 0 {
			want = awsio.DefaultMaxReceive
		}
		if b.MaxReceive != want {
			t.Errorf("setup with MaxReceive %d: Backend.MaxReceive = %d, want %d",
				n, b.MaxReceive, want)
		}
	}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func attrs(trace string) map[string]awsio.Attribute {
	return map[string]awsio.Attribute{
		"traceId":    {DataType: "String", Value: trace},
		"companyId":  {DataType: "String", Value: "acme"},
		"customerId": {DataType: "String", Value: "c-1"},
	}
}

func send(t *testing.T, q awsio.Queue, body, trace string) string {
	t.Helper()
	id, err := q.Send(ctxT(t), body, attrs(trace))
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	return id
}

// receiveOne waits for exactly one message.
func receiveOne(t *testing.T, q awsio.Queue, vis time.Duration) awsio.Message {
	t.Helper()
	msgs, err := q.Receive(ctxT(t), awsio.ReceiveOptions{Max: 1, Visibility: vis,
		Wait: 10 * time.Second})
	if err != nil {
		t.Fatalf("Receive: %v", err)
	}
	if len(msgs) != 1 {
		t.Fatalf("Receive: got %d messages, want 1", len(msgs))
	}
	return msgs[0]
}

// receiveNone checks that nothing is visible.
func receiveNone(t *testing.T, q awsio.Queue) {
	t.Helper()
	msgs, err := q.Receive(ctxT(t), awsio.ReceiveOptions{Max: 10, Visibility: time.Minute})
	if err != nil {
		t.Fatalf("Receive: %v", err)
	}
	if len(msgs) != 0 {
		t.Fatalf("Receive: got %d messages, want none", len(msgs))
	}
}

func testSendReceiveAttributes(t *testing.T, open factory) {
	b := open(t, awsio.SetupOptions{})
	before := time.Now().Add(-2 * time.Second)
	id := send(t, b.Queue, "aGVsbG8=", "trace-1")

	m := receiveOne(t, b.Queue, time.Minute)
	if m.ID != id || m.Body != "aGVsbG8=" {
		t.Errorf("got id %q body %q, want %q %q", m.ID, m.Body, id, "aGVsbG8=")
	}
	for k, want := range attrs("trace-1") {
		if got := m.Attributes[k]; got != want {
			t.Errorf("attribute %s = %+v, want %+v", k, got, want)
		}
	}
	if m.ReceiveCount != 1 {
		t.Errorf("ReceiveCount = %d, want 1", m.ReceiveCount)
	}
	if m.ReceiptHandle == "" {
		t.Error("no receipt handle")
	}
	if m.FirstReceived.Before(before) || m.SentAt.Before(before) {
		t.Errorf("FirstReceived %v / SentAt %v before %v", m.FirstReceived, m.SentAt, before)
	}
}

func testReceiveBatch(t *testing.T, open factory) {
	b := open(t, awsio.SetupOptions{})
	for i := range 12 {
		send(t, b.Queue, "Ym9keQ==", fmt.Sprint("t", i))
	}
	seen := map[string]bool{}
	for len(seen) < 12 {
		msgs, err := b.Queue.Receive(ctxT(t), awsio.ReceiveOptions{Max: 10,
			Visibility: time.Minute, Wait: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) == 0 || len(msgs) > 10 {
			t.Fatalf("got %d messages after %d, want 1 to 10", len(msgs), len(seen))
		}
		for _, m := range msgs {
			if seen[m.ID] {
				t.Fatalf("message %s received twice while hidden", m.ID)
			}
			seen[m.ID] = true
		}
	}
}

func testVisibilityExpiry(t *testing.T, open factory) {
	b := open(t, awsio.SetupOptions{})
	send(t, b.Queue, "Ym9keQ==", "t")
	first := receiveOne(t, b.Queue, time.Second)
	again := receiveOne(t, b.Queue, time.Minute) // waits for the expiry
	if again.ID != first.ID {
		t.Fatalf("redelivered %s, want %s", again.ID, first.ID)
	}
	if again.ReceiveCount != 2 {
		t.Errorf("ReceiveCount = %d, want 2", again.ReceiveCount)
	}
	if again.ReceiptHandle == first.ReceiptHandle {
		t.Error("receipt handle not renewed on redelivery")
	}
	if !again.FirstReceived.Equal(first.FirstReceived) {
		t.Errorf("FirstReceived changed from %v to %v", first.FirstReceived, again.FirstReceived)
	}
}

// testStaleReceipt: a handle from before the latest receive can neither
// extend nor delete the message. SQS answers a stale DeleteMessage with
// success and no effect, so either answer passes for Delete, as long as
// the message survives; the local backend's stricter answer is checked in
// TestLocalStaleDelete.
func testStaleReceipt(t *testing.T, open factory) {
	b := open(t, awsio.SetupOptions{})
	send(t, b.Queue, "Ym9keQ==", "t")
	first := receiveOne(t, b.Queue, time.Second)
	again := receiveOne(t, b.Queue, time.Minute)

	ctx := ctxT(t)
	if err := b.Queue.ChangeVisibility(ctx, first.ReceiptHandle, 0); !errors.Is(err,
		awsio.ErrReceiptInvalid) {
		t.Errorf("ChangeVisibility with a stale handle: %v, want ErrReceiptInvalid", err)
	}
	if err := b.Queue.Delete(ctx, first.ReceiptHandle); err != nil && !errors.Is(err,
		awsio.ErrReceiptInvalid) {
		t.Errorf("Delete with a stale handle: %v, want nil or ErrReceiptInvalid", err)
	}
	// The message is still there, held by the fresh handle.
	if err := b.Queue.ChangeVisibility(ctx, again.ReceiptHandle, 0); err != nil {
		t.Fatalf("ChangeVisibility with the fresh handle: %v", err)
	}
	third := receiveOne(t, b.Queue, time.Minute)
	if third.ID != first.ID {
		t.Fatalf("got %s, want %s back", third.ID, first.ID)
	}
	if err := b.Queue.Delete(ctx, third.ReceiptHandle); err != nil {
		t.Errorf("Delete with the fresh handle: %v", err)
	}
}

func testChangeVisibility(t *testing.T, open factory) {
	b := open(t, awsio.SetupOptions{})
	send(t, b.Queue, "Ym9keQ==", "t")
	m := receiveOne(t, b.Queue, time.Minute)
	receiveNone(t, b.Queue)
	if err := b.Queue.ChangeVisibility(ctxT(t), m.ReceiptHandle, 0); err != nil {
		t.Fatalf("ChangeVisibility: %v", err)
	}
	again := receiveOne(t, b.Queue, time.Minute)
	if again.ID != m.ID {
		t.Fatalf("got %s, want %s", again.ID, m.ID)
	}
	// Extending a held message keeps it hidden.
	if err := b.Queue.ChangeVisibility(ctxT(t), again.ReceiptHandle, time.Hour); err != nil {
		t.Fatalf("ChangeVisibility: %v", err)
	}
	receiveNone(t, b.Queue)
}

func testMoveToDLQ(t *testing.T, open factory) {
	b := open(t, awsio.SetupOptions{MaxReceive: 2})
	id := send(t, b.Queue, "Ym9keQ==", "poison")
	for i := 1; i <= 2; i++ {
		m := receiveOne(t, b.Queue, time.Minute)
		if m.ReceiveCount != i {
			t.Errorf("receive %d: ReceiveCount = %d", i, m.ReceiveCount)
		}
		if err := b.Queue.ChangeVisibility(ctxT(t), m.ReceiptHandle, 0); err != nil {
			t.Fatal(err)
		}
	}
	receiveNone(t, b.Queue) // the third receive moves it instead

	m := receiveOne(t, b.DLQ, time.Minute)
	if m.ID != id && m.Attributes["traceId"].Value != "poison" {
		t.Errorf("DLQ holds %s %v, want the poison message", m.ID, m.Attributes)
	}
	if m.Body != "Ym9keQ==" {
		t.Errorf("DLQ body %q", m.Body)
	}
}

func testDelete(t *testing.T, open factory) {
	b := open(t, awsio.SetupOptions{})
	send(t, b.Queue, "Ym9keQ==", "t")
	m := receiveOne(t, b.Queue, time.Second)
	if err := b.Queue.Delete(ctxT(t), m.ReceiptHandle); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	msgs, err := b.Queue.Receive(ctxT(t), awsio.ReceiveOptions{Max: 1, Wait: 2 * time.Second})
	if err != nil || len(msgs) != 0 {
		t.Fatalf("after Delete: %d messages, %v", len(msgs), err)
	}
}

func testStats(t *testing.T, open factory) {
	b := open(t, awsio.SetupOptions{})
	for i := range 3 {
		send(t, b.Queue, "Ym9keQ==", fmt.Sprint("t", i))
	}
	receiveOne(t, b.Queue, time.Minute)
	s, err := b.Queue.Stats(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	want := awsio.QueueStats{Name: b.Queue.Name(), Visible: 2, InFlight: 1}
	if s != want {
		t.Errorf("Stats = %+v, want %+v", s, want)
	}
	d, err := b.DLQ.Stats(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if d != (awsio.QueueStats{Name: b.DLQ.Name()}) {
		t.Errorf("DLQ Stats = %+v, want empty", d)
	}
}

func testPurge(t *testing.T, open factory) {
	b := open(t, awsio.SetupOptions{})
	for i := range 3 {
		send(t, b.Queue, "Ym9keQ==", fmt.Sprint("t", i))
	}
	receiveOne(t, b.Queue, time.Minute)
	if err := b.Queue.Purge(ctxT(t)); err != nil {
		t.Fatalf("Purge: %v", err)
	}
	s, err := b.Queue.Stats(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if s.Visible+s.InFlight+s.Delayed != 0 {
		t.Errorf("after Purge: %+v", s)
	}
}

func testLongPollWakesOnSend(t *testing.T, open factory) {
	b := open(t, awsio.SetupOptions{})
	got := make(chan []awsio.Message, 1)
	errc := make(chan error, 1)
	go func() {
		msgs, err := b.Queue.Receive(ctxT(t), awsio.ReceiveOptions{Max: 1,
			Visibility: time.Minute, Wait: 20 * time.Second})
		errc <- err
		got <- msgs
	}()
	// Give the poll a moment to start waiting; it must also work if not.
	time.Sleep(100 * time.Millisecond)
	id := send(t, b.Queue, "Ym9keQ==", "t")
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	msgs := <-got
	if len(msgs) != 1 || msgs[0].ID != id {
		t.Fatalf("long poll returned %d messages, want the one sent", len(msgs))
	}
}

func testPeek(t *testing.T, open factory) {
	b := open(t, awsio.SetupOptions{})
	for i := range 3 {
		send(t, b.DLQ, "Ym9keQ==", fmt.Sprint("t", i))
	}
	p, ok := b.DLQ.(awsio.Peeker)
	if !ok {
		t.Fatal("DLQ is no Peeker")
	}
	msgs, err := p.Peek(ctxT(t), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 3 {
		t.Fatalf("Peek: %d messages, want 3", len(msgs))
	}
	// Never received: no receive and no first receive, also on SQS,
	// where Peek's own receive is left out.
	for _, m := range msgs {
		if m.ReceiveCount != 0 || !m.FirstReceived.IsZero() {
			t.Errorf("peeked %s: receive count %d, first received %v; want none",
				m.ID, m.ReceiveCount, m.FirstReceived)
		}
	}
	// Peeked messages stay in the queue, visible.
	s, err := b.DLQ.Stats(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if s.Visible != 3 || s.InFlight != 0 {
		t.Errorf("after Peek: %+v, want 3 visible", s)
	}
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails
	return b
}

func testPayloadRoundTrip(t *testing.T, open factory) {
	b := open(t, awsio.SetupOptions{})
	p := &awsio.Payloads{Store: b.Store, Bucket: b.Bucket, InlineLimit: 4096}
	tests := []struct {
		name      string
		size      int
		offloaded bool
	}{
		{"small inline", 100, false},
		{"just inline", 2900, false},
		{"over the limit", 4000, true},
		{"large", 900_000, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := ctxT(t)
			raw := randomBytes(tt.size)
			trace := strings.ReplaceAll(tt.name, " ", "-")
			key := "payloads/acme/c-1/" + trace
			body, out, off, err := p.Encode(ctx, key, raw, attrs(trace))
			if err != nil {
				t.Fatal(err)
			}
			if off != tt.offloaded {
				t.Fatalf("offloaded = %v, want %v", off, tt.offloaded)
			}
			if size := awsio.MessageSize(body, out); size > 4096 {
				t.Fatalf("message of %d bytes over the inline limit", size)
			}
			if _, err := b.Queue.Send(ctx, body, out); err != nil {
				t.Fatal(err)
			}
			m := receiveOne(t, b.Queue, time.Minute)
			got, err := p.Decode(ctx, m)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, raw) {
				t.Fatalf("decoded %d bytes, not the %d sent", len(got), len(raw))
			}
			if awsio.Offloaded(m) != tt.offloaded {
				t.Errorf("Offloaded = %v", !tt.offloaded)
			}
		})
	}
}

// testPayloadPointerForms reads the pointers the Java and Python
// extended clients write.
func testPayloadPointerForms(t *testing.T, open factory) {
	b := open(t, awsio.SetupOptions{})
	p := &awsio.Payloads{Store: b.Store, Bucket: b.Bucket}
	raw := randomBytes(3000)
	text := encodeB64(raw)
	size := strconv.Itoa(len(text))
	tests := []struct {
		name, body, sizeAttr string
	}{
		{"java compact", `["software.amazon.payloadoffloading.PayloadS3Pointer",` +
			`{"s3BucketName":"%s","s3Key":"%s"}]`, "ExtendedPayloadSize"},
		{"python spaced", `["software.amazon.payloadoffloading.PayloadS3Pointer", ` +
			`{"s3BucketName": "%s", "s3Key": "%s"}]`, "ExtendedPayloadSize"},
		{"java legacy", `["com.amazon.sqs.javamessaging.MessageS3Pointer",` +
			`{"s3BucketName":"%s","s3Key":"%s"}]`, "SQSLargePayloadSize"},
		{"legacy size attribute", `[ "software.amazon.payloadoffloading.PayloadS3Pointer" ,` +
			"\n" + ` { "s3Key" : "%[2]s", "s3BucketName" : "%[1]s" } ]`,
			"SQSLargePayloadSize"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := ctxT(t)
			key := fmt.Sprintf("payloads/ext/%d-%s", i, strings.ReplaceAll(tt.name, " ", "_"))
			if err := b.Store.Put(ctx, key, []byte(text)); err != nil {
				t.Fatal(err)
			}
			a := attrs("x")
			a[tt.sizeAttr] = awsio.Attribute{DataType: "Number", Value: size}
			if _, err := b.Queue.Send(ctx, fmt.Sprintf(tt.body, b.Bucket, key), a); err != nil {
				t.Fatal(err)
			}
			var m awsio.Message
			// Other subtests share the queue: take the message for this key.
			for m.Body == "" || !strings.Contains(m.Body, key) {
				if m.ReceiptHandle != "" {
					_ = b.Queue.ChangeVisibility(ctx, m.ReceiptHandle, 0) // hand it back
				}
				m = receiveOne(t, b.Queue, time.Minute)
			}
			if m.Attributes[tt.sizeAttr].Value != size {
				t.Errorf("size attribute %s = %+v", tt.sizeAttr, m.Attributes[tt.sizeAttr])
			}
			got, err := p.Decode(ctx, m)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, raw) {
				t.Fatal("decoded bytes differ")
			}
		})
	}
}

func testStore(t *testing.T, open factory) {
	b := open(t, awsio.SetupOptions{})
	ctx := ctxT(t)
	key := "status/acme/trace-1.json"
	if _, err := b.Store.Get(ctx, key); !errors.Is(err, awsio.ErrNotFound) {
		t.Errorf("Get of a missing key: %v, want ErrNotFound", err)
	}
	if _, err := b.Store.Head(ctx, key); !errors.Is(err, awsio.ErrNotFound) {
		t.Errorf("Head of a missing key: %v, want ErrNotFound", err)
	}
	for _, body := range []string{`{"state":"queued"}`, `{"state":"processed!"}`} {
		if err := b.Store.Put(ctx, key, []byte(body)); err != nil {
			t.Fatal(err)
		}
		got, err := b.Store.Get(ctx, key)
		if err != nil || string(got) != body {
			t.Fatalf("Get = %q, %v, want %q", got, err, body)
		}
		info, err := b.Store.Head(ctx, key)
		if err != nil || info.Size != int64(len(body)) || info.Key != key {
			t.Fatalf("Head = %+v, %v", info, err)
		}
		if time.Since(info.Modified) > time.Hour {
			t.Errorf("Modified = %v", info.Modified)
		}
	}
	if err := b.Store.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Store.Get(ctx, key); !errors.Is(err, awsio.ErrNotFound) {
		t.Errorf("Get after Delete: %v, want ErrNotFound", err)
	}
	if err := b.Store.Delete(ctx, key); err != nil {
		t.Errorf("Delete of a missing key: %v, want nil as in S3", err)
	}
}

func testStoreList(t *testing.T, open factory) {
	b := open(t, awsio.SetupOptions{})
	ctx := ctxT(t)
	keys := []string{
		"results/company=b/x.ndjson.gz",
		"results/company=a/customer=1/y.ndjson.gz",
		"results/company=a/customer=1/x.ndjson.gz",
		"results/company=ab/z",
		"failures/t.json",
	}
	for _, k := range keys {
		if err := b.Store.Put(ctx, k, []byte(k)); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		prefix string
		want   []string
	}{
		{"results/company=a/", []string{
			"results/company=a/customer=1/x.ndjson.gz",
			"results/company=a/customer=1/y.ndjson.gz"}},
		{"results/company=a", []string{
			"results/company=a/customer=1/x.ndjson.gz",
			"results/company=a/customer=1/y.ndjson.gz",
			"results/company=ab/z"}},
		{"", []string{
			"failures/t.json",
			"results/company=a/customer=1/x.ndjson.gz",
			"results/company=a/customer=1/y.ndjson.gz",
			"results/company=ab/z",
			"results/company=b/x.ndjson.gz"}},
		{"nothing/", nil},
	}
	for _, tt := range tests {
		got, err := b.Store.List(ctx, tt.prefix)
		if err != nil {
			t.Fatalf("List(%q): %v", tt.prefix, err)
		}
		var gotKeys []string
		for _, o := range got {
			gotKeys = append(gotKeys, o.Key)
			if o.Size != int64(len(o.Key)) {
				t.Errorf("List(%q): %s has size %d", tt.prefix, o.Key, o.Size)
			}
		}
		if fmt.Sprint(gotKeys) != fmt.Sprint(tt.want) {
			t.Errorf("List(%q) = %v, want %v", tt.prefix, gotKeys, tt.want)
		}
	}
}

package engine

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/rptctl/rptctl/awsio"
)

// fakeQueue is an in-memory queue with the SQS semantics the engine
// relies on: visibility timeouts, a fresh receipt on every receive,
// receive counts and the move to a DLQ after maxReceive receives.
type fakeQueue struct {
	mu         sync.Mutex
	msgs       []*fakeMsg
	seq        int
	maxReceive int // 0: no DLQ
	dlq        *fakeQueue
	sendErr    error
	statsErr   error
	changes    map[string][]time.Duration // by message id
}

type fakeMsg struct {
	m         awsio.Message
	visibleAt time.Time
}

var _ Queue = (*fakeQueue)(nil)

func newFakeQueue(maxReceive int) *fakeQueue {
	return &fakeQueue{maxReceive: maxReceive, dlq: &fakeQueue{},
		changes: map[string][]time.Duration{}}
}

func (q *fakeQueue) Send(_ context.Context, body string,
	attrs map[string]awsio.Attribute) (string, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.sendErr != nil {
		return "", q.sendErr
	}
	q.seq++
	id := fmt.Sprintf("m%04d", q.seq)
	q.msgs = append(q.msgs, &fakeMsg{m: awsio.Message{ID: id, Body: body, Attributes: attrs,
		SentAt: time.Now()}})
	return id, nil
}

func (q *fakeQueue) Receive(ctx context.Context, opts awsio.ReceiveOptions) (
	[]awsio.Message, error) {
	deadline := time.Now().Add(opts.Wait)
	for {
		if out := q.take(opts); len(out) > 0 || !time.Now().Before(deadline) {
			return out, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}

func (q *fakeQueue) take(opts awsio.ReceiveOptions) []awsio.Message {
	q.mu.Lock()
	defer q.mu.Unlock()
	now := time.Now()
	var out []awsio.Message
	for i := 0; i < len(q.msgs) && len(out) < opts.Max; i++ {
		fm := q.msgs[i]
		if fm.visibleAt.After(now) {
			continue
		}
		if q.maxReceive > 0 && fm.m.ReceiveCount >= q.maxReceive {
			q.dlq.msgs = append(q.dlq.msgs, fm)
			q.msgs = append(q.msgs[:i], q.msgs[i+1:]...)
			i--
			continue
		}
		q.seq++
		fm.m.ReceiveCount++
		fm.m.ReceiptHandle = fmt.Sprintf("r%d", q.seq)
		fm.visibleAt = now.Add(opts.Visibility)
		out = append(out, fm.m)
	}
	return out
}

func (q *fakeQueue) find(receipt string) int {
	for i, fm := range q.msgs {
		if fm.m.ReceiptHandle == receipt {
			return i
		}
	}
	return -1
}

func (q *fakeQueue) Delete(_ context.Context, receipt string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	i := q.find(receipt)
	if i < 0 {
		return awsio.ErrReceiptInvalid
	}
	q.msgs = append(q.msgs[:i], q.msgs[i+1:]...)
	return nil
}

func (q *fakeQueue) ChangeVisibility(_ context.Context, receipt string,
	timeout time.Duration) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	i := q.find(receipt)
	if i < 0 {
		return awsio.ErrReceiptInvalid
	}
	q.msgs[i].visibleAt = time.Now().Add(timeout)
	id := q.msgs[i].m.ID
	q.changes[id] = append(q.changes[id], timeout)
	return nil
}

func (q *fakeQueue) Stats(context.Context) (awsio.QueueStats, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.statsErr != nil {
		return awsio.QueueStats{}, q.statsErr
	}
	st := awsio.QueueStats{Name: "fake"}
	now := time.Now()
	for _, fm := range q.msgs {
		if fm.visibleAt.After(now) {
			st.InFlight++
		} else {
			st.Visible++
		}
	}
	return st, nil
}

// snapshot returns the messages still in the queue.
func (q *fakeQueue) snapshot() []awsio.Message {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := make([]awsio.Message, len(q.msgs))
	for i, fm := range q.msgs {
		out[i] = fm.m
	}
	return out
}

func (q *fakeQueue) visibilityChanges(id string) []time.Duration {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]time.Duration(nil), q.changes[id]...)
}

// memStore is an in-memory object store; fail, when set, makes Put of
// the keys it returns an error for fail.
type memStore struct {
	mu      sync.Mutex
	objs    map[string][]byte
	fail    func(key string) error
	block   func(ctx context.Context, key string) // called before a Put, unlocked
	headErr error
}

var _ Store = (*memStore)(nil)
var _ awsio.Store = (*memStore)(nil)

func newMemStore() *memStore { return &memStore{objs: map[string][]byte{}} }

func (s *memStore) Put(ctx context.Context, key string, body []byte) error {
	if s.block != nil {
		s.block(ctx, key)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		if err := s.fail(key); err != nil {
			return err
		}
	}
	s.objs[key] = append([]byte(nil), body...)
	return nil
}

func (s *memStore) Get(_ context.Context, key string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.objs[key]
	if !ok {
		return nil, fmt.Errorf("get %s: %w", key, awsio.ErrNotFound)
	}
	return append([]byte(nil), b...), nil
}

func (s *memStore) Head(_ context.Context, key string) (awsio.ObjectInfo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.headErr != nil {
		return awsio.ObjectInfo{}, s.headErr
	}
	b, ok := s.objs[key]
	if !ok {
		return awsio.ObjectInfo{}, fmt.Errorf("head %s: %w", key, awsio.ErrNotFound)
	}
	return awsio.ObjectInfo{Key: key, Size: int64(len(b))}, nil
}

func (s *memStore) List(_ context.Context, prefix string) ([]awsio.ObjectInfo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []awsio.ObjectInfo
	for k, b := range s.objs {
		if strings.HasPrefix(k, prefix) {
			out = append(out, awsio.ObjectInfo{Key: k, Size: int64(len(b))})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

func (s *memStore) Delete(_ context.Context, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.objs, key)
	return nil
}

func (s *memStore) keys(prefix string) []string {
	infos, _ := s.List(context.Background(), prefix) // memStore.List never fails
	out := make([]string, len(infos))
	for i, in := range infos {
		out[i] = in.Key
	}
	return out
}

// inlineCodec is a payload codec that keeps every body inline.
type inlineCodec struct{}

func (inlineCodec) Encode(_ context.Context, _ string, raw []byte,
	attrs map[string]awsio.Attribute) (string, map[string]awsio.Attribute, bool, error) {
	return base64.StdEncoding.EncodeToString(raw), attrs, false, nil
}

func (inlineCodec) Decode(_ context.Context, m awsio.Message) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(m.Body)
	if err != nil {
		return nil, fmt.Errorf("decoding body: %w", err)
	}
	return b, nil
}

var errBoom = errors.New("boom")

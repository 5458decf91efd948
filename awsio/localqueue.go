package awsio

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	_ "modernc.org/sqlite" // the pure-Go SQLite driver, registered as "sqlite"
)

// Local queue limits, as SQS sets them for a standard queue.
const (
	// LocalMaxMessageSize is the largest message (body plus attributes,
	// counted as SQS counts) the local queue takes: SQS's default
	// MaximumMessageSize since 2025.
	LocalMaxMessageSize = 1 << 20
	maxReceiveBatch     = 10
	maxVisibility       = 12 * time.Hour
	maxWait             = 20 * time.Second
	// DefaultVisibility is the visibility timeout a queue gets when Open
	// or Setup creates it: the parser's own default, which it passes on
	// every receive anyway; the queue's default only serves other
	// consumers.
	DefaultVisibility = time.Minute
	// DefaultMaxReceive is the maxReceiveCount a queue gets when Open
	// creates it.
	DefaultMaxReceive = 5
	// pollInterval bounds how late a long poll notices a message sent by
	// another process; sends in this process wake it at once.
	pollInterval = 100 * time.Millisecond
)

// queueSchema keeps every queue of a data folder in one database, so that
// moving a message to its dead-letter queue is one transaction.
const queueSchema = `
CREATE TABLE IF NOT EXISTS queues (
	name          TEXT PRIMARY KEY,
	dlq           TEXT NOT NULL DEFAULT '',
	max_receive   INTEGER NOT NULL DEFAULT 0,
	visibility_ms INTEGER NOT NULL,
	created_ms    INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS messages (
	seq               INTEGER PRIMARY KEY AUTOINCREMENT,
	queue             TEXT NOT NULL,
	id                TEXT NOT NULL UNIQUE,
	body              TEXT NOT NULL,
	attrs             TEXT NOT NULL,
	sent_ms           INTEGER NOT NULL,
	visible_ms        INTEGER NOT NULL,
	receipt           TEXT UNIQUE,
	receive_count     INTEGER NOT NULL DEFAULT 0,
	first_received_ms INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS messages_ready ON messages(queue, visible_ms, seq);
CREATE TABLE IF NOT EXISTS settings (
	name  TEXT PRIMARY KEY,
	value INTEGER NOT NULL
);
`

// queueDB is the SQLite database behind the local queues of one data
// folder. Several processes may open the same file: WAL lets readers run
// beside the one writer, every transaction takes the write lock at BEGIN
// (no lock upgrade that could fail), and the busy timeout makes the others
// wait for it.
type queueDB struct {
	db     *sql.DB
	notify notifier
}

func openQueueDB(ctx context.Context, path string) (*queueDB, error) {
	// synchronous(FULL): a send is on disk when it returns, so the ingest
	// server's 202 means the message survives a power loss.
	dsn := "file:" + path + "?_txlock=immediate" +
		"&_pragma=busy_timeout(10000)" +
		"&_pragma=journal_mode(WAL)" +
		"&_pragma=synchronous(FULL)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("opening queue database %s: %w", path, err)
	}
	// One connection per process: transactions in this process queue up
	// in database/sql instead of fighting for SQLite's lock.
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, queueSchema); err != nil {
		_ = db.Close() // the schema error is the one to report
		return nil, fmt.Errorf("creating queue tables in %s: %w", path, err)
	}
	return &queueDB{db: db}, nil
}

func (d *queueDB) Close() error { return d.db.Close() }

// ensureQueue creates a queue unless it exists and reports whether it did.
func (d *queueDB) ensureQueue(ctx context.Context, name, dlq string, maxReceive int,
	visibility time.Duration) (bool, error) {
	res, err := d.db.ExecContext(ctx,
		`INSERT OR IGNORE INTO queues (name, dlq, max_receive, visibility_ms, created_ms)
		 VALUES (?, ?, ?, ?, ?)`,
		name, dlq, maxReceive, visibility.Milliseconds(), time.Now().UnixMilli())
	if err != nil {
		return false, fmt.Errorf("creating queue %s: %w", name, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("creating queue %s: %w", name, err)
	}
	return n == 1, nil
}

// configureQueue sets a queue's redrive policy and default visibility.
func (d *queueDB) configureQueue(ctx context.Context, name, dlq string, maxReceive int,
	visibility time.Duration) error {
	_, err := d.db.ExecContext(ctx,
		`UPDATE queues SET dlq = ?, max_receive = ?, visibility_ms = ? WHERE name = ?`,
		dlq, maxReceive, visibility.Milliseconds(), name)
	if err != nil {
		return fmt.Errorf("configuring queue %s: %w", name, err)
	}
	return nil
}

// queueExists reports whether the queue name exists.
func (d *queueDB) queueExists(ctx context.Context, name string) (bool, error) {
	var n int
	err := d.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM queues WHERE name = ?`, name).
		Scan(&n)
	if err != nil {
		return false, fmt.Errorf("reading queue %s: %w", name, wrapLocal(err))
	}
	return n > 0, nil
}

// maxReceive is a queue's maxReceiveCount, 0 when it has no DLQ.
func (d *queueDB) maxReceive(ctx context.Context, name string) (int, error) {
	var dlq string
	var n int
	err := d.db.QueryRowContext(ctx,
		`SELECT dlq, max_receive FROM queues WHERE name = ?`, name).Scan(&dlq, &n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("queue %s does not exist (run rptctl setup)", name)
	}
	if err != nil {
		return 0, fmt.Errorf("reading queue %s: %w", name, wrapLocal(err))
	}
	if dlq == "" {
		return 0, nil
	}
	return n, nil
}

// payloadExpiry is the setting SweepPayloads runs with locally.
const payloadExpirySetting = "payload_expiry_ms"

func (d *queueDB) setSetting(ctx context.Context, name string, value int64) error {
	_, err := d.db.ExecContext(ctx,
		`INSERT INTO settings (name, value) VALUES (?, ?)
		 ON CONFLICT (name) DO UPDATE SET value = excluded.value`, name, value)
	if err != nil {
		return fmt.Errorf("saving setting %s: %w", name, wrapLocal(err))
	}
	return nil
}

// setting reads a setting, 0 when it was never set.
func (d *queueDB) setting(ctx context.Context, name string) (int64, error) {
	var v int64
	err := d.db.QueryRowContext(ctx, `SELECT value FROM settings WHERE name = ?`, name).
		Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("reading setting %s: %w", name, wrapLocal(err))
	}
	return v, nil
}

// notifier wakes long polls in this process when a message becomes
// visible. Other processes' sends are seen by polling.
type notifier struct {
	mu    sync.Mutex
	chans map[string]chan struct{}
}

// wait returns a channel closed at the next signal for queue.
func (n *notifier) wait(queue string) <-chan struct{} {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.chans == nil {
		n.chans = make(map[string]chan struct{})
	}
	ch, ok := n.chans[queue]
	if !ok {
		ch = make(chan struct{})
		n.chans[queue] = ch
	}
	return ch
}

func (n *notifier) signal(queue string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if ch, ok := n.chans[queue]; ok {
		close(ch)
		delete(n.chans, queue)
	}
}

// localQueue is one queue of a queueDB, with the semantics of an SQS
// standard queue. It is safe for concurrent use, also by other processes
// on the same data folder.
type localQueue struct {
	db   *queueDB
	name string
}

var (
	_ Queue  = (*localQueue)(nil)
	_ Peeker = (*localQueue)(nil)
)

func (q *localQueue) Name() string { return q.name }

// Send queues a message, visible at once.
func (q *localQueue) Send(ctx context.Context, body string,
	attrs map[string]Attribute) (string, error) {
	if body == "" {
		return "", fmt.Errorf("sending to %s: the message body is empty", q.name)
	}
	if n := MessageSize(body, attrs); n > LocalMaxMessageSize {
		return "", fmt.Errorf("sending to %s: message of %d bytes is over the limit of %d",
			q.name, n, LocalMaxMessageSize)
	}
	enc, err := json.Marshal(attrs)
	if err != nil {
		return "", fmt.Errorf("sending to %s: encoding attributes: %w", q.name, err)
	}
	id := newMessageID()
	now := time.Now().UnixMilli()
	res, err := q.db.db.ExecContext(ctx,
		`INSERT INTO messages (queue, id, body, attrs, sent_ms, visible_ms)
		 SELECT ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM queues WHERE name = ?)`,
		q.name, id, body, string(enc), now, now, q.name)
	if err != nil {
		return "", fmt.Errorf("sending to %s: %w", q.name, wrapLocal(err))
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return "", fmt.Errorf("sending to %s: the queue does not exist (run rptctl setup)",
			q.name)
	}
	q.db.notify.signal(q.name)
	return id, nil
}

// Receive takes up to opts.Max visible messages and hides them for
// opts.Visibility (the queue's default when zero). With opts.Wait it
// waits up to that long (at most 20 s) for a first message. A message
// received more than the queue's maxReceiveCount times moves to the DLQ
// instead, as SQS moves it.
func (q *localQueue) Receive(ctx context.Context, opts ReceiveOptions) ([]Message, error) {
	n := min(max(opts.Max, 1), maxReceiveBatch)
	wait := min(opts.Wait, maxWait)
	if opts.Visibility < 0 || opts.Visibility > maxVisibility {
		return nil, fmt.Errorf("receiving from %s: visibility %v is outside 0 to 12h",
			q.name, opts.Visibility)
	}
	deadline := time.Now().Add(wait)
	for {
		woken := q.db.notify.wait(q.name)
		msgs, next, err := q.receiveOnce(ctx, n, opts.Visibility)
		if err != nil || len(msgs) > 0 {
			return msgs, err
		}
		left := time.Until(deadline)
		if left <= 0 {
			return nil, nil
		}
		if err := sleepUntilWoken(ctx, woken, min(left, pollInterval, next)); err != nil {
			return nil, err
		}
	}
}

// sleepUntilWoken waits for woken, d or ctx, whichever comes first.
func sleepUntilWoken(ctx context.Context, woken <-chan struct{}, d time.Duration) error {
	t := time.NewTimer(max(d, time.Millisecond))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-woken:
	case <-t.C:
	}
	return nil
}

// queueConfig is a queue's row of the queues table.
type queueConfig struct {
	dlq        string
	maxReceive int
	visibility time.Duration
}

// receiveOnce is one pass of Receive. next is how long until the next
// hidden message becomes visible (pollInterval when none is hidden).
func (q *localQueue) receiveOnce(ctx context.Context, limit int,
	visibility time.Duration) (msgs []Message, next time.Duration, err error) {
	// An idle queue is seen without taking the write lock, so that idle
	// long polls of many workers do not queue up behind each other.
	now := time.Now()
	next, err = q.nextVisible(ctx, q.db.db, now, false)
	if err != nil || next > 0 {
		return nil, next, err
	}

	tx, err := q.db.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, 0, fmt.Errorf("receiving from %s: %w", q.name, wrapLocal(err))
	}
	defer func() { _ = tx.Rollback() }() // a no-op after Commit

	cfg, err := readQueueConfig(ctx, tx, q.name)
	if err != nil {
		return nil, 0, fmt.Errorf("receiving from %s: %w", q.name, err)
	}
	if visibility == 0 {
		visibility = cfg.visibility
	}
	now = time.Now()
	msgs, moved, err := q.takeVisible(ctx, tx, cfg, limit, visibility, now)
	if err != nil {
		return nil, 0, fmt.Errorf("receiving from %s: %w", q.name, err)
	}
	next, err = q.nextVisible(ctx, tx, now, true)
	if err != nil {
		return nil, 0, fmt.Errorf("receiving from %s: %w", q.name, err)
	}
	if err := tx.Commit(); err != nil {
		return nil, 0, fmt.Errorf("receiving from %s: %w", q.name, wrapLocal(err))
	}
	if moved {
		q.db.notify.signal(cfg.dlq)
	}
	return msgs, next, nil
}

func readQueueConfig(ctx context.Context, tx *sql.Tx, name string) (queueConfig, error) {
	var c queueConfig
	var visMS int64
	err := tx.QueryRowContext(ctx,
		`SELECT dlq, max_receive, visibility_ms FROM queues WHERE name = ?`, name).
		Scan(&c.dlq, &c.maxReceive, &visMS)
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("queue %s does not exist (run rptctl setup)", name)
	}
	if err != nil {
		return c, wrapLocal(err)
	}
	c.visibility = time.Duration(visMS) * time.Millisecond
	return c, nil
}

// storedMessage is a row of the messages table.
type storedMessage struct {
	seq           int64
	id            string
	body          string
	attrs         string
	sentMS        int64
	receiveCount  int
	firstReceived int64
}

// takeVisible receives up to limit visible messages inside tx, moving
// those over the receive limit to the DLQ.
func (q *localQueue) takeVisible(ctx context.Context, tx *sql.Tx, cfg queueConfig, limit int,
	visibility time.Duration, now time.Time) (msgs []Message, moved bool, err error) {
	nowMS := now.UnixMilli()
	for len(msgs) < limit {
		rows, err := selectMessages(ctx, tx,
			`WHERE queue = ? AND visible_ms <= ? ORDER BY seq LIMIT ?`,
			q.name, nowMS, limit-len(msgs))
		if err != nil {
			return nil, false, err
		}
		if len(rows) == 0 {
			break
		}
		for _, r := range rows {
			// SQS moves a message when a receive would exceed
			// maxReceiveCount, keeping its ID and counts.
			if cfg.dlq != "" && cfg.maxReceive > 0 && r.receiveCount >= cfg.maxReceive {
				if err := moveToQueue(ctx, tx, r.seq, cfg.dlq, nowMS); err != nil {
					return nil, false, err
				}
				moved = true
				continue
			}
			m, err := markReceived(ctx, tx, r, nowMS, visibility)
			if err != nil {
				return nil, false, err
			}
			msgs = append(msgs, m)
		}
	}
	return msgs, moved, nil
}

// querier is a *sql.DB or a *sql.Tx.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func selectMessages(ctx context.Context, tx querier, where string,
	args ...any) ([]storedMessage, error) {
	rows, err := tx.QueryContext(ctx,
		`SELECT seq, id, body, attrs, sent_ms, receive_count, first_received_ms
		 FROM messages `+where, args...)
	if err != nil {
		return nil, wrapLocal(err)
	}
	defer rows.Close()
	var out []storedMessage
	for rows.Next() {
		var r storedMessage
		err := rows.Scan(&r.seq, &r.id, &r.body, &r.attrs, &r.sentMS,
			&r.receiveCount, &r.firstReceived)
		if err != nil {
			return nil, wrapLocal(err)
		}
		out = append(out, r)
	}
	return out, wrapLocal(rows.Err())
}

func moveToQueue(ctx context.Context, tx *sql.Tx, seq int64, queue string, nowMS int64) error {
	_, err := tx.ExecContext(ctx,
		`UPDATE messages SET queue = ?, visible_ms = ?, receipt = NULL WHERE seq = ?`,
		queue, nowMS, seq)
	if err != nil {
		return fmt.Errorf("moving a message to %s: %w", queue, wrapLocal(err))
	}
	return nil
}

// markReceived hides one message and gives it a fresh receipt handle,
// which makes every earlier handle of it stale.
func markReceived(ctx context.Context, tx *sql.Tx, r storedMessage, nowMS int64,
	visibility time.Duration) (Message, error) {
	receipt := newReceipt()
	if r.firstReceived == 0 {
		r.firstReceived = nowMS
	}
	r.receiveCount++
	_, err := tx.ExecContext(ctx,
		`UPDATE messages SET receipt = ?, visible_ms = ?, receive_count = ?,
		 first_received_ms = ? WHERE seq = ?`,
		receipt, nowMS+visibility.Milliseconds(), r.receiveCount, r.firstReceived, r.seq)
	if err != nil {
		return Message{}, wrapLocal(err)
	}
	m, err := r.message()
	m.ReceiptHandle = receipt
	return m, err
}

func (r storedMessage) message() (Message, error) {
	m := Message{
		ID:           r.id,
		Body:         r.body,
		ReceiveCount: r.receiveCount,
		SentAt:       time.UnixMilli(r.sentMS).UTC(),
	}
	if r.firstReceived != 0 {
		m.FirstReceived = time.UnixMilli(r.firstReceived).UTC()
	}
	if err := json.Unmarshal([]byte(r.attrs), &m.Attributes); err != nil {
		return m, fmt.Errorf("decoding attributes of message %s: %w", r.id, err)
	}
	return m, nil
}

// nextVisible is how long until the queue's next message becomes
// visible: 0 when one is visible now, pollInterval when there is none.
// With hiddenOnly it looks at hidden messages alone.
func (q *localQueue) nextVisible(ctx context.Context, db queryRower, now time.Time,
	hiddenOnly bool) (time.Duration, error) {
	query := `SELECT MIN(visible_ms) FROM messages WHERE queue = ?`
	args := []any{q.name}
	if hiddenOnly {
		query += ` AND visible_ms > ?`
		args = append(args, now.UnixMilli())
	}
	var next sql.NullInt64
	if err := db.QueryRowContext(ctx, query, args...).Scan(&next); err != nil {
		return 0, wrapLocal(err)
	}
	if !next.Valid {
		return pollInterval, nil
	}
	return max(time.UnixMilli(next.Int64).Sub(now), 0), nil
}

// queryRower is a *sql.DB or a *sql.Tx.
type queryRower interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Delete removes the message a receipt handle names. A handle is stale
// once the message has been received again: ErrReceiptInvalid.
func (q *localQueue) Delete(ctx context.Context, receipt string) error {
	res, err := q.db.db.ExecContext(ctx,
		`DELETE FROM messages WHERE queue = ? AND receipt = ?`, q.name, receipt)
	if err != nil {
		return fmt.Errorf("deleting from %s: %w", q.name, wrapLocal(err))
	}
	return receiptResult(res, "deleting from "+q.name)
}

// ChangeVisibility hides the message for timeout from now (0: visible at
// once). A stale handle gives ErrReceiptInvalid.
func (q *localQueue) ChangeVisibility(ctx context.Context, receipt string,
	timeout time.Duration) error {
	if timeout < 0 || timeout > maxVisibility {
		return fmt.Errorf("changing visibility in %s: %v is outside 0 to 12h", q.name, timeout)
	}
	res, err := q.db.db.ExecContext(ctx,
		`UPDATE messages SET visible_ms = ? WHERE queue = ? AND receipt = ?`,
		time.Now().Add(timeout).UnixMilli(), q.name, receipt)
	if err != nil {
		return fmt.Errorf("changing visibility in %s: %w", q.name, wrapLocal(err))
	}
	if err := receiptResult(res, "changing visibility in "+q.name); err != nil {
		return err
	}
	if timeout == 0 {
		q.db.notify.signal(q.name)
	}
	return nil
}

func receiptResult(res sql.Result, op string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if n == 0 {
		return fmt.Errorf("%s: %w", op, ErrReceiptInvalid)
	}
	return nil
}

// Stats counts the queue's messages: visible, in flight (received and
// hidden) and delayed (hidden, never received).
func (q *localQueue) Stats(ctx context.Context) (QueueStats, error) {
	s := QueueStats{Name: q.name}
	err := q.db.db.QueryRowContext(ctx,
		`SELECT
		   COALESCE(SUM(visible_ms <= ?1), 0),
		   COALESCE(SUM(visible_ms > ?1 AND receipt IS NOT NULL), 0),
		   COALESCE(SUM(visible_ms > ?1 AND receipt IS NULL), 0)
		 FROM messages WHERE queue = ?2`,
		time.Now().UnixMilli(), q.name).Scan(&s.Visible, &s.InFlight, &s.Delayed)
	if err != nil {
		return s, fmt.Errorf("counting messages of %s: %w", q.name, wrapLocal(err))
	}
	return s, nil
}

// Purge deletes every message of the queue, in flight or not.
func (q *localQueue) Purge(ctx context.Context) error {
	_, err := q.db.db.ExecContext(ctx, `DELETE FROM messages WHERE queue = ?`, q.name)
	if err != nil {
		return fmt.Errorf("purging %s: %w", q.name, wrapLocal(err))
	}
	return nil
}

// Peek reads up to limit messages in queue order without receiving them:
// their visibility, receipt handles and receive counts stay as they are.
// The messages carry no receipt handle.
func (q *localQueue) Peek(ctx context.Context, limit int) ([]Message, error) {
	rows, err := selectMessages(ctx, q.db.db, `WHERE queue = ? ORDER BY seq LIMIT ?`,
		q.name, limit)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", q.name, err)
	}
	out := make([]Message, 0, len(rows))
	for _, r := range rows {
		m, err := r.message()
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", q.name, err)
		}
		out = append(out, m)
	}
	return out, nil
}

// wrapLocal marks SQLite's lock timeouts as ErrUnavailable: another
// process held the database longer than the busy timeout.
func wrapLocal(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if containsAny(msg, "database is locked", "SQLITE_BUSY", "unable to open database") {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return err
}

func newMessageID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func newReceipt() string { return rand.Text() + rand.Text() }

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/rptctl/rptctl/awsio"
	"github.com/rptctl/rptctl/engine"
)

// redriveHold is how long redrive keeps a batch of DLQ messages hidden
// while it copies them to the queue, and so how soon a killed redrive's
// messages show again. A move that outlasts it is still safe: the
// message shows again in the DLQ, its delete fails or does nothing, and
// it is at worst sent twice. Messages redrive skips are made visible
// again when it ends.
const redriveHold = 30 * time.Second

// peekAll bounds what a dry run reads of the DLQ.
const peekAll = 100_000

// dlqDeps is what the dlq commands work on and write to.
type dlqDeps struct {
	Queue, DLQ awsio.Queue
	Store      awsio.Store
	Out, Err   io.Writer
	ErrIsTTY   bool
	// Wait is how long a receive of the DLQ waits: 0 locally, where a
	// receive sees every message; a second on AWS, where only a long
	// poll asks every SQS server.
	Wait time.Duration
}

func dlqCommand() *cli.Command {
	return &cli.Command{
		Name:  "dlq",
		Usage: "list, redrive and purge the dead-letter queue",
		Subcommands: []*cli.Command{
			dlqListCommand(),
			dlqRedriveCommand(),
			dlqPurgeCommand(),
		},
	}
}

// withDLQ opens the backend and runs run with its dlqDeps.
func withDLQ(ctx context.Context, e *env, run func(dlqDeps) error) error {
	b, err := awsio.Open(ctx, e.global.backendConfig())
	if err != nil {
		return fmt.Errorf("opening the %s backend: %w", e.global.Backend, err)
	}
	defer closeBackend(b, e)
	deps := dlqDeps{Queue: b.Queue, DLQ: b.DLQ, Store: b.Store, Out: e.Out, Err: e.Err,
		ErrIsTTY: e.ErrIsTTY}
	if e.global.Backend == "aws" {
		deps.Wait = time.Second
	}
	return run(deps)
}

// dlqAttr reads a string attribute of a message.
func dlqAttr(m awsio.Message, name string) string { return m.Attributes[name].Value }

// --- dlq list

// dlqListOptions are the flags of `rptctl dlq list`.
type dlqListOptions struct {
	Limit  int
	Format string
}

// dlqEntry is one DLQ message as `dlq list` shows it.
type dlqEntry struct {
	TraceID       string     `json:"traceId"`
	CompanyID     string     `json:"companyId"`
	CustomerID    string     `json:"customerId"`
	MessageID     string     `json:"messageId"`
	ReceiveCount  int        `json:"receiveCount"`
	FirstReceived *time.Time `json:"firstReceived"`
	SentAt        *time.Time `json:"sentAt"`
	Size          int        `json:"size"`
	Delivery      string     `json:"delivery"`
	Error         string     `json:"error"`
	Permanent     bool       `json:"permanent"`
	FailedAt      *time.Time `json:"failedAt"`
}

func dlqListCommand() *cli.Command {
	return &cli.Command{
		Name:  "list",
		Usage: "the messages in the DLQ, with the last error recorded for each",
		Description: "receives is how often the work queue handed the message out, and\n" +
			"firstReceived the first time; failedAt is when the parser last recorded\n" +
			"a failure for it. A message the parser moved to the DLQ itself (bytes\n" +
			"that can never parse) is a new message there: its counts come from the\n" +
			"copy's attributes or the failure record, and firstReceived is empty\n" +
			"when neither has it.\n" +
			"Listing leaves the messages in the DLQ and does not count as tries.\n" +
			"Locally the DLQ is read in place. On aws, where SQS can only read a\n" +
			"message by receiving it, each message is received (hidden for a moment)\n" +
			"and made visible again at once; this adds one to its receive count in\n" +
			"the DLQ (the count shown leaves this listing's receive out), never to\n" +
			"the work queue's. size is the queued body in bytes (base64; for an\n" +
			"offloaded message, the object the pointer names).",
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "limit", Value: 100, Usage: "list at most N messages"},
			&cli.StringFlag{Name: "format", Value: "table", Usage: "table or json"},
		},
		Action: action(func(ctx context.Context, c *cli.Context, e *env) error {
			opts := dlqListOptions{Limit: c.Int("limit"), Format: c.String("format")}
			if err := opts.check(); err != nil {
				return err
			}
			return withDLQ(ctx, e, func(d dlqDeps) error { return runDLQList(ctx, opts, d) })
		}),
	}
}

func (o dlqListOptions) check() error {
	if o.Limit < 1 {
		return usagef("--limit %d: use a positive number", o.Limit)
	}
	if o.Format != "table" && o.Format != "json" {
		return usagef("--format %q: use table or json", o.Format)
	}
	return nil
}

// runDLQList prints the DLQ's messages without disturbing them.
func runDLQList(ctx context.Context, opts dlqListOptions, deps dlqDeps) error {
	if err := opts.check(); err != nil {
		return err
	}
	out, err := newOutput(deps.Out, opts.Format, "table", "json")
	if err != nil {
		return err
	}
	p, ok := deps.DLQ.(awsio.Peeker)
	if !ok {
		return errors.New("this backend cannot list a queue")
	}
	msgs, err := p.Peek(ctx, opts.Limit)
	if err != nil {
		return fmt.Errorf("listing the DLQ: %w", err)
	}
	entries := make([]dlqEntry, 0, len(msgs))
	for _, m := range msgs {
		e, err := dlqEntryOf(ctx, deps.Store, m)
		if err != nil {
			return err
		}
		entries = append(entries, e)
	}
	if opts.Format == "json" {
		return out.JSON(entries)
	}
	if err := out.Rows(dlqTable(entries)); err != nil {
		return err
	}
	fmt.Fprintf(deps.Err, "%d message(s) listed from %s\n", len(entries), deps.DLQ.Name())
	return nil
}

// dlqEntryOf describes m, with the error recorded for its traceId.
func dlqEntryOf(ctx context.Context, st awsio.Store, m awsio.Message) (dlqEntry, error) {
	e := dlqEntry{
		TraceID:       dlqAttr(m, "traceId"),
		CompanyID:     dlqAttr(m, "companyId"),
		CustomerID:    dlqAttr(m, "customerId"),
		MessageID:     m.ID,
		ReceiveCount:  m.ReceiveCount,
		FirstReceived: timeOrNil(m.FirstReceived),
		SentAt:        timeOrNil(m.SentAt),
		Size:          len(m.Body),
		Delivery:      "inline",
	}
	if awsio.Offloaded(m) {
		e.Delivery = "offloaded"
		for _, name := range []string{awsio.SizeAttribute, awsio.LegacySizeAttribute} {
			if n, err := strconv.Atoi(dlqAttr(m, name)); err == nil {
				e.Size = n
				break
			}
		}
	}
	// A copy the parser sent to the DLQ was never received there: the
	// work queue's counts ride along as attributes (when the parser set
	// them), else the failure record has the count.
	if e.ReceiveCount == 0 {
		n, first := awsio.DeadLetterCounts(m)
		e.ReceiveCount, e.FirstReceived = n, timeOrNil(first)
	}
	if e.TraceID == "" {
		return e, nil // not one of ours: no failure record to look up
	}
	f, err := engine.GetFailure(ctx, st, e.TraceID)
	switch {
	case errors.Is(err, awsio.ErrNotFound):
		return e, nil
	case err != nil:
		// A broken record must not hide the listing.
		e.Error = "(failure record unreadable: " + err.Error() + ")"
		return e, nil
	case f.CompanyID != "" && (f.CompanyID != e.CompanyID || f.CustomerID != e.CustomerID):
		// failures/ is keyed by trace id alone (CONTRACT section 4): a
		// record of another company's message with the same trace id is
		// not this message's error.
		return e, nil
	}
	e.Error, e.Permanent, e.FailedAt = f.Error, f.Permanent, timeOrNil(f.FailedAt)
	if e.ReceiveCount == 0 {
		e.ReceiveCount = f.ReceiveCount
	}
	return e, nil
}

func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func dlqTable(entries []dlqEntry) ([]string, [][]string) {
	header := []string{"traceId", "companyId", "customerId", "receives", "firstReceived",
		"failedAt", "size", "delivery", "error"}
	rows := make([][]string, 0, len(entries))
	for _, e := range entries {
		rows = append(rows, []string{e.TraceID, e.CompanyID, e.CustomerID,
			strconv.Itoa(e.ReceiveCount), cellTime(e.FirstReceived), cellTime(e.FailedAt),
			strconv.Itoa(e.Size), e.Delivery, oneLine(e.Error, 60)})
	}
	return header, rows
}

// cellTime is a table cell of a time to the second, empty when unknown.
func cellTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.Format(time.RFC3339)
}

// oneLine keeps a table cell on one line and at most n runes; the JSON
// output has the whole text.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// --- dlq redrive

// dlqRedriveOptions are the flags of `rptctl dlq redrive`.
type dlqRedriveOptions struct {
	TraceIDs []string
	Limit    int // 0: all
	DryRun   bool
	Format   string
}

// redriven is one message redrive moved (or, dry, would move).
type redriven struct {
	TraceID      string `json:"traceId"`
	CompanyID    string `json:"companyId"`
	CustomerID   string `json:"customerId"`
	MessageID    string `json:"messageId"`
	NewMessageID string `json:"newMessageId,omitempty"`
}

// redriveReport is what `dlq redrive --format json` prints.
type redriveReport struct {
	DryRun   bool       `json:"dryRun"`
	Redriven int        `json:"redriven"`
	Messages []redriven `json:"messages"`
	Missing  []string   `json:"missing"` // --trace-id values not found in the DLQ
}

func dlqRedriveCommand() *cli.Command {
	return &cli.Command{
		Name:  "redrive",
		Usage: "move DLQ messages back to the queue",
		Description: "Each message is received from the DLQ, sent to the queue, and only\n" +
			"then deleted from the DLQ, so an interrupted redrive loses nothing: at\n" +
			"worst a message is in both and is processed twice, which stores one\n" +
			"result. Messages not picked by --trace-id are made visible again at the\n" +
			"end (or 30 seconds after the process is killed). --dry-run lists what\n" +
			"would move without receiving anything locally.",
		Flags: []cli.Flag{
			&cli.StringSliceFlag{Name: "trace-id", Usage: "only this message (repeatable)"},
			&cli.IntFlag{Name: "limit", Usage: "move at most N messages (0: all)"},
			&cli.BoolFlag{Name: "dry-run", Usage: "show what would move, move nothing"},
			&cli.StringFlag{Name: "format", Value: "table", Usage: "table or json"},
		},
		Action: action(func(ctx context.Context, c *cli.Context, e *env) error {
			opts := dlqRedriveOptions{
				TraceIDs: c.StringSlice("trace-id"),
				Limit:    c.Int("limit"),
				DryRun:   c.Bool("dry-run"),
				Format:   c.String("format"),
			}
			if err := opts.check(); err != nil {
				return err
			}
			return withDLQ(ctx, e, func(d dlqDeps) error {
				return runDLQRedrive(ctx, opts, d)
			})
		}),
	}
}

func (o dlqRedriveOptions) check() error {
	if o.Limit < 0 {
		return usagef("--limit %d: use 0 (all) or a positive number", o.Limit)
	}
	if o.Format != "table" && o.Format != "json" {
		return usagef("--format %q: use table or json", o.Format)
	}
	for _, id := range o.TraceIDs {
		if id == "" {
			return usagef("--trace-id is empty")
		}
	}
	return nil
}

// redriver is the state of one redrive.
type redriver struct {
	opts   dlqRedriveOptions
	deps   dlqDeps
	want   map[string]bool // picked traceIds; nil: all
	report redriveReport
	held   []awsio.Message // received but not moved: released at the end
	// moved holds the trace ids (message ids where none) moved so far. A
	// message that fails again while the redrive runs comes back to the
	// DLQ as a new message; it is not moved a second time, or a redrive
	// beside a running parser would never end.
	moved map[string]bool
	// budget is the DLQ's depth when the redrive began: no more are moved
	// than were there (0: unknown).
	budget int
}

// runDLQRedrive moves DLQ messages to the queue and prints them.
func runDLQRedrive(ctx context.Context, opts dlqRedriveOptions, deps dlqDeps) error {
	if err := opts.check(); err != nil {
		return err
	}
	out, err := newOutput(deps.Out, opts.Format, "table", "json")
	if err != nil {
		return err
	}
	r := &redriver{opts: opts, deps: deps, report: redriveReport{DryRun: opts.DryRun}}
	if len(opts.TraceIDs) > 0 {
		r.want = make(map[string]bool)
		for _, id := range opts.TraceIDs {
			r.want[id] = true
		}
	}

	if opts.DryRun {
		err = r.dryRun(ctx)
	} else {
		err = r.run(ctx)
	}
	r.progressDone()
	if err != nil {
		return err
	}
	r.report.Missing = r.missing()
	if err := r.print(out); err != nil {
		return err
	}
	if len(r.report.Missing) > 0 {
		return fmt.Errorf("not in the DLQ: trace ids %s", strings.Join(r.report.Missing, ", "))
	}
	return nil
}

// picks reports whether m is one to move, counting it if so.
func (r *redriver) picks(m awsio.Message) bool {
	if r.opts.Limit > 0 && r.report.Redriven >= r.opts.Limit {
		return false
	}
	if r.moved[redriveKey(m)] {
		return false
	}
	if r.want != nil && !r.want[dlqAttr(m, "traceId")] {
		return false
	}
	return true
}

func (r *redriver) done() bool {
	if r.opts.Limit > 0 && r.report.Redriven >= r.opts.Limit {
		return true
	}
	if r.budget > 0 && r.report.Redriven >= r.budget {
		return true
	}
	return r.want != nil && len(r.missing()) == 0
}

// redriveKey names a DLQ message across its moves: its trace id, or its
// message id when it has none.
func redriveKey(m awsio.Message) string {
	if t := dlqAttr(m, "traceId"); t != "" {
		return t
	}
	return m.ID
}

func (r *redriver) record(m awsio.Message, newID string) {
	if r.moved == nil {
		r.moved = make(map[string]bool)
	}
	r.moved[redriveKey(m)] = true
	r.report.Redriven++
	r.report.Messages = append(r.report.Messages, redriven{
		TraceID: dlqAttr(m, "traceId"), CompanyID: dlqAttr(m, "companyId"),
		CustomerID: dlqAttr(m, "customerId"), MessageID: m.ID, NewMessageID: newID,
	})
	r.progress()
}

// dryRun lists the messages that would move, reading without receiving
// where the backend can.
func (r *redriver) dryRun(ctx context.Context) error {
	p, ok := r.deps.DLQ.(awsio.Peeker)
	if !ok {
		return errors.New("this backend cannot list a queue")
	}
	msgs, err := p.Peek(ctx, peekAll)
	if err != nil {
		return fmt.Errorf("listing the DLQ: %w", err)
	}
	for _, m := range msgs {
		if r.picks(m) {
			r.record(m, "")
		}
	}
	return nil
}

// run receives, sends and deletes until the DLQ has nothing more to pick.
func (r *redriver) run(ctx context.Context) (err error) {
	defer func() {
		if rerr := r.release(ctx); rerr != nil && err == nil {
			err = rerr
		}
	}()
	if st, err := r.deps.DLQ.Stats(ctx); err == nil {
		r.budget = int(st.Visible)
	}
	for !r.done() {
		msgs, err := r.deps.DLQ.Receive(ctx, awsio.ReceiveOptions{
			Max: 10, Visibility: redriveHold, Wait: r.deps.Wait,
		})
		if err != nil {
			return fmt.Errorf("receiving from the DLQ: %w", err)
		}
		if len(msgs) == 0 {
			return nil
		}
		for i, m := range msgs {
			if !r.picks(m) {
				r.held = append(r.held, m)
				continue
			}
			if err := r.move(ctx, m); err != nil {
				r.held = append(r.held, msgs[i+1:]...) // the rest of the batch
				return err
			}
		}
	}
	return nil
}

// move sends m to the queue and only then deletes it from the DLQ.
func (r *redriver) move(ctx context.Context, m awsio.Message) error {
	id, err := r.deps.Queue.Send(ctx, m.Body, awsio.WithoutDeadLetter(m.Attributes))
	if err != nil {
		r.held = append(r.held, m)
		return fmt.Errorf("sending %s back to the queue (it stays in the DLQ): %w",
			describe(m), err)
	}
	if err := r.deps.DLQ.Delete(ctx, m.ReceiptHandle); err != nil {
		r.held = append(r.held, m) // show it again rather than hide it for minutes
		return fmt.Errorf("deleting %s from the DLQ after sending it to the queue "+
			"(it is now in both and will be processed twice): %w", describe(m), err)
	}
	r.record(m, id)
	return nil
}

func describe(m awsio.Message) string {
	if t := dlqAttr(m, "traceId"); t != "" {
		return "trace id " + t
	}
	return "message " + m.ID
}

// release makes the messages received but not moved visible again, even
// when ctx is done.
func (r *redriver) release(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	var errs []error
	for _, m := range r.held {
		err := r.deps.DLQ.ChangeVisibility(ctx, m.ReceiptHandle, 0)
		if err != nil && !errors.Is(err, awsio.ErrReceiptInvalid) {
			errs = append(errs, err)
		}
	}
	r.held = nil
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("releasing skipped DLQ messages (they show again within %v): %w",
			redriveHold, err)
	}
	return nil
}

// missing lists the picked trace ids not moved (yet).
func (r *redriver) missing() []string {
	var out []string
	for id := range r.want {
		if !slices.ContainsFunc(r.report.Messages, func(m redriven) bool {
			return m.TraceID == id
		}) {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// progress shows the count on stderr: redrawn in place on a terminal,
// a line per hundred otherwise.
func (r *redriver) progress() {
	n := r.report.Redriven
	switch {
	case r.deps.ErrIsTTY:
		fmt.Fprintf(r.deps.Err, "\rredriving: %d moved", n)
	case n%100 == 0:
		fmt.Fprintf(r.deps.Err, "redriving: %d moved\n", n)
	}
}

func (r *redriver) progressDone() {
	if r.deps.ErrIsTTY && r.report.Redriven > 0 {
		fmt.Fprintln(r.deps.Err)
	}
}

func (r *redriver) print(out output) error {
	if r.report.Messages == nil {
		r.report.Messages = []redriven{}
	}
	if r.report.Missing == nil {
		r.report.Missing = []string{}
	}
	if out.format == "json" {
		return out.JSON(r.report)
	}
	state := "redriven"
	if r.opts.DryRun {
		state = "would redrive"
	}
	rows := make([][]string, 0, len(r.report.Messages))
	for _, m := range r.report.Messages {
		rows = append(rows, []string{m.TraceID, m.CompanyID, m.CustomerID, m.MessageID, state})
	}
	if err := out.Rows([]string{"traceId", "companyId", "customerId", "messageId", "state"},
		rows); err != nil {
		return err
	}
	fmt.Fprintf(r.deps.Err, "%s %d message(s)\n", state, r.report.Redriven)
	return nil
}

// --- dlq purge

// dlqPurgeOptions are the flags of `rptctl dlq purge`.
type dlqPurgeOptions struct {
	Yes bool
}

func dlqPurgeCommand() *cli.Command {
	return &cli.Command{
		Name:  "purge",
		Usage: "delete every message of the DLQ (needs --yes)",
		Description: "The offloaded payloads of purged messages stay in the bucket until\n" +
			"they expire. On aws, SQS allows one purge a minute and may take up to\n" +
			"a minute to finish one.",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "yes", Usage: "really delete the DLQ's messages"},
		},
		Action: action(func(ctx context.Context, c *cli.Context, e *env) error {
			opts := dlqPurgeOptions{Yes: c.Bool("yes")}
			if err := opts.check(); err != nil {
				return err
			}
			return withDLQ(ctx, e, func(d dlqDeps) error { return runDLQPurge(ctx, opts, d) })
		}),
	}
}

func (o dlqPurgeOptions) check() error {
	if !o.Yes {
		return usagef("dlq purge deletes every message of the DLQ: add --yes to confirm")
	}
	return nil
}

// runDLQPurge empties the DLQ and says how many messages it held.
func runDLQPurge(ctx context.Context, opts dlqPurgeOptions, deps dlqDeps) error {
	if err := opts.check(); err != nil {
		return err
	}
	s, err := deps.DLQ.Stats(ctx)
	if err != nil {
		return err
	}
	if err := deps.DLQ.Purge(ctx); err != nil {
		return err
	}
	fmt.Fprintf(deps.Out, "purged %s: %d message(s)\n", deps.DLQ.Name(),
		s.Visible+s.InFlight+s.Delayed)
	return nil
}

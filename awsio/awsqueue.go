package awsio

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// peekVisibility hides the messages Peek receives while it gathers them,
// so it sees each once; it gives them back at once when done.
const peekVisibility = 60 * time.Second

// awsQueue is an SQS queue. It is safe for concurrent use.
type awsQueue struct {
	client *sqs.Client
	name   string
	url    string
}

var (
	_ Queue        = (*awsQueue)(nil)
	_ Peeker       = (*awsQueue)(nil)
	_ BatchDeleter = (*awsQueue)(nil)
)

func (q *awsQueue) Name() string { return q.name }

// URL is the queue's URL.
func (q *awsQueue) URL() string { return q.url }

// queueLimits reads the queue's MaximumMessageSize and the
// maxReceiveCount of its redrive policy (0 when it has none).
func (q *awsQueue) queueLimits(ctx context.Context) (size, maxReceive int, err error) {
	a, err := q.attributes(ctx, types.QueueAttributeNameMaximumMessageSize,
		types.QueueAttributeNameRedrivePolicy)
	if err != nil {
		return 0, 0, err
	}
	size = int(atoi64(a[string(types.QueueAttributeNameMaximumMessageSize)]))
	if size <= 0 {
		size = DefaultInlineLimit // SQS's historical limit, when the endpoint says nothing
	}
	maxReceive, err = redriveMaxReceive(a[string(types.QueueAttributeNameRedrivePolicy)])
	if err != nil {
		return 0, 0, fmt.Errorf("reading the redrive policy of %s: %w", q.name, err)
	}
	return size, maxReceive, nil
}

// redriveMaxReceive takes maxReceiveCount from a RedrivePolicy, which SQS
// returns as JSON with the count as a string or a number; 0 when there is
// no policy.
func redriveMaxReceive(policy string) (int, error) {
	if policy == "" {
		return 0, nil
	}
	var p struct {
		MaxReceiveCount json.RawMessage `json:"maxReceiveCount"`
	}
	if err := json.Unmarshal([]byte(policy), &p); err != nil {
		return 0, err
	}
	raw := strings.Trim(string(p.MaxReceiveCount), `"`)
	if raw == "" || raw == "null" {
		return 0, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil {
		return 0, fmt.Errorf("maxReceiveCount %s: %w", p.MaxReceiveCount, err)
	}
	return max(n, 0), nil
}

func (q *awsQueue) attributes(ctx context.Context,
	names ...types.QueueAttributeName) (map[string]string, error) {
	out, err := q.client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl:       aws.String(q.url),
		AttributeNames: names,
	})
	if err != nil {
		return nil, fmt.Errorf("reading attributes of %s: %w", q.name, wrapAWS(err))
	}
	return out.Attributes, nil
}

// Send sends a message with String and Number attributes.
func (q *awsQueue) Send(ctx context.Context, body string,
	attrs map[string]Attribute) (string, error) {
	out, err := q.client.SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl:          aws.String(q.url),
		MessageBody:       aws.String(body),
		MessageAttributes: toSQSAttributes(attrs),
	})
	if err != nil {
		return "", fmt.Errorf("sending to %s: %w", q.name, wrapAWS(err))
	}
	return aws.ToString(out.MessageId), nil
}

func toSQSAttributes(attrs map[string]Attribute) map[string]types.MessageAttributeValue {
	if len(attrs) == 0 {
		return nil
	}
	out := make(map[string]types.MessageAttributeValue, len(attrs))
	for k, a := range attrs {
		v := types.MessageAttributeValue{DataType: aws.String(a.DataType)}
		if strings.HasPrefix(a.DataType, "Binary") {
			// Binary values travel as base64 in Attribute.Value.
			b, err := base64.StdEncoding.DecodeString(a.Value)
			if err == nil {
				v.BinaryValue = b
			}
		} else {
			v.StringValue = aws.String(a.Value)
		}
		out[k] = v
	}
	return out
}

// seconds rounds d up to whole seconds, as SQS takes them.
func seconds(d time.Duration) int32 {
	return int32(math.Ceil(d.Seconds()))
}

// Receive long-polls for up to opts.Max messages (at most 10), asking for
// every message attribute (the pointer's size attribute comes only when
// asked for) and the system attributes Message carries.
func (q *awsQueue) Receive(ctx context.Context, opts ReceiveOptions) ([]Message, error) {
	in := &sqs.ReceiveMessageInput{
		QueueUrl:              aws.String(q.url),
		MaxNumberOfMessages:   int32(min(max(opts.Max, 1), maxReceiveBatch)),
		WaitTimeSeconds:       seconds(min(opts.Wait, maxWait)),
		MessageAttributeNames: []string{"All"},
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{
			types.MessageSystemAttributeNameApproximateReceiveCount,
			types.MessageSystemAttributeNameApproximateFirstReceiveTimestamp,
			types.MessageSystemAttributeNameSentTimestamp,
		},
	}
	if opts.Visibility > 0 {
		in.VisibilityTimeout = seconds(opts.Visibility)
	}
	out, err := q.client.ReceiveMessage(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("receiving from %s: %w", q.name, wrapAWS(err))
	}
	msgs := make([]Message, 0, len(out.Messages))
	for _, m := range out.Messages {
		msgs = append(msgs, fromSQSMessage(m))
	}
	return msgs, nil
}

func fromSQSMessage(m types.Message) Message {
	out := Message{
		ID:            aws.ToString(m.MessageId),
		ReceiptHandle: aws.ToString(m.ReceiptHandle),
		Body:          aws.ToString(m.Body),
		Attributes:    make(map[string]Attribute, len(m.MessageAttributes)),
	}
	for k, v := range m.MessageAttributes {
		a := Attribute{DataType: aws.ToString(v.DataType), Value: aws.ToString(v.StringValue)}
		if v.BinaryValue != nil {
			a.Value = base64.StdEncoding.EncodeToString(v.BinaryValue)
		}
		out.Attributes[k] = a
	}
	sys := m.Attributes
	out.ReceiveCount = int(atoi64(sys[string(
		types.MessageSystemAttributeNameApproximateReceiveCount)]))
	out.FirstReceived = millis(sys[string(
		types.MessageSystemAttributeNameApproximateFirstReceiveTimestamp)])
	out.SentAt = millis(sys[string(types.MessageSystemAttributeNameSentTimestamp)])
	return out
}

// millis reads an epoch-milliseconds attribute; zero when missing.
func millis(s string) time.Time {
	n := atoi64(s)
	if n == 0 {
		return time.Time{}
	}
	return time.UnixMilli(n).UTC()
}

// Delete deletes the message a receipt handle names.
func (q *awsQueue) Delete(ctx context.Context, receipt string) error {
	_, err := q.client.DeleteMessage(ctx, &sqs.DeleteMessageInput{
		QueueUrl:      aws.String(q.url),
		ReceiptHandle: aws.String(receipt),
	})
	if err != nil {
		return fmt.Errorf("deleting from %s: %w", q.name, receiptError(err))
	}
	return nil
}

// receiptError marks SQS's answers to stale or unknown receipt handles.
func receiptError(err error) error {
	var invalid *types.ReceiptHandleIsInvalid
	var notInflight *types.MessageNotInflight
	code := apiCode(err)
	if errors.As(err, &invalid) || errors.As(err, &notInflight) ||
		strings.Contains(code, "ReceiptHandleIsInvalid") ||
		strings.Contains(code, "MessageNotInflight") ||
		strings.Contains(code, "InvalidReceiptHandle") {
		return fmt.Errorf("%w: %w", ErrReceiptInvalid, err)
	}
	return wrapAWS(err)
}

// DeleteBatch deletes messages ten at a time with DeleteMessageBatch.
// errs holds, per receipt, nil or why that entry failed (wrapping
// ErrReceiptInvalid for stale handles); err is a failure of the calls.
func (q *awsQueue) DeleteBatch(ctx context.Context, receipts []string) ([]error, error) {
	errs := make([]error, len(receipts))
	for start := 0; start < len(receipts); start += maxReceiveBatch {
		end := min(start+maxReceiveBatch, len(receipts))
		entries := make([]types.DeleteMessageBatchRequestEntry, 0, end-start)
		for i := start; i < end; i++ {
			entries = append(entries, types.DeleteMessageBatchRequestEntry{
				Id:            aws.String(strconv.Itoa(i)),
				ReceiptHandle: aws.String(receipts[i]),
			})
		}
		out, err := q.client.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{
			QueueUrl: aws.String(q.url),
			Entries:  entries,
		})
		if err != nil {
			return errs, fmt.Errorf("deleting from %s: %w", q.name, wrapAWS(err))
		}
		for _, f := range out.Failed {
			i, err := strconv.Atoi(aws.ToString(f.Id))
			if err != nil || i < start || i >= end {
				continue // not an entry of ours
			}
			errs[i] = batchEntryError(q.name, f)
		}
	}
	return errs, nil
}

func batchEntryError(queue string, f types.BatchResultErrorEntry) error {
	code := aws.ToString(f.Code)
	err := fmt.Errorf("deleting from %s: %s: %s", queue, code, aws.ToString(f.Message))
	if strings.Contains(code, "ReceiptHandleIsInvalid") ||
		strings.Contains(code, "InvalidReceiptHandle") {
		return fmt.Errorf("%w: %w", ErrReceiptInvalid, err)
	}
	return err
}

// ChangeVisibility hides the message for timeout from now (whole seconds,
// 0: visible at once).
func (q *awsQueue) ChangeVisibility(ctx context.Context, receipt string,
	timeout time.Duration) error {
	_, err := q.client.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{
		QueueUrl:          aws.String(q.url),
		ReceiptHandle:     aws.String(receipt),
		VisibilityTimeout: seconds(timeout),
	})
	if err != nil {
		return fmt.Errorf("changing visibility in %s: %w", q.name, receiptError(err))
	}
	return nil
}

// Stats reads ApproximateNumberOfMessages, ...NotVisible and ...Delayed.
func (q *awsQueue) Stats(ctx context.Context) (QueueStats, error) {
	a, err := q.attributes(ctx,
		types.QueueAttributeNameApproximateNumberOfMessages,
		types.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
		types.QueueAttributeNameApproximateNumberOfMessagesDelayed)
	if err != nil {
		return QueueStats{}, err
	}
	return QueueStats{
		Name:     q.name,
		Visible:  atoi64(a[string(types.QueueAttributeNameApproximateNumberOfMessages)]),
		InFlight: atoi64(a[string(types.QueueAttributeNameApproximateNumberOfMessagesNotVisible)]),
		Delayed:  atoi64(a[string(types.QueueAttributeNameApproximateNumberOfMessagesDelayed)]),
	}, nil
}

// Purge deletes every message. SQS allows one purge a minute per queue
// and may take up to a minute to finish it.
func (q *awsQueue) Purge(ctx context.Context) error {
	_, err := q.client.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: aws.String(q.url)})
	if err != nil {
		return fmt.Errorf("purging %s: %w", q.name, wrapAWS(err))
	}
	return nil
}

// Peek lists up to limit messages. SQS cannot read a message without
// receiving it, so Peek receives them hidden for a minute (so that it
// sees each once), then makes them visible again at once. Each listing
// thus adds one to a message's ApproximateReceiveCount in this queue;
// the counts Peek returns leave its own receive out. Meant for the DLQ,
// which has no redrive policy of its own, so listing never moves a
// message on; a worker receiving the same queue meanwhile would miss the
// messages for that moment. The messages carry no receipt handle.
func (q *awsQueue) Peek(ctx context.Context, limit int) (out []Message, err error) {
	var held []Message // everything received, to give back
	defer func() {
		// Give everything back even when ctx is done.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if rerr := q.release(rctx, held); rerr != nil && err == nil {
			err = rerr
		}
	}()
	seen := make(map[string]bool)
	for len(out) < limit {
		got, err := q.Receive(ctx, ReceiveOptions{
			Max:        min(limit-len(out), maxReceiveBatch),
			Visibility: peekVisibility,
			Wait:       time.Second, // a long poll asks every SQS server
		})
		if err != nil {
			return nil, fmt.Errorf("listing %s: %w", q.name, err)
		}
		held = append(held, got...)
		fresh := 0
		for _, m := range got {
			// A long listing outlasts the minute: the first messages
			// come round again.
			if seen[m.ID] {
				continue
			}
			seen[m.ID] = true
			m.ReceiveCount--
			if m.ReceiveCount <= 0 {
				// This listing's receive was its first.
				m.ReceiveCount, m.FirstReceived = 0, time.Time{}
			}
			m.ReceiptHandle = ""
			out = append(out, m)
			fresh++
		}
		if fresh == 0 {
			break
		}
	}
	return out, nil
}

// release makes received messages visible again.
func (q *awsQueue) release(ctx context.Context, msgs []Message) error {
	var errs []error
	for _, m := range msgs {
		err := q.ChangeVisibility(ctx, m.ReceiptHandle, 0)
		if err != nil && !errors.Is(err, ErrReceiptInvalid) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

package awsio

import (
	"maps"
	"strconv"
	"time"
)

// Attributes a program sets on a message it moves to the DLQ itself (a
// send of a copy, then a delete), to keep what SQS keeps when its redrive
// policy moves a message: the receive count and first receive time the
// work queue saw. The copy is a new message, received by nobody yet.
const (
	// DeadLetterReceiveCount (Number) is the work queue's receive count.
	DeadLetterReceiveCount = "rptctlReceiveCount"
	// DeadLetterFirstReceived (String, RFC 3339 UTC, milliseconds) is the
	// work queue's first receive.
	DeadLetterFirstReceived = "rptctlFirstReceived"
)

// DeadLetterAttributes returns m's attributes with the two above added,
// for the copy of m sent to the DLQ. When adding them would take the
// message over maxSize (counted as MessageSize counts; 0: no limit) it
// returns m's attributes unchanged: the move matters more than the counts.
func DeadLetterAttributes(m Message, maxSize int) map[string]Attribute {
	out := maps.Clone(m.Attributes)
	if out == nil {
		out = make(map[string]Attribute, 2)
	}
	out[DeadLetterReceiveCount] = Attribute{DataType: "Number",
		Value: strconv.Itoa(m.ReceiveCount)}
	if !m.FirstReceived.IsZero() {
		out[DeadLetterFirstReceived] = Attribute{DataType: "String",
			Value: m.FirstReceived.UTC().Format(time.RFC3339Nano)}
	}
	if maxSize > 0 && MessageSize(m.Body, out) > maxSize {
		return m.Attributes
	}
	return out
}

// WithoutDeadLetter returns attrs less the dead-letter attributes, for a
// message sent back to the work queue, where they would be stale.
func WithoutDeadLetter(attrs map[string]Attribute) map[string]Attribute {
	_, a := attrs[DeadLetterReceiveCount]
	_, b := attrs[DeadLetterFirstReceived]
	if !a && !b {
		return attrs
	}
	out := maps.Clone(attrs)
	delete(out, DeadLetterReceiveCount)
	delete(out, DeadLetterFirstReceived)
	return out
}

// DeadLetterCounts reads the dead-letter attributes of m: the work
// queue's receive count and first receive, zero when not set.
func DeadLetterCounts(m Message) (receives int, first time.Time) {
	receives, _ = strconv.Atoi(m.Attributes[DeadLetterReceiveCount].Value)
	first, _ = time.Parse(time.RFC3339Nano, m.Attributes[DeadLetterFirstReceived].Value)
	return max(receives, 0), first
}

package awsio_test

import (
	"strings"
	"testing"
	"time"

	"github.com/rptctl/rptctl/awsio"
)

func TestDeadLetterAttributes(t *testing.T) {
	first := time.Date(2026, 12, 3, 9, 15, 2, 123e6, time.UTC)
	m := awsio.Message{Body: "Ym9keQ==", ReceiveCount: 3, FirstReceived: first,
		Attributes: map[string]awsio.Attribute{"traceId": {DataType: "String", Value: "t"}}}
	tests := []struct {
		name      string
		msg       awsio.Message
		maxSize   int
		receives  int
		first     time.Time
		unchanged bool
	}{
		{"counts kept", m, 0, 3, first, false},
		{"room enough", m, 1000, 3, first, false},
		{"no room", m, awsio.MessageSize(m.Body, m.Attributes) + 10, 0, time.Time{}, true},
		{"never received", awsio.Message{Body: "eA=="}, 0, 0, time.Time{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			attrs := awsio.DeadLetterAttributes(tt.msg, tt.maxSize)
			if tt.msg.Attributes != nil && attrs["traceId"].Value != "t" {
				t.Errorf("lost the message's own attributes: %v", attrs)
			}
			if tt.unchanged && len(attrs) != len(tt.msg.Attributes) {
				t.Errorf("attributes %v, want the message's own", attrs)
			}
			moved := awsio.Message{Body: tt.msg.Body, Attributes: attrs}
			receives, first := awsio.DeadLetterCounts(moved)
			if receives != tt.receives || !first.Equal(tt.first) {
				t.Errorf("DeadLetterCounts = %d, %v; want %d, %v", receives, first,
					tt.receives, tt.first)
			}
			back := awsio.WithoutDeadLetter(attrs)
			for name := range back {
				if strings.HasPrefix(name, "rptctl") {
					t.Errorf("WithoutDeadLetter kept %s", name)
				}
			}
			if len(m.Attributes) != 1 {
				t.Errorf("the message's own map was changed: %v", m.Attributes)
			}
		})
	}
}

package awsio

import (
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

func TestBatchEntryError(t *testing.T) {
	tests := []struct {
		code    string
		invalid bool
	}{
		{"ReceiptHandleIsInvalid", true},
		{"AWS.SimpleQueueService.ReceiptHandleIsInvalid", true},
		{"InternalError", false},
	}
	for _, tt := range tests {
		err := batchEntryError("q", types.BatchResultErrorEntry{
			Id: aws.String("1"), Code: aws.String(tt.code), Message: aws.String("m")})
		if errors.Is(err, ErrReceiptInvalid) != tt.invalid {
			t.Errorf("%s: %v, ErrReceiptInvalid want %v", tt.code, err, tt.invalid)
		}
	}
}

func TestQueueNameOfURL(t *testing.T) {
	tests := []struct{ in, name string }{
		{"https://sqs.eu-west-1.amazonaws.com/123456789012/rptctl-reports", "rptctl-reports"},
		{"http://127.0.0.1:4566/000000000000/q", "q"},
		{"rptctl-reports", ""},
	}
	for _, tt := range tests {
		name, _ := queueNameOfURL(tt.in)
		if name != tt.name {
			t.Errorf("queueNameOfURL(%q) = %q, want %q", tt.in, name, tt.name)
		}
	}
}

func TestRedriveMaxReceive(t *testing.T) {
	tests := []struct {
		policy string
		want   int
		err    bool
	}{
		{"", 0, false},
		{`{"deadLetterTargetArn":"arn:aws:sqs:r:1:d","maxReceiveCount":"5"}`, 5, false},
		{`{"deadLetterTargetArn":"arn:aws:sqs:r:1:d","maxReceiveCount":7}`, 7, false},
		{`{"deadLetterTargetArn":"arn:aws:sqs:r:1:d"}`, 0, false},
		{`{"maxReceiveCount":"many"}`, 0, true},
		{`not json`, 0, true},
	}
	for _, tt := range tests {
		got, err := redriveMaxReceive(tt.policy)
		if got != tt.want || (err != nil) != tt.err {
			t.Errorf("redriveMaxReceive(%q) = %d, %v; want %d, error %v",
				tt.policy, got, err, tt.want, tt.err)
		}
	}
}

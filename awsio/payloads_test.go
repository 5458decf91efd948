package awsio_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/rptctl/rptctl/awsio"
)

func TestPayloadsDecodeRefuses(t *testing.T) {
	b := localFactory(t, awsio.SetupOptions{})
	ctx := context.Background()
	if err := b.Store.Put(ctx, "payloads/a/b/t", []byte("aGVsbG8=")); err != nil {
		t.Fatal(err)
	}
	p := &awsio.Payloads{Store: b.Store, Bucket: b.Bucket}
	ptr := func(class, bucket, key string) string {
		return `["` + class + `",{"s3BucketName":"` + bucket + `","s3Key":"` + key + `"}]`
	}
	size := func(name, v string) map[string]awsio.Attribute {
		return map[string]awsio.Attribute{name: {DataType: "Number", Value: v}}
	}
	tests := []struct {
		name  string
		m     awsio.Message
		wants string
	}{
		{"other bucket", awsio.Message{Body: ptr(awsio.PointerClass, "other", "payloads/a/b/t")},
			"names bucket"},
		{"unknown class", awsio.Message{Body: ptr("x.Pointer", b.Bucket, "payloads/a/b/t")},
			"unknown"},
		{"missing object", awsio.Message{Body: ptr(awsio.PointerClass, b.Bucket, "payloads/n")},
			"not found"},
		{"size mismatch", awsio.Message{Body: ptr(awsio.PointerClass, b.Bucket,
			"payloads/a/b/t"), Attributes: size(awsio.SizeAttribute, "9")}, "says 9"},
		{"size without pointer", awsio.Message{Body: "aGVsbG8=",
			Attributes: size(awsio.LegacySizeAttribute, "8")}, "no S3 pointer"},
		{"broken JSON", awsio.Message{Body: `["x", {`}, "parsing"},
		{"bad base64", awsio.Message{Body: "not base64!"}, "base64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := p.Decode(ctx, tt.m)
			if err == nil || !strings.Contains(err.Error(), tt.wants) {
				t.Errorf("Decode: %v, want an error with %q", err, tt.wants)
			}
		})
	}
	got, err := p.Decode(ctx, awsio.Message{Body: ptr(awsio.PointerClass, b.Bucket,
		"payloads/a/b/t"), Attributes: size(awsio.SizeAttribute, "8")})
	if err != nil || string(got) != "hello" {
		t.Errorf("Decode of a good pointer = %q, %v", got, err)
	}
}

// TestDecodeMalformed checks which decode errors no retry mends: those
// match ErrMalformedPayload; a missing object does not.
func TestDecodeMalformed(t *testing.T) {
	b := localFactory(t, awsio.SetupOptions{})
	p := &awsio.Payloads{Store: b.Store, Bucket: b.Bucket}
	bucket := b.Bucket
	size := map[string]awsio.Attribute{awsio.SizeAttribute: {DataType: "Number", Value: "5"}}
	tests := []struct {
		name      string
		m         awsio.Message
		malformed bool
	}{
		{"bad base64", awsio.Message{Body: "!!"}, true},
		{"size attribute without pointer", awsio.Message{Body: "aGk=", Attributes: size}, true},
		{"pointer not JSON", awsio.Message{Body: "[oops"}, true},
		{"unknown class", awsio.Message{Body: `["x.Y",{"s3BucketName":"` + bucket + `","s3Key":"k"}]`}, true},
		{"other bucket", awsio.Message{Body: `["` + awsio.PointerClass +
			`",{"s3BucketName":"other","s3Key":"k"}]`}, true},
		{"missing object", awsio.Message{Body: `["` + awsio.PointerClass +
			`",{"s3BucketName":"` + bucket + `","s3Key":"gone"}]`}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := p.Decode(context.Background(), tt.m)
			if err == nil {
				t.Fatal("Decode succeeded")
			}
			if got := errors.Is(err, awsio.ErrMalformedPayload); got != tt.malformed {
				t.Errorf("errors.Is(%v, awsio.ErrMalformedPayload) = %v, want %v", err, got,
					tt.malformed)
			}
		})
	}
}

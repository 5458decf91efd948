package awsio_test

import (
	"context"
	"testing"

	"github.com/rptctl/rptctl/awsio"
)

// FuzzPayloadsDecode feeds Decode arbitrary bodies and size attributes:
// it may refuse them, never panic, and never read outside payloads it is
// pointed at in its own bucket.
func FuzzPayloadsDecode(f *testing.F) {
	seeds := []struct{ body, size string }{
		{"aGVsbG8=", ""},
		{`["software.amazon.payloadoffloading.PayloadS3Pointer",` +
			`{"s3BucketName":"bucket","s3Key":"payloads/a/b/t"}]`, "8"},
		{`["com.amazon.sqs.javamessaging.MessageS3Pointer", ` +
			`{"s3BucketName": "bucket", "s3Key": "../../etc/passwd"}]`, "8"},
		{`["x", {"s3BucketName": "bucket", "s3Key": ""}]`, "-1"},
		{"[", "99999999999999999999"},
	}
	for _, s := range seeds {
		f.Add(s.body, s.size)
	}
	be, err := awsio.Open(context.Background(), localConfig(f.TempDir()))
	if err != nil {
		f.Fatal(err)
	}
	defer be.Close()
	if err := be.Store.Put(context.Background(), "payloads/a/b/t", []byte("aGVsbG8=")); err != nil {
		f.Fatal(err)
	}
	p := &awsio.Payloads{Store: be.Store, Bucket: be.Bucket}
	f.Fuzz(func(t *testing.T, body, size string) {
		m := awsio.Message{Body: body}
		if size != "" {
			m.Attributes = map[string]awsio.Attribute{
				awsio.SizeAttribute: {DataType: "Number", Value: size}}
		}
		raw, err := p.Decode(context.Background(), m)
		if err == nil && len(raw) > len(body)+8 {
			t.Errorf("decoded %d bytes from a %d-byte body", len(raw), len(body))
		}
	})
}

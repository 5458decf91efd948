package awsio

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// The names of the Amazon SQS extended client libraries (Java
// amazon-sqs-java-extended-client-lib, Python
// amazon-sqs-python-extended-client-lib), which rptctl writes and reads.
const (
	// PointerClass is the class name current clients write.
	PointerClass = "software.amazon.payloadoffloading.PayloadS3Pointer"
	// LegacyPointerClass is the class name of Java client 1.x.
	LegacyPointerClass = "com.amazon.sqs.javamessaging.MessageS3Pointer"
	// SizeAttribute holds an offloaded body's length in bytes.
	SizeAttribute = "ExtendedPayloadSize"
	// LegacySizeAttribute is the size attribute of older clients.
	LegacySizeAttribute = "SQSLargePayloadSize"
)

// DefaultInlineLimit is the largest message rptctl sends inline, SQS's
// classic 256 KiB limit, which the extended clients also use.
const DefaultInlineLimit = 262144

// maxPayloadSize bounds what Decode reads from the store, so that a
// forged pointer cannot make a reader load a huge object: far above any
// upload rptctl accepts (32 MiB raw is about 43 MiB of base64).
const maxPayloadSize = 256 << 20

// Payloads encodes and decodes queue bodies as CONTRACT.md section 3
// says: the attachment in base64, inline or offloaded to the bucket with
// an extended-client pointer. It is safe for concurrent use.
type Payloads struct {
	Store       Store
	Bucket      string
	InlineLimit int // 0: DefaultInlineLimit
}

// s3Pointer is the second element of a pointer body.
type s3Pointer struct {
	Bucket string `json:"s3BucketName"`
	Key    string `json:"s3Key"`
}

// Encode returns the message body and attributes to send: the base64 body
// inline, or the S3 pointer with ExtendedPayloadSize when body and
// attributes exceed InlineLimit (counted as SQS counts, see MessageSize).
// key is the payload object key. attrs is not modified.
func (p *Payloads) Encode(ctx context.Context, key string, raw []byte,
	attrs map[string]Attribute) (body string, out map[string]Attribute, offloaded bool,
	err error) {
	body = base64.StdEncoding.EncodeToString(raw)
	limit := p.InlineLimit
	if limit <= 0 {
		limit = DefaultInlineLimit
	}
	if MessageSize(body, attrs) <= limit {
		return body, attrs, false, nil
	}

	if err := p.Store.Put(ctx, key, []byte(body)); err != nil {
		return "", nil, false, fmt.Errorf("offloading the message body: %w", err)
	}
	ptr, err := json.Marshal([]any{PointerClass, s3Pointer{Bucket: p.Bucket, Key: key}})
	if err != nil {
		return "", nil, false, fmt.Errorf("encoding the payload pointer: %w", err)
	}
	out = make(map[string]Attribute, len(attrs)+1)
	for k, v := range attrs {
		out[k] = v
	}
	out[SizeAttribute] = Attribute{DataType: "Number", Value: strconv.Itoa(len(body))}
	return string(ptr), out, true, nil
}

// Offloaded reports whether m's body is an extended-client pointer.
func Offloaded(m Message) bool {
	_, ok, _ := parsePointer(m)
	return ok
}

// Decode returns the attachment bytes of a received message, following a
// pointer (either class name, either size attribute, compact or spaced
// JSON) and decoding base64. A pointer to another bucket than p.Bucket is
// an error: rptctl reads one bucket.
//
// Errors that no retry mends (bad base64, a malformed pointer, a pointer to
// another bucket, a size that disagrees) match ErrMalformedPayload with
// errors.Is; a failed fetch does not, because the object may yet appear.
func (p *Payloads) Decode(ctx context.Context, m Message) ([]byte, error) {
	body := m.Body
	ptr, ok, err := parsePointer(m)
	if err != nil {
		return nil, malformed{err}
	}
	if ok {
		if body, err = p.fetch(ctx, ptr, m); err != nil {
			return nil, err
		}
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(body))
	if err != nil {
		return nil, malformed{fmt.Errorf("decoding the base64 body: %w", err)}
	}
	return raw, nil
}

// ErrMalformedPayload marks a message body that can never be decoded.
var ErrMalformedPayload = errors.New("malformed message body")

// malformed marks err as matching ErrMalformedPayload without changing
// its text.
type malformed struct{ err error }

func (e malformed) Error() string   { return e.err.Error() }
func (e malformed) Unwrap() []error { return []error{e.err, ErrMalformedPayload} }

func (p *Payloads) fetch(ctx context.Context, ptr s3Pointer, m Message) (string, error) {
	if ptr.Bucket != p.Bucket {
		return "", malformed{fmt.Errorf("payload pointer names bucket %q, but rptctl reads %q",
			ptr.Bucket, p.Bucket)}
	}
	if size, ok := pointerSize(m); ok && size > maxPayloadSize {
		return "", malformed{fmt.Errorf("offloaded payload of %d bytes is over the limit of %d",
			size, maxPayloadSize)}
	}
	b, err := p.Store.Get(ctx, ptr.Key)
	if err != nil {
		return "", fmt.Errorf("fetching the offloaded payload: %w", err)
	}
	if size, ok := pointerSize(m); ok && size != int64(len(b)) {
		return "", malformed{fmt.Errorf("offloaded payload %s has %d bytes, the message says %d",
			ptr.Key, len(b), size)}
	}
	return string(b), nil
}

// pointerSize reads the size attribute under either name.
func pointerSize(m Message) (int64, bool) {
	for _, name := range []string{SizeAttribute, LegacySizeAttribute} {
		if a, ok := m.Attributes[name]; ok {
			n, err := strconv.ParseInt(strings.TrimSpace(a.Value), 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}

// parsePointer recognises a pointer body. A message carrying a size
// attribute must be a pointer; one without may still be (some writers
// drop attributes), which a body starting with "[" tells, since base64
// never holds that character.
func parsePointer(m Message) (s3Pointer, bool, error) {
	_, hasAttr := m.Attributes[SizeAttribute]
	_, hasLegacy := m.Attributes[LegacySizeAttribute]
	text := strings.TrimSpace(m.Body)
	if !strings.HasPrefix(text, "[") {
		if hasAttr || hasLegacy {
			return s3Pointer{}, false, errors.New("message has a payload size attribute " +
				"but its body is no S3 pointer")
		}
		return s3Pointer{}, false, nil
	}
	var parts []json.RawMessage
	if err := json.Unmarshal([]byte(text), &parts); err != nil || len(parts) != 2 {
		return s3Pointer{}, false, fmt.Errorf("parsing the payload pointer %.80q: "+
			"want [class, {s3BucketName, s3Key}]", text)
	}
	var class string
	var ptr s3Pointer
	if err := json.Unmarshal(parts[0], &class); err != nil {
		return s3Pointer{}, false, fmt.Errorf("parsing the payload pointer class: %w", err)
	}
	if class != PointerClass && class != LegacyPointerClass {
		return s3Pointer{}, false, fmt.Errorf("payload pointer class %q is unknown", class)
	}
	if err := json.Unmarshal(parts[1], &ptr); err != nil {
		return s3Pointer{}, false, fmt.Errorf("parsing the payload pointer: %w", err)
	}
	if ptr.Bucket == "" || ptr.Key == "" {
		return s3Pointer{}, false, errors.New("payload pointer lacks s3BucketName or s3Key")
	}
	return ptr, true, nil
}

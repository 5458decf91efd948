package awsio

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// maxAttempts is how often the SDK's standard retryer tries a call that
// was throttled or hit a server error or a broken connection, with
// exponential backoff and jitter (at most 20 s) between tries.
const maxAttempts = 6

// awsClients are the SDK clients of one backend.
type awsClients struct {
	sqs    *sqs.Client
	s3     *s3.Client
	region string
}

// newAWSClients loads the standard configuration chain (environment,
// shared config and credentials files, SSO, container and instance
// roles). The SDK itself reads AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_SQS and
// AWS_ENDPOINT_URL_S3.
func newAWSClients(ctx context.Context, cfg Config) (*awsClients, error) {
	ac, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("loading the AWS configuration: %w", err)
	}
	// The SDK's standard retryer, with more attempts than its default 3
	// unless AWS_MAX_ATTEMPTS or the profile's max_attempts says.
	if ac.RetryMaxAttempts == 0 {
		ac.RetryMaxAttempts = maxAttempts
	}
	if ac.Region == "" {
		return nil, errors.New("no AWS region is set: set AWS_REGION " +
			"(or a region in the profile AWS_PROFILE names)")
	}
	c := &awsClients{region: ac.Region}
	c.sqs = sqs.NewFromConfig(ac)
	c.s3 = s3.NewFromConfig(ac, func(o *s3.Options) {
		o.UsePathStyle = cfg.S3PathStyle
		// Checksums only where S3 requires them: compatible endpoints
		// often reject the aws-chunked trailers of the newer default.
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	})
	return c, nil
}

// openAWS connects to existing queues and the bucket.
func openAWS(ctx context.Context, cfg Config) (*Backend, error) {
	if cfg.Queue == "" || cfg.DLQ == "" || cfg.Bucket == "" {
		return nil, errors.New("the aws backend needs a queue, a DLQ and a bucket")
	}
	c, err := newAWSClients(ctx, cfg)
	if err != nil {
		return nil, err
	}
	q, err := c.queue(ctx, cfg.Queue)
	if err != nil {
		return nil, c.missing("queue", "--queue", cfg.Queue, isQueueMissing(err), err)
	}
	dlq, err := c.queue(ctx, cfg.DLQ)
	if err != nil {
		return nil, c.missing("dlq", "--dlq", cfg.DLQ, isQueueMissing(err), err)
	}
	if err := c.checkBucket(ctx, cfg.Bucket); err != nil {
		return nil, err
	}
	size, maxReceive, err := q.queueLimits(ctx)
	if err != nil {
		return nil, err
	}
	return &Backend{
		Queue:          q,
		DLQ:            dlq,
		Store:          &s3Store{client: c.s3, bucket: cfg.Bucket},
		Bucket:         cfg.Bucket,
		MaxMessageSize: size,
		MaxReceive:     maxReceive,
	}, nil
}

// queue finds a queue by name or URL.
func (c *awsClients) queue(ctx context.Context, nameOrURL string) (*awsQueue, error) {
	if name, ok := queueNameOfURL(nameOrURL); ok {
		return &awsQueue{client: c.sqs, name: name, url: nameOrURL}, nil
	}
	out, err := c.sqs.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(nameOrURL)})
	if err != nil {
		return nil, fmt.Errorf("finding queue %s: %w", nameOrURL, wrapAWS(err))
	}
	return &awsQueue{client: c.sqs, name: nameOrURL, url: aws.ToString(out.QueueUrl)}, nil
}

// checkBucket fails when the bucket does not exist. Other errors of
// HeadBucket (a role allowed to read and write objects but not to list
// the bucket gets 403) are left to the first real request to report.
func (c *awsClients) checkBucket(ctx context.Context, bucket string) error {
	_, err := c.s3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)})
	err = s3Error(err)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrNotFound):
		return c.missing("bucket", "--bucket", bucket, true, err)
	case errors.Is(wrapAWS(err), ErrUnavailable):
		return fmt.Errorf("finding bucket %s: %w", bucket, wrapAWS(err))
	}
	return nil
}

// missing is the error of Open when a queue or the bucket is not there:
// what is missing, where, and what to do. Other errors pass through.
func (c *awsClients) missing(kind, flag, name string, isMissing bool, err error) error {
	if !isMissing {
		return err
	}
	return fmt.Errorf("%s %q does not exist in region %s: pass the right %s, or run "+
		"\"rptctl --backend aws %s %s setup\" to create it: %w",
		kind, name, c.region, flag, flag, name, err)
}

// queueNameOfURL takes the name from a queue URL
// (https://sqs.REGION.amazonaws.com/ACCOUNT/NAME).
func queueNameOfURL(s string) (string, bool) {
	if !strings.HasPrefix(s, "https://") && !strings.HasPrefix(s, "http://") {
		return "", false
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", false
	}
	name := u.Path[strings.LastIndex(u.Path, "/")+1:]
	return name, name != ""
}

// wrapAWS marks errors of reaching AWS (connection refused, DNS, TLS,
// retries exhausted on server errors) as ErrUnavailable.
func wrapAWS(err error) error {
	if err == nil {
		return nil
	}
	var send *smithyhttp.RequestSendError
	if errors.As(err, &send) {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	var resp *smithyhttp.ResponseError
	if errors.As(err, &resp) && resp.HTTPStatusCode() >= 500 {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return err
}

// apiCode is the error code of an API error, "" for other errors.
func apiCode(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorCode()
	}
	return ""
}

// isQueueMissing reports whether err says the queue does not exist.
func isQueueMissing(err error) bool {
	var missing *sqstypes.QueueDoesNotExist
	return errors.As(err, &missing) ||
		strings.Contains(apiCode(err), "NonExistentQueue") ||
		strings.Contains(apiCode(err), "QueueDoesNotExist")
}

// atoi64 parses an attribute value SQS returns as a decimal string.
func atoi64(s string) int64 {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0 // approximate counts: a missing value reads as none
	}
	return n
}

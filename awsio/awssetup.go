package awsio

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// lifecycleRuleID names the rule Setup installs, so that running it
// again replaces that rule and keeps every other rule of the bucket.
const lifecycleRuleID = "rptctl-expire-payloads"

// setupAWS creates or updates the DLQ, the queue, the bucket and its
// lifecycle rule.
func setupAWS(ctx context.Context, cfg Config, opts SetupOptions) (SetupResult, error) {
	var res SetupResult
	c, err := newAWSClients(ctx, cfg)
	if err != nil {
		return res, err
	}

	dlqName := queueNameOr(cfg.DLQ)
	dlq, err := c.ensureQueue(ctx, dlqName, nil, &res, "dlq "+dlqName)
	if err != nil {
		return res, err
	}
	arn, err := dlq.attributes(ctx, sqstypes.QueueAttributeNameQueueArn)
	if err != nil {
		return res, err
	}
	policy, err := json.Marshal(map[string]string{
		"deadLetterTargetArn": arn[string(sqstypes.QueueAttributeNameQueueArn)],
		"maxReceiveCount":     strconv.Itoa(opts.MaxReceive),
	})
	if err != nil {
		return res, fmt.Errorf("encoding the redrive policy: %w", err)
	}
	attrs := map[string]string{
		string(sqstypes.QueueAttributeNameRedrivePolicy): string(policy),
		string(sqstypes.QueueAttributeNameVisibilityTimeout): strconv.Itoa(
			int(seconds(opts.Visibility))),
	}
	name := queueNameOr(cfg.Queue)
	if _, err := c.ensureQueue(ctx, name, attrs, &res,
		fmt.Sprintf("queue %s (maxReceiveCount %d, visibility %v)",
			name, opts.MaxReceive, opts.Visibility)); err != nil {
		return res, err
	}

	if err := c.ensureBucket(ctx, cfg.Bucket, &res); err != nil {
		return res, err
	}
	if err := c.ensureLifecycle(ctx, cfg.Bucket, opts.PayloadExpiry, &res); err != nil {
		return res, err
	}
	return res, nil
}

// queueNameOr gives the name of a queue given by URL, or the name itself.
func queueNameOr(nameOrURL string) string {
	if name, ok := queueNameOfURL(nameOrURL); ok {
		return name
	}
	return nameOrURL
}

// ensureQueue finds or creates a queue and sets attrs on it.
func (c *awsClients) ensureQueue(ctx context.Context, name string, attrs map[string]string,
	res *SetupResult, what string) (*awsQueue, error) {
	q, err := c.queue(ctx, name)
	switch {
	case err == nil:
		res.note(false, what)
		if len(attrs) == 0 {
			return q, nil
		}
		_, err := c.sqs.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{
			QueueUrl:   aws.String(q.url),
			Attributes: attrs,
		})
		if err != nil {
			return nil, fmt.Errorf("configuring queue %s: %w", name, wrapAWS(err))
		}
		return q, nil
	case !isQueueMissing(err):
		return nil, err
	}
	out, err := c.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{
		QueueName:  aws.String(name),
		Attributes: attrs,
	})
	if err != nil {
		return nil, fmt.Errorf("creating queue %s: %w", name, wrapAWS(err))
	}
	res.note(true, what)
	return &awsQueue{client: c.sqs, name: name, url: aws.ToString(out.QueueUrl)}, nil
}

// ensureBucket finds or creates the bucket in the client's region.
func (c *awsClients) ensureBucket(ctx context.Context, bucket string,
	res *SetupResult) error {
	_, err := c.s3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)})
	if err == nil {
		res.note(false, "bucket "+bucket)
		return nil
	}
	if !errors.Is(s3Error(err), ErrNotFound) {
		return fmt.Errorf("finding bucket %s: %w", bucket, wrapAWS(err))
	}
	in := &s3.CreateBucketInput{Bucket: aws.String(bucket)}
	// us-east-1 is the one region that refuses a location constraint.
	if c.region != "us-east-1" {
		in.CreateBucketConfiguration = &s3types.CreateBucketConfiguration{
			LocationConstraint: s3types.BucketLocationConstraint(c.region),
		}
	}
	_, err = c.s3.CreateBucket(ctx, in)
	var owned *s3types.BucketAlreadyOwnedByYou
	if errors.As(err, &owned) {
		res.note(false, "bucket "+bucket)
		return nil
	}
	if err != nil {
		return fmt.Errorf("creating bucket %s: %w", bucket, wrapAWS(err))
	}
	res.note(true, "bucket "+bucket)
	return nil
}

// ensureLifecycle installs the rule that expires payloads/, keeping the
// bucket's other rules. An endpoint without lifecycle support (many
// S3-compatible ones) gives a warning: payloads then stay until deleted.
func (c *awsClients) ensureLifecycle(ctx context.Context, bucket string,
	expiry time.Duration, res *SetupResult) error {
	days := int32((expiry + 24*time.Hour - 1) / (24 * time.Hour))
	what := fmt.Sprintf("lifecycle rule %s (payloads/ after %d days)", lifecycleRuleID, days)
	warn := func(err error) error {
		if errors.Is(err, ErrUnavailable) {
			return err
		}
		res.Warnings = append(res.Warnings, fmt.Sprintf("%s: not installed, offloaded "+
			"payloads will not expire: %v", what, err))
		return nil
	}

	rules, found, err := c.lifecycleRules(ctx, bucket)
	if err != nil {
		return warn(err)
	}
	rule := s3types.LifecycleRule{
		ID:         aws.String(lifecycleRuleID),
		Status:     s3types.ExpirationStatusEnabled,
		Filter:     &s3types.LifecycleRuleFilter{Prefix: aws.String(PayloadsPrefix)},
		Expiration: &s3types.LifecycleExpiration{Days: aws.Int32(days)},
	}
	_, err = c.s3.PutBucketLifecycleConfiguration(ctx,
		&s3.PutBucketLifecycleConfigurationInput{
			Bucket: aws.String(bucket),
			LifecycleConfiguration: &s3types.BucketLifecycleConfiguration{
				Rules: append(rules, rule),
			},
		})
	if err != nil {
		return warn(wrapAWS(err))
	}
	// Some endpoints answer the put but keep nothing: read it back.
	if _, kept, err := c.lifecycleRules(ctx, bucket); err != nil || !kept {
		if err == nil {
			err = errors.New("the endpoint accepted the rule but did not keep it")
		}
		return warn(err)
	}
	res.note(!found, what)
	return nil
}

// lifecycleRules reads the bucket's rules other than ours, and whether
// ours was among them.
func (c *awsClients) lifecycleRules(ctx context.Context,
	bucket string) ([]s3types.LifecycleRule, bool, error) {
	out, err := c.s3.GetBucketLifecycleConfiguration(ctx,
		&s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String(bucket)})
	if apiCode(err) == "NoSuchLifecycleConfiguration" {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, wrapAWS(err)
	}
	var others []s3types.LifecycleRule
	found := false
	for _, r := range out.Rules {
		if aws.ToString(r.ID) == lifecycleRuleID {
			found = true
			continue
		}
		others = append(others, r)
	}
	return others, found, nil
}

package awsio

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// maxGetSize bounds what Get reads into memory.
const maxGetSize = 512 << 20

// s3Store is an S3 bucket. It is safe for concurrent use.
type s3Store struct {
	client *s3.Client
	bucket string
}

var _ Store = (*s3Store)(nil)

// Put writes body under key; S3 makes a put visible whole or not at all.
func (s *s3Store) Put(ctx context.Context, key string, body []byte) error {
	_, err := s.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket:        aws.String(s.bucket),
		Key:           aws.String(key),
		Body:          bytes.NewReader(body),
		ContentLength: aws.Int64(int64(len(body))),
	})
	if err != nil {
		return fmt.Errorf("putting %s: %w", key, wrapAWS(err))
	}
	return nil
}

// Get reads the object under key (at most 512 MiB), or fails with
// ErrNotFound.
func (s *s3Store) Get(ctx context.Context, key string) ([]byte, error) {
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{
		Bucket: aws.String(s.bucket),
		Key:    aws.String(key),
	})
	if err != nil {
		return nil, fmt.Errorf("getting %s: %w", key, s3Error(err))
	}
	defer out.Body.Close()
	b, err := io.ReadAll(io.LimitReader(out.Body, maxGetSize+1))
	if err != nil {
		return nil, fmt.Errorf("getting %s: %w", key, wrapAWS(err))
	}
	if len(b) > maxGetSize {
		return nil, fmt.Errorf("getting %s: object over the limit of %d bytes", key, maxGetSize)
	}
	return b, nil
}

// s3Error maps S3's answers for a missing key (NoSuchKey on GET, a bare
// 404 NotFound on HEAD) to ErrNotFound.
func s3Error(err error) error {
	var noKey *types.NoSuchKey
	var notFound *types.NotFound
	var resp *smithyhttp.ResponseError
	if errors.As(err, &noKey) || errors.As(err, &notFound) ||
		(errors.As(err, &resp) && resp.HTTPStatusCode() == http.StatusNotFound &&
			apiCode(err) != "NoSuchBucket") {
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	return wrapAWS(err)
}

// Head describes the object under key, or fails with ErrNotFound.
func (s *s3Store) Head(ctx context.Context, key string) (ObjectInfo, error) {
	out, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{
		Bucket: aws.String(s.bucket),
		Key:    aws.String(key),
	})
	if err != nil {
		return ObjectInfo{}, fmt.Errorf("reading %s: %w", key, s3Error(err))
	}
	return ObjectInfo{
		Key:      key,
		Size:     aws.ToInt64(out.ContentLength),
		Modified: aws.ToTime(out.LastModified).UTC(),
	}, nil
}

// List returns the objects whose keys start with prefix, in S3's order,
// following the pages of ListObjectsV2.
func (s *s3Store) List(ctx context.Context, prefix string) ([]ObjectInfo, error) {
	p := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{
		Bucket: aws.String(s.bucket),
		Prefix: aws.String(prefix),
	})
	var out []ObjectInfo
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing %q: %w", prefix, wrapAWS(err))
		}
		for _, o := range page.Contents {
			out = append(out, ObjectInfo{
				Key:      aws.ToString(o.Key),
				Size:     aws.ToInt64(o.Size),
				Modified: aws.ToTime(o.LastModified).UTC(),
			})
		}
	}
	return out, nil
}

// Delete removes the object under key; a missing key is no error.
func (s *s3Store) Delete(ctx context.Context, key string) error {
	_, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{
		Bucket: aws.String(s.bucket),
		Key:    aws.String(key),
	})
	if err != nil {
		if errors.Is(s3Error(err), ErrNotFound) {
			return nil
		}
		return fmt.Errorf("deleting %s: %w", key, wrapAWS(err))
	}
	return nil
}

package awsio

import (
	"context"
	"errors"
)

// TODO: the AWS backend lands in the next step.
func openAWS(ctx context.Context, cfg Config) (*Backend, error) {
	return nil, errors.New("aws backend: not built yet")
}

func setupAWS(ctx context.Context, cfg Config, opts SetupOptions) (SetupResult, error) {
	return SetupResult{}, errors.New("aws backend: not built yet")
}

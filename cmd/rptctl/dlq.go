package main

import (
	"context"
	"errors"

	"github.com/urfave/cli/v2"
)

// TODO: placeholder until the dlq command lands.
func dlqCommand() *cli.Command {
	return &cli.Command{
		Name: "dlq",
		Action: action(func(context.Context, *cli.Context, *env) error {
			return errors.New("dlq: not built yet")
		}),
	}
}

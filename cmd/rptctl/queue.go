package main

import (
	"context"
	"errors"

	"github.com/urfave/cli/v2"
)

// TODO: placeholder until the queue command lands.
func queueCommand() *cli.Command {
	return &cli.Command{
		Name: "queue",
		Action: action(func(context.Context, *cli.Context, *env) error {
			return errors.New("queue: not built yet")
		}),
	}
}

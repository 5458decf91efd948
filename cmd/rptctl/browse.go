package main

import (
	"context"
	"errors"

	"github.com/urfave/cli/v2"
)

// TODO: placeholder until the browse command lands.
func browseCommand() *cli.Command {
	return &cli.Command{
		Name: "browse",
		Action: action(func(context.Context, *cli.Context, *env) error {
			return errors.New("browse: not built yet")
		}),
	}
}

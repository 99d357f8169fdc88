package shell

import (
	"context"
	"errors"
	"strings"
)

// commandTable is the one table of commands: dispatch, help and tab
// completion all read it. Each command's errors carry its name (withName).
func commandTable() []*Command {
	table := []*Command{
		pingCommand,
		arpcacheCommand,
		routeCommand,
		ifconfigCommand,
		netdevCommand,
		netemCommand,
		ipfwdCommand,
		sysctlCommand,
		debugCommand,
		statCommand,
		captureCommand,
		arpingCommand,
		tracerouteCommand,
		hostCommand,
		resolvCommand,
		sleepCommand,
		echoCommand,
		udpCommand,
		ssCommand,
		tcpgraphCommand,
		sncCommand,
		curlCommand,
		dhclientCommand,
		httpdCommand,
		jobsCommand,
		killCommand,
		waitCommand,
		helpCommand,
		clearCommand,
		exitCommand("exit"),
		exitCommand("quit"),
	}
	for i, c := range table {
		table[i] = withName(c)
	}
	return table
}

// withName returns a copy of c whose errors read "NAME: what is wrong (what
// to do)", as a Unix tool's do: the command and the layers below it say
// what is wrong, and the name goes in front once, here. An error that
// already starts with the name (or that the shell handles itself) passes
// as it is.
func withName(c *Command) *Command {
	run := c.Run
	cc := *c
	cc.Run = func(ctx context.Context, sh *Shell, args []string) error {
		err := run(ctx, sh, args)
		if err == nil || errors.Is(err, ErrFailed) || errors.Is(err, ErrExit) || errors.Is(err, ErrClosed) {
			return err
		}
		if msg := err.Error(); strings.HasPrefix(msg, c.Name+":") || strings.HasPrefix(msg, c.Name+" ") {
			return err
		}
		return &commandError{name: c.Name, err: err}
	}
	return &cc
}

// commandError is an error of the command name.
type commandError struct {
	name string
	err  error
}

func (e *commandError) Error() string { return e.name + ": " + e.err.Error() }
func (e *commandError) Unwrap() error { return e.err }

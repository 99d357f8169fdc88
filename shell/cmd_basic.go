package shell

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

var helpCommand = &Command{
	Name:  "help",
	Usage: "[COMMAND]",
	Brief: "list the commands, or explain one",
	Run: func(ctx context.Context, sh *Shell, args []string) error {
		if len(args) > 1 {
			return usage("give at most one command")
		}
		if len(args) == 1 {
			c, ok := sh.commands[args[0]]
			if !ok {
				return fmt.Errorf("%s: unknown command (help lists them)", args[0])
			}
			fmt.Fprintf(sh.Out, "usage: %s\n%s\n", c.usageLine(), c.Brief)
			if c.Help != "" {
				fmt.Fprintf(sh.Out, "\n%s\n", c.Help)
			}
			return nil
		}
		w := tabwriter.NewWriter(sh.Out, 0, 8, 2, ' ', 0)
		for _, c := range sh.Commands() {
			fmt.Fprintf(w, "%s\t%s\n", c.Name, c.Brief)
		}
		w.Flush()
		fmt.Fprintln(sh.Out, "\nhelp COMMAND shows its options. Any command takes > FILE, >> FILE, < FILE,\nand & to run in the background (help jobs).")
		return nil
	},
	Words: func(sh *Shell) []string { // Tab completes the command
		var names []string
		for _, c := range sh.Commands() {
			names = append(names, c.Name)
		}
		return names
	},
}

var clearCommand = &Command{
	Name:  "clear",
	Brief: "clear the screen",
	Run: func(ctx context.Context, sh *Shell, args []string) error {
		if len(args) != 0 {
			return usage("takes no arguments")
		}
		fmt.Fprint(sh.Out, "\033[H\033[2J")
		return nil
	},
}

var echoCommand = &Command{
	Name:  "echo",
	Usage: "TEXT...",
	Brief: "print the text (to label the steps of a script)",
	Run: func(ctx context.Context, sh *Shell, args []string) error {
		fmt.Fprintln(sh.Out, strings.Join(args, " "))
		return nil
	},
}

var sleepCommand = &Command{
	Name:  "sleep",
	Usage: "SECONDS",
	Brief: "wait (in scripts and demos); Ctrl-C ends it",
	Run: func(ctx context.Context, sh *Shell, args []string) error {
		if len(args) != 1 {
			return usage("give the seconds to wait")
		}
		d, err := opts{set: map[byte]string{'s': args[0]}}.secondsOpt('s', 0, 0, time.Hour)
		if err != nil {
			return usage("%s: invalid time interval (give seconds from 0 to 3600)", args[0])
		}
		select {
		case <-time.After(d):
		case <-ctx.Done():
		}
		return nil
	},
}

func exitCommand(name string) *Command {
	return &Command{
		Name:  name,
		Brief: "leave the shell (also Ctrl-D)",
		Run:   func(context.Context, *Shell, []string) error { return ErrExit },
	}
}

// table returns a tabwriter for aligned columns on sh.Out.
func (sh *Shell) table() *tabwriter.Writer {
	return tabwriter.NewWriter(sh.Out, 0, 8, 2, ' ', 0)
}

// plural prints a count with its noun, singular for one: "1 entry",
// "2 entries", "0 entries".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// Package shell is the net shell: a line-editing REPL (prompt "[net shell]: ")
// over one table of commands that drives dispatch, help and completion, as
// tapip's shell does. Every command runs as Run(ctx, shell, args) and writes
// to the shell's Out, so commands are tested without a terminal; Ctrl-C
// cancels ctx and the running command ends cleanly.
package shell

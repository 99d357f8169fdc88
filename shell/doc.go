// Package shell is the net shell: a line-editing REPL (prompt "[net shell]: ")
// over one table of commands that drives dispatch, help and completion, as
// tapip's shell does. Every command runs as Run(ctx, shell, args) and writes
// to the shell's Out, so commands are tested without a terminal; Ctrl-C
// cancels ctx and the running command ends cleanly. Any command's output
// and input can be redirected to and from files (CMD > FILE, >> FILE,
// < FILE: redirect.go), and any command can run in the background (CMD &,
// jobs, kill %N, wait: jobs.go). snc, curl and httpd use TCP only through the
// standard net.Conn/net.Listener API (Dialer: the stack, or Shell.TCP).
// How debug shows each layer is a registration (layerview.go), so a new
// protocol adds its view without editing debug, describe or the diagrams.
package shell

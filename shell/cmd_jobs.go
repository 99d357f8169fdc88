package shell

import (
	"context"
	"fmt"
)

var jobsCommand = &Command{
	Name:  "jobs",
	Brief: "list the background jobs (CMD & starts one)",
	Help: `CMD & runs CMD in the background: the prompt is back at once, and what
the job prints comes above it, each line after the job's number ("[1] ").
Its input is empty unless given with < FILE; > FILE takes its output.
jobs lists what runs, as bash does: + marks the current job (the last
started), - the one before. kill %N stops one, wait waits for them all.
At most 16 run at once; those still running when the shell ends are
stopped.`,
	Run: runJobs,
}

var killCommand = &Command{
	Name:  "kill",
	Usage: "%N [%N...]",
	Brief: "stop a background job, as Ctrl-C stops a command",
	Help: `%N is job N as jobs numbers them; %% or %+ is the current job, %- the
one before. The job stops as a command does at Ctrl-C (ping prints its
summary, httpd lets requests under way finish) and the shell says
"Terminated"; kill waits a moment for that.`,
	Run:   runKill,
	Words: jobSpecs,
}

// jobSpecs are the running jobs as kill takes them: %1, %2, ...
func jobSpecs(sh *Shell) []string {
	jobs, _ := sh.jobs.list()
	specs := make([]string, len(jobs))
	for i, j := range jobs {
		specs[i] = fmt.Sprintf("%%%d", j.id)
	}
	return specs
}

var waitCommand = &Command{
	Name:  "wait",
	Brief: "wait for every background job to end (Ctrl-C stops waiting)",
	Help: `Fails if a job failed ("Exit 1") since the last wait, so a script's exit
status tells; a job stopped by kill has not failed. Ctrl-C stops the
waiting, not the jobs.`,
	Run: runWait,
}

func runJobs(_ context.Context, sh *Shell, args []string) error {
	if len(args) > 0 {
		return usage("no arguments (it lists every job)")
	}
	jobs, marks := sh.jobs.list()
	for i, j := range jobs {
		fmt.Fprintf(sh.Out, "[%d]%c  %-24s%s &\n", j.id, marks[i], "Running", j.line)
	}
	return nil
}

func runKill(ctx context.Context, sh *Shell, args []string) error {
	if len(args) == 0 {
		return usage("name the job to stop, like %%1 (jobs lists them)")
	}
	var stopped []*job
	failed := false
	for _, a := range args {
		j, err := sh.jobs.find(a)
		if err != nil { // each on a line of its own, and the others stopped, as bash does
			sh.Report(fmt.Errorf("kill: %w", err))
			failed = true
			continue
		}
		j.stop()
		stopped = append(stopped, j)
	}
	sh.awaitJobs(ctx, stopped) // so its "Terminated" line comes before the next prompt
	if failed {
		return ErrFailed
	}
	return nil
}

func runWait(ctx context.Context, sh *Shell, args []string) error {
	if len(args) > 0 {
		return usage("no arguments (it waits for every job; kill %%N stops one)")
	}
	jobs, _ := sh.jobs.list()
	for _, j := range jobs {
		select {
		case <-j.done:
		case <-ctx.Done():
			return nil // Ctrl-C: the jobs go on
		}
	}
	if sh.jobs.takeFailed() {
		return ErrFailed // the job said why, and "Exit 1"
	}
	return nil
}

package stack

// RegisterBatchEnd adds a job the devices' pollers run at the end of each
// batch of received frames (netdev's OnBatchEnd): TCP sends the ACKs it
// held for the batch. A job runs on a poller goroutine, perhaps on two at
// once (one per device), and must not block.
func (s *Stack) RegisterBatchEnd(name string, job func()) {
	s.regMu.Lock()
	defer s.regMu.Unlock()
	old := s.batchJobs.Load()
	var jobs []batchJob
	if old != nil {
		jobs = *old
	}
	jobs = append(jobs[:len(jobs):len(jobs)], batchJob{name, job}) // copy on write: pollers keep theirs
	s.batchJobs.Store(&jobs)
}

type batchJob struct {
	name string
	run  func()
}

// endBatch runs the batch-end jobs; every device's poller calls it. It
// takes no lock: a frame's worth of work costs one atomic load.
func (s *Stack) endBatch() {
	if jobs := s.batchJobs.Load(); jobs != nil {
		for _, j := range *jobs {
			j.run()
		}
	}
}

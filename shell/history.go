package shell

import (
	"bufio"
	"os"
	"strings"
	"sync"
)

// historyLimit bounds the lines history keeps, in memory and on disk.
const historyLimit = 1000

// history is the lines typed at the prompt, most recent last, for Up and
// Down. A line typed again moves to the end rather than being stored
// twice (bash's erasedups); blank lines are not kept. With a file, it is
// read at start and rewritten at each new line, so a killed shell loses
// nothing.
type history struct {
	mu    sync.Mutex
	lines []string
	file  string // "" for none
}

func loadHistory(file string) *history {
	h := &history{file: file}
	if file == "" {
		return h
	}
	f, err := os.Open(file)
	if err != nil {
		return h
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 4096), MaxLineLen+1)
	for sc.Scan() {
		h.add(sc.Text())
	}
	return h
}

// Add records a line read at the prompt (term.History).
func (h *history) Add(line string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.add(line) || h.file == "" {
		return
	}
	h.save()
}

// add appends line, moving an earlier copy; h.mu held. It reports whether
// anything changed.
func (h *history) add(line string) bool {
	if strings.TrimSpace(line) == "" {
		return false
	}
	for i, l := range h.lines {
		if l == line {
			h.lines = append(h.lines[:i], h.lines[i+1:]...)
			break
		}
	}
	h.lines = append(h.lines, line)
	if len(h.lines) > historyLimit {
		h.lines = h.lines[len(h.lines)-historyLimit:]
	}
	return true
}

// save writes the history file through a temporary file, so a crash
// leaves the old or the new one; h.mu held. A history that cannot be
// saved is not worth an error at the prompt.
func (h *history) save() {
	tmp := h.file + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return
	}
	w := bufio.NewWriter(f)
	for _, l := range h.lines {
		w.WriteString(l + "\n")
	}
	if w.Flush() != nil || f.Close() != nil {
		os.Remove(tmp)
		return
	}
	os.Rename(tmp, h.file)
}

// Len is the number of lines kept (term.History).
func (h *history) Len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.lines)
}

// At returns a line, 0 the most recent (term.History).
func (h *history) At(i int) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.lines[len(h.lines)-1-i]
}

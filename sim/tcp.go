package sim

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/gotapip/gotapip/stack"
)

// The TCP services of the sim's hosts, on the stack's own TCP: echo
// (RFC 862), discard (RFC 863) and a web page, so snc, curl and ss have
// something to talk to.
const (
	TCPEchoPort    = 7
	TCPDiscardPort = 9
	HTTPPort       = 80
)

// maxServiceConns bounds the connections one service serves at once; the
// next wait in the listen backlog.
const maxServiceConns = 64

// tcpServices are one host's listeners and the goroutines serving them.
type tcpServices struct {
	lns  []net.Listener
	web  *http.Server
	done sync.WaitGroup
}

// startTCP listens on h's echo, discard and HTTP ports.
func (l *LAN) startTCP(h *stack.Stack, name string) error {
	svc := &tcpServices{}
	l.tcp = append(l.tcp, svc)
	for port, serve := range map[int]func(net.Conn){
		TCPEchoPort:    func(c net.Conn) { io.Copy(c, c) },
		TCPDiscardPort: func(c net.Conn) { io.Copy(io.Discard, c) },
	} {
		ln, err := h.Listen("tcp", fmt.Sprintf(":%d", port))
		if err != nil {
			return fmt.Errorf("sim: TCP service on port %d: %w", port, err)
		}
		svc.lns = append(svc.lns, ln)
		svc.done.Add(1)
		go svc.serve(ln, serve)
	}
	ln, err := h.Listen("tcp", fmt.Sprintf(":%d", HTTPPort))
	if err != nil {
		return fmt.Errorf("sim: web server: %w", err)
	}
	page := fmt.Sprintf("Hello from %s, a gotapip stack on the simulated LAN.\n", name)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, page) })
	svc.web = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	svc.done.Add(1)
	go func() {
		defer svc.done.Done()
		svc.web.Serve(ln) // returns when Close closes ln
	}()
	return nil
}

// serve accepts connections on ln until it is closed, serving each on its
// own goroutine, at most maxServiceConns at once.
func (s *tcpServices) serve(ln net.Listener, serve func(net.Conn)) {
	defer s.done.Done()
	slots := make(chan struct{}, maxServiceConns)
	for {
		slots <- struct{}{}
		c, err := ln.Accept()
		if err != nil {
			return
		}
		s.done.Add(1)
		go func() {
			defer s.done.Done()
			defer func() { <-slots }()
			defer c.Close()
			serve(c)
		}()
	}
}

// close stops accepting; the connections end when their stack closes.
func (s *tcpServices) close() {
	for _, ln := range s.lns {
		ln.Close()
	}
	s.web.Close()
}

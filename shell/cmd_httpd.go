package shell

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"
)

var httpdCommand = &Command{
	Name:  "httpd",
	Usage: "[-d DIR] [ADDR:]PORT",
	Brief: "serve a directory over HTTP on the stack's TCP (Go's net/http) until Ctrl-C",
	Help: `Serves the files under DIR (default: the current directory) on
[ADDR:]PORT (no ADDR: every address; port 0 picks one), as python3 -m
http.server does, with a listing for directories. Logs a line per request
in the Common Log Format: client, time, request line, status, bytes. Up to
64 connections are served at once. Ctrl-C stops it: requests under way get
a moment to finish.`,
	Run: runHttpd,
}

// Bounds of the server: how long a client may take to send its headers,
// how big they may be, how long an idle connection stays, and how long
// Ctrl-C waits for requests under way.
const (
	httpdHeaderTimeout = 10 * time.Second
	httpdMaxHeader     = 16 << 10
	httpdIdleTimeout   = 30 * time.Second
	httpdShutdownWait  = 2 * time.Second
)

func runHttpd(ctx context.Context, sh *Shell, args []string) error {
	o, err := parseOpts(args, "d:")
	if err != nil {
		return err
	}
	if len(o.args) != 1 {
		return usage("give the port to serve on, like 8000 or 10.0.0.1:8000")
	}
	addr, err := parseListen(o.args[0])
	if err != nil {
		return fmt.Errorf("httpd: %w", err)
	}
	dir := "."
	if d, ok := o.set['d']; ok {
		dir = d
	}
	if st, err := os.Stat(dir); err != nil {
		return fmt.Errorf("httpd: -d %s: %s", dir, fileError(err))
	} else if !st.IsDir() {
		return fmt.Errorf("httpd: -d %s: not a directory", dir)
	}
	d := sh.dialer()
	ln, err := d.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("httpd: listen on %s: %s", addr, strerror(err))
	}
	abs, _ := filepath.Abs(dir)
	fmt.Fprintf(sh.Out, "httpd: serving %s on http://%s/ (Ctrl-C stops)\n", abs, ln.Addr())
	listening(ctx) // httpd & in a script: the next command may connect now (jobs.go)
	lg := &accessLog{out: sh.Out, now: sh.Stack.Now}
	srv := &http.Server{
		Handler:           lg.wrap(http.FileServer(http.Dir(dir))),
		ReadHeaderTimeout: httpdHeaderTimeout,
		MaxHeaderBytes:    httpdMaxHeader,
		IdleTimeout:       httpdIdleTimeout,
		ErrorLog:          log.New(sh.Err, "httpd: ", 0), // a client's bad request, a handler's panic
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(limitListener(ln, MaxConns)) }()
	select {
	case err := <-served:
		return fmt.Errorf("httpd: %v", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), httpdShutdownWait)
	defer cancel()
	if srv.Shutdown(sctx) != nil {
		srv.Close() // requests still under way: cut them off
	}
	<-served
	lg.close() // no handler writes to the output after httpd returns
	return nil
}

// accessLog writes a line per request, in the Common Log Format.
type accessLog struct {
	out    io.Writer
	now    func() time.Time
	mu     sync.Mutex // one line at a time
	closed bool
}

func (l *accessLog) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rw := &loggedResponse{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(rw, r)
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			host = r.RemoteAddr
		}
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.closed {
			return
		}
		fmt.Fprintf(l.out, "%s - - [%s] \"%s %s %s\" %d %d\n", host, l.now().Format("02/Jan/2006:15:04:05 -0700"),
			r.Method, r.RequestURI, r.Proto, rw.status, rw.bytes)
	})
}

// close ends the log: a request that finishes later is not logged.
func (l *accessLog) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
}

// loggedResponse notes the status and size of a response for the log.
type loggedResponse struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *loggedResponse) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *loggedResponse) Write(b []byte) (int, error) {
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

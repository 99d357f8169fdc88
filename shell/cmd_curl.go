package shell

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

var curlCommand = &Command{
	Name:  "curl",
	Usage: "[-o FILE] [-m SECONDS] [-I|-i] URL",
	Brief: "fetch a URL over the stack's TCP (Go's net/http client)",
	Help: `Fetches URL (http://HOST[:PORT]/PATH; HOST an IPv4 address, or a name the
stack's name servers resolve: resolv) and writes the body out, whatever the
status, as curl does without -f. -o FILE writes it to FILE instead; -I asks
with HEAD and prints the status line and headers, -i prints them before
the body: as the server sent them (order, capitalisation, any 1xx
responses before). -m SECONDS bounds the
whole transfer. Redirects are not followed (curl without -L). Errors carry
curl's numbers: (7) could not connect, (6) could not resolve the name, (28)
timed out (-m, or the connect), (52) empty reply, (56) receive failure.
Ctrl-C stops the transfer.`,
	Run: runCurl,
}

// curlAgent is the User-Agent curl sends.
const curlAgent = "gotapip-curl/1"

func runCurl(ctx context.Context, sh *Shell, args []string) error {
	o, err := parseOpts(args, "o:m:Ii")
	if err != nil {
		return err
	}
	if len(o.args) != 1 {
		return usage("give one URL, like http://10.0.0.2:8000/")
	}
	limit, err := o.secondsOpt('m', 0, time.Millisecond, 24*time.Hour)
	if err != nil {
		return err
	}
	u, err := curlURL(o.args[0])
	if err != nil {
		return err
	}
	d := sh.dialer()
	reqCtx, cancel := ctx, context.CancelFunc(func() {})
	if limit > 0 {
		reqCtx, cancel = context.WithTimeout(ctx, limit)
	}
	defer cancel()
	t := &curlTransfer{url: u, start: time.Now()}
	t.addr, err = sh.resolveHost(reqCtx, u.Hostname())
	switch {
	case err == nil:
		err = t.run(reqCtx, d, sh.Out, o)
	case ctx.Err() != nil: // Ctrl-C
		return nil
	case reqCtx.Err() != nil:
		return fmt.Errorf("curl: (28) Resolving timed out after %d milliseconds", time.Since(t.start).Milliseconds())
	default:
		return fmt.Errorf("curl: (6) Could not resolve host: %s", u.Hostname())
	}
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil: // Ctrl-C
		return nil
	case reqCtx.Err() != nil:
		return fmt.Errorf("curl: (28) Operation timed out after %d milliseconds with %d bytes received",
			time.Since(t.start).Milliseconds(), t.received)
	}
	return err
}

// curlURL parses a URL as curl takes it: http:// may be left out.
func curlURL(s string) (*url.URL, error) {
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("curl: (3) URL rejected: Malformed input to a URL function (%q)", s)
	}
	if u.Scheme != "http" {
		return nil, fmt.Errorf("curl: (1) Protocol %q not supported (this curl speaks http)", u.Scheme)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.ParseUint(p, 10, 16); err != nil || n == 0 {
			return nil, fmt.Errorf("curl: (3) URL rejected: Port number was not a decimal number between 1 and 65535")
		}
	}
	return u, nil
}

// curlTransfer is one fetch: what it has received, for curl's messages.
type curlTransfer struct {
	url      *url.URL
	addr     netip.Addr // the URL's host, resolved
	start    time.Time
	received int64
	raw      *headerRecorder // the connection, keeping the header block for -I and -i
}

// client is the HTTP client of one transfer: one connection, through d
// to the resolved address, kept in t.raw for its header block.
func (t *curlTransfer) client(d Dialer) *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				_, port, _ := net.SplitHostPort(addr) // the host is resolved already
				c, err := d.DialContext(ctx, network, net.JoinHostPort(t.addr.String(), port))
				if err != nil {
					return nil, &curlDialError{err}
				}
				t.raw = &headerRecorder{Conn: c}
				return t.raw, nil
			},
			DisableKeepAlives:      true,
			DisableCompression:     true, // curl asks for no encoding without --compressed
			MaxResponseHeaderBytes: curlMaxHeader,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

func (t *curlTransfer) run(ctx context.Context, d Dialer, stdout io.Writer, o opts) error {
	client := t.client(d)
	defer client.CloseIdleConnections()
	method := http.MethodGet
	if o.has('I') {
		method = http.MethodHead
	}
	req, err := http.NewRequestWithContext(ctx, method, t.url.String(), nil)
	if err != nil {
		return fmt.Errorf("curl: (3) URL rejected: %v", err)
	}
	req.Header.Set("User-Agent", curlAgent)
	req.Header.Set("Accept", "*/*")
	resp, err := client.Do(req)
	if err != nil {
		return t.failure(err)
	}
	defer resp.Body.Close()
	out := stdout
	if name, ok := o.set['o']; ok {
		f, err := os.Create(name)
		if err != nil {
			return fmt.Errorf("curl: (23) Failure writing output to destination: %s: %s", name, fileError(err))
		}
		defer f.Close()
		out = f
	}
	if o.has('I') || o.has('i') {
		if err := t.writeHeaders(out); err != nil {
			return err
		}
	}
	if !o.has('I') {
		_, err = io.Copy(&countingWriter{out, &t.received}, resp.Body)
	}
	if err != nil {
		return t.failure(err)
	}
	return nil
}

// writeHeaders writes the header block as received, for -I and -i.
func (t *curlTransfer) writeHeaders(out io.Writer) error {
	block, ok := t.raw.headers()
	if !ok { // net/http parsed a block longer than the copy keeps
		return errors.New("curl: (8) Weird server reply: the response's header block was cut short")
	}
	if _, err := io.WriteString(out, block); err != nil {
		return t.failure(&writeError{err})
	}
	return nil
}

// curlDialError marks an error of the connect, for curl's (7).
type curlDialError struct{ err error }

func (e *curlDialError) Error() string { return e.err.Error() }
func (e *curlDialError) Unwrap() error { return e.err }

// failure words a failed transfer as curl does.
func (t *curlTransfer) failure(err error) error {
	var dial *curlDialError
	var werr *writeError
	switch {
	case errors.As(err, &dial) && errors.Is(dial.err, syscall.ETIMEDOUT): // SYN retransmissions gave up
		return fmt.Errorf("curl: (28) Failed to connect to %s port %s after %d ms: Connection timed out",
			t.url.Hostname(), t.port(), time.Since(t.start).Milliseconds())
	case errors.As(err, &dial):
		return fmt.Errorf("curl: (7) Failed to connect to %s port %s: %s", t.url.Hostname(), t.port(), strerror(dial.err))
	case errors.As(err, &werr):
		return fmt.Errorf("curl: (23) Failure writing output to destination: %s", fileError(werr.err))
	case errors.Is(err, syscall.ECONNRESET):
		return errors.New("curl: (56) Recv failure: Connection reset by peer")
	case errors.Is(err, io.EOF) && t.received == 0:
		return errors.New("curl: (52) Empty reply from server")
	}
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err
	}
	return fmt.Errorf("curl: (56) Recv failure: %s", strerror(err))
}

func (t *curlTransfer) port() string {
	if p := t.url.Port(); p != "" {
		return p
	}
	return "80"
}

// countingWriter counts what is written through it, and marks its errors
// as the destination's, not the connection's.
type countingWriter struct {
	w io.Writer
	n *int64
}

func (c *countingWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	*c.n += int64(n)
	if err != nil {
		return n, &writeError{err}
	}
	return n, nil
}

type writeError struct{ err error }

func (e *writeError) Error() string { return e.err.Error() }

package shell

import (
	"bytes"
	"net"
	"sync"
)

// curl -I and -i print the response's header block as the server sent
// it: its status line, its header order and its capitalisation, as curl
// does. Go's http.Response has only a map (sorted on printing, names
// canonicalised), so the bytes are copied as the Transport reads them.

// curlMaxHeader bounds one response's header block (curl's
// CURL_MAX_HTTP_HEADER, 100 KB); the Transport refuses a longer one.
const curlMaxHeader = 100 << 10

// curlMax1xx is how many informational (1xx) responses may come before
// the final one: net/http's limit, so the copy never ends short.
const curlMax1xx = 5

// headerRecorder is a connection that keeps the bytes read from it until
// the header block of the final (not 1xx) response has ended, 1xx blocks
// before it included, as curl prints them.
type headerRecorder struct {
	net.Conn
	mu      sync.Mutex
	buf     []byte
	scanned int  // bytes of buf already split into lines
	block   int  // where the current response's status line starts
	done    bool // the final response's blank line was read
}

func (r *headerRecorder) Read(p []byte) (int, error) {
	n, err := r.Conn.Read(p)
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.done && n > 0 {
		room := (curlMax1xx+2)*curlMaxHeader - len(r.buf) // net/http's limits, and a margin
		r.buf = append(r.buf, p[:min(n, max(room, 0))]...)
		r.scan()
	}
	return n, err
}

// scan reads the complete lines not yet seen: a blank one ends a block;
// the block of a 1xx response (but 101, a protocol switch) is followed
// by another. Whatever was read past the final block is cut off.
func (r *headerRecorder) scan() {
	for !r.done {
		nl := bytes.IndexByte(r.buf[r.scanned:], '\n')
		if nl < 0 {
			return
		}
		line := bytes.TrimRight(r.buf[r.scanned:r.scanned+nl], "\r")
		r.scanned += nl + 1
		if len(line) > 0 {
			continue
		}
		if !informational(r.buf[r.block:]) {
			r.buf, r.done = r.buf[:r.scanned], true
			return
		}
		r.block = r.scanned
	}
}

// informational reports whether the status line that starts block has
// a 1xx code other than 101 ("HTTP/1.1 103 Early Hints").
func informational(block []byte) bool {
	_, rest, _ := bytes.Cut(block, []byte(" "))
	return len(rest) >= 3 && rest[0] == '1' && string(rest[:3]) != "101"
}

// headers returns the header blocks as received, once complete.
func (r *headerRecorder) headers() (string, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return string(r.buf), r.done
}

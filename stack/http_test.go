package stack_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/gotapip/gotapip/internal/stacktest"
	"github.com/gotapip/gotapip/stack"
)

// Go's net/http runs over the stack's connections unchanged: a server on
// b's listener, a client dialing through a, a 1 MB body, keep-alive
// reuse of the connection.
func TestTCPNetHTTPOverPipeLAN(t *testing.T) {
	a, b, _, _ := stacktest.Pair(t, 3, stack.Config{}, stack.Config{})
	ln, err := b.Listen("tcp", ":80")
	if err != nil {
		t.Fatal(err)
	}
	body := bytes.Repeat([]byte("0123456789abcdef"), 1<<16)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(body) })}
	go srv.Serve(ln)
	defer srv.Close()
	dials := 0
	client := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (c net.Conn, err error) {
			dials++
			return a.DialContext(ctx, network, addr)
		},
	}}
	for range 2 {
		resp, err := client.Get("http://10.0.0.2/file")
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || !bytes.Equal(got, body) {
			t.Fatalf("body: %d bytes, %v", len(got), err)
		}
	}
	if dials != 1 {
		t.Errorf("%d dials for two requests, want the connection kept alive", dials)
	}
}

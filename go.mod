module github.com/gotapip/gotapip

go 1.26.8

require (
	github.com/fatih/color v1.19.0
	github.com/gopacket/gopacket v1.7.7
	github.com/mattn/go-isatty v0.0.20
	golang.org/x/net v0.55.0
	golang.org/x/sys v0.49.0
	golang.org/x/term v0.47.0
)

require github.com/mattn/go-colorable v0.1.14 // indirect

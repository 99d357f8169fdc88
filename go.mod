module github.com/gotapip/gotapip

go 1.26.8

require (
	github.com/songgao/water v0.0.0-20200317203138-2b4b6d7c09d8
	golang.org/x/sys v0.49.0
)

require github.com/gopacket/gopacket v1.7.7

package shell

// commandTable is the one table of commands: dispatch, help and tab
// completion all read it.
func commandTable() []*Command {
	return []*Command{
		pingCommand,
		arpcacheCommand,
		routeCommand,
		ifconfigCommand,
		netdevCommand,
		ipfwdCommand,
		sysctlCommand,
		debugCommand,
		statCommand,
		captureCommand,
		arpingCommand,
		tracerouteCommand,
		sleepCommand,
		echoCommand,
		udpCommand,
		sncCommand,
		curlCommand,
		httpdCommand,
		helpCommand,
		clearCommand,
		exitCommand("exit"),
		exitCommand("quit"),
	}
}

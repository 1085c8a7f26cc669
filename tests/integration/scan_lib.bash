# scan_lib.bash — helpers of the scan_* integration tests (sourced after
# lib.sh): loopback listeners started with perl (perl-base is part of every
# Debian system), and a port that is certainly closed.

# listen_banner FILE TEXT: starts a listener on a random 127.0.0.1 port that
# sends TEXT to every connection; writes the port to FILE once listening.
listen_banner() {
	local file=$1 text=$2
	perl -MIO::Socket::INET -e '
		my ($file, $text) = @ARGV;
		my $s = IO::Socket::INET->new(Listen => 64, LocalAddr => "127.0.0.1",
			LocalPort => 0, ReuseAddr => 1) or die "listen: $!";
		open(my $f, ">", "$file.tmp") or die; print $f $s->sockport, "\n"; close $f;
		rename("$file.tmp", $file);
		$SIG{PIPE} = "IGNORE";
		while (my $c = $s->accept) { print $c $text; close $c; }
	' "$file" "$text" &
	PIDS="$PIDS $!"
	wait_for 10 test -s "$file" || fail "listener did not start"
}

# closed_port: a port that was free a moment ago (bound, then released).
closed_port() {
	perl -MIO::Socket::INET -e '
		my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => 0, Proto => "tcp")
			or die; print $s->sockport, "\n";'
}

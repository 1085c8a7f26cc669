# scan_lib.bash — helpers of the scanner tests (sourced after lib.sh, which
# has listen_banner and closed_port): an HTTP server, TLS servers and their
# certificates, a listener that answers a probe.

# listen_http FILE SERVER TITLE: starts a small HTTP server on a random
# 127.0.0.1 port (port written to FILE): every request gets a page titled
# TITLE with "Server: SERVER"; a request with a Range header gets 206, as
# a server with the Apache byterange bug (CVE-2011-3192) answers.  One
# child per connection, each gone after 5 s of silence.
listen_http() {
	local file=$1 server=$2 title=$3
	perl -MIO::Socket::INET -e '
		my ($file, $server, $title) = @ARGV;
		my $s = IO::Socket::INET->new(Listen => 64, LocalAddr => "127.0.0.1",
			LocalPort => 0, ReuseAddr => 1) or die "listen: $!";
		open(my $f, ">", "$file.tmp") or die; print $f $s->sockport, "\n"; close $f;
		rename("$file.tmp", $file);
		$SIG{PIPE} = "IGNORE"; $SIG{CHLD} = "IGNORE";
		while (my $c = $s->accept) {
			if (fork) { close $c; next; }
			alarm 5;
			my ($head, $range) = (0, 0);
			my $first = <$c>; exit unless defined $first;
			$head = 1 if $first =~ /^HEAD /;
			while (my $l = <$c>) { $range = 1 if $l =~ /^Range:/i; last if $l =~ /^\r?\n$/; }
			my $body = "<html><head><title>$title</title></head><body>ok</body></html>\n";
			print $c ($range ? "HTTP/1.1 206 Partial Content\r\n" : "HTTP/1.1 200 OK\r\n"),
				"Server: $server\r\nContent-Type: text/html\r\nContent-Length: ",
				length($body), "\r\nConnection: close\r\n\r\n", ($head ? "" : $body);
			exit;
		}
	' "$file" "$server" "$title" &
	PIDS="$PIDS $!"
	wait_for 10 "the http listener" test -s "$file"
}

# tls_server FILE ARGS...: starts `openssl s_server` on a free 127.0.0.1
# port with ARGS (cert, key, ciphers...) and writes the port to FILE once
# it accepts connections.
tls_server() {
	local file=$1 port; shift
	port=$(closed_port)
	openssl s_server -accept "127.0.0.1:$port" -quiet "$@" </dev/null >/dev/null 2>"$file.err" &
	PIDS="$PIDS $!"
	wait_for 10 "s_server $* (errors: $file.err)" bash -c "exec 3<>/dev/tcp/127.0.0.1/$port"
	echo "$port" > "$file"
}

# make_cert NAME CN DAYS [KEYARGS...]: a self-signed certificate $T/NAME.crt
# with key $T/NAME.key for CN (also its DNS subjectAltName), valid for DAYS
# days from now, or, with DAYS "expired", for January 2020 only (openssl
# ca backdates; req cannot).  KEYARGS default to -newkey rsa:2048.
make_cert() {
	local name=$1 cn=$2 days=$3; shift 3
	local keyargs=("$@") d="$T/ca-$name"
	[ ${#keyargs[@]} -eq 0 ] && keyargs=(-newkey rsa:2048)
	mkdir -p "$d" && : > "$d/index.txt" && echo 01 > "$d/serial"
	printf '[ca]\ndefault_ca=d\n[d]\ndir=%s\ndatabase=%s/index.txt\nnew_certs_dir=%s\nserial=%s/serial\ndefault_md=sha256\npolicy=p\ncopy_extensions=copy\n[p]\ncommonName=supplied\n' \
		"$d" "$d" "$d" "$d" > "$d/ca.cnf"
	openssl req -new "${keyargs[@]}" -nodes -keyout "$T/$name.key" -out "$d/csr" -subj "/CN=$cn" \
		-addext "subjectAltName=DNS:$cn" 2>"$d/err" || fail "openssl req for $name: $(cat "$d/err")"
	if [ "$days" = expired ]; then
		set -- -startdate 20200101000000Z -enddate 20200201000000Z
	else
		set -- -days "$days"
	fi
	openssl ca -batch -notext -config "$d/ca.cnf" -selfsign -keyfile "$T/$name.key" -in "$d/csr" \
		-out "$T/$name.crt" "$@" 2>"$d/err" || fail "openssl ca for $name: $(cat "$d/err")"
}

# listen_reply FILE PERLCODE: a listener on a free 127.0.0.1 port (port in
# FILE) that runs PERLCODE for every connection with the client in $c,
# one child per connection, gone after 5 s.
listen_reply() {
	local file=$1 code=$2
	perl -MIO::Socket::INET -e '
		my ($file, $code) = @ARGV;
		my $s = IO::Socket::INET->new(Listen => 64, LocalAddr => "127.0.0.1",
			LocalPort => 0, ReuseAddr => 1) or die "listen: $!";
		open(my $f, ">", "$file.tmp") or die; print $f $s->sockport, "\n"; close $f;
		rename("$file.tmp", $file);
		$SIG{PIPE} = "IGNORE"; $SIG{CHLD} = "IGNORE";
		while (my $c = $s->accept) {
			if (fork) { close $c; next; }
			alarm 5; $c->autoflush(1);
			eval $code; exit;
		}
	' "$file" "$code" &
	PIDS="$PIDS $!"
	wait_for 10 "listener $file" test -s "$file"
}

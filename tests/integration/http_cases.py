#!/usr/bin/env python3
"""http_cases.py — the loopback web servers of scan_http.sh, each playing
one case for the `http` scanner: a plain page, TLS with SANs, an expired
certificate, a redirect chain that leaves the scope, a redirect loop, a
body that never ends, a 10 MiB body, a slowloris, a gzip bomb, invalid
UTF-8, a huge header, a silent port.

Usage: http_cases.py DIR CERT KEY OLDCERT OLDKEY — listens on 127.0.0.1
only, one free port a case, and writes DIR/ports ("name port" lines) once
every listener is up.  A thread a connection; a client that sends a TLS
ClientHello to a plain case gets "400 Bad Request", as nginx answers.
"""
import gzip, os, socket, ssl, sys, threading, time

DIR, CERT, KEY, OLDCERT, OLDKEY = sys.argv[1:6]
PORTS = {}
BOMB = gzip.compress(b"\0" * (64 << 20), 9)	# 64 MiB of zeros in about 64 KiB


def read_request(c):
    """The request head, or None (a TLS hello, a silent or closed client)."""
    data = b""
    while b"\r\n\r\n" not in data and len(data) < 65536:
        chunk = c.recv(4096)
        if not chunk:
            return None
        if not data and chunk[:1] == b"\x16":
            c.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            return None
        data += chunk
    return data.decode("latin-1")


def reply(c, status, headers, body=b""):
    head = "HTTP/1.1 %s\r\n" % status
    for k, v in headers:
        head += "%s: %s\r\n" % (k, v)
    c.sendall(head.encode("latin-1") + b"Connection: close\r\n\r\n" + body)


def page(title, extra=b""):
    return b"<html><head><title>" + title + b"</title></head><body>" + extra + b"</body></html>\n"


def case_plain(c, path):
    body = page(b"Plain  Page &amp; more", b'<script src="/js/jquery-3.6.4.min.js"></script>')
    if path == "/favicon.ico":
        reply(c, "200 OK", [("Content-Type", "image/x-icon"), ("Content-Length", "4")], b"\0\1\2\3")
        return
    reply(c, "200 OK", [("Server", "nginx/1.22.1"), ("X-Powered-By", "PHP/8.2.7"), ("Content-Type", "text/html"),
                        ("Set-Cookie", "PHPSESSID=abc; path=/"), ("Content-Length", str(len(body)))], body)


def case_jenkins(c, path):
    body = page(b"Dashboard [Jenkins]")
    reply(c, "200 OK", [("X-Jenkins", "2.401.3"), ("Content-Type", "text/html;charset=utf-8"),
                        ("Content-Length", str(len(body)))], body)


def case_redirect(c, path):
    # / -> /two (same server) -> localhost on the "outside" case's port
    # (a name in scope: resolved, checked, followed) -> an address out of
    # scope (recorded, not followed).
    steps = {"/": "/two", "/two": "http://localhost:%d/" % PORTS["outside"]}
    if path in steps:
        reply(c, "302 Found", [("Location", steps[path]), ("Content-Length", "0")])
    else:
        reply(c, "404 Not Found", [("Content-Length", "0")])


def case_outside(c, path):
    reply(c, "301 Moved Permanently", [("Location", "http://198.51.100.7:8080/admin"), ("Content-Length", "0")])


def case_loop(c, path):
    n = int(path.strip("/") or 0)
    reply(c, "302 Found", [("Location", "/%d" % (n + 1)), ("Content-Length", "0")])


def case_endless(c, path):
    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n"
              b"<html><head><title>Endless</title></head><body>")
    while True:
        c.sendall(b"<p>more</p>")
        time.sleep(0.05)


def case_big(c, path):
    size = 10 << 20
    c.sendall(("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n" % size).encode())
    c.sendall(page(b"Ten MiB"))
    chunk = b"x" * 65536
    sent = len(page(b"Ten MiB"))
    while sent < size:
        n = min(len(chunk), size - sent)
        c.sendall(chunk[:n])
        sent += n


def case_slowloris(c, path):
    for b in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 1000:
        c.sendall(bytes([b]))
        time.sleep(0.2)


def case_bomb(c, path):
    reply(c, "200 OK", [("Content-Type", "text/html"), ("Content-Encoding", "gzip"),
                        ("Content-Length", str(len(BOMB)))], BOMB)


def case_badutf8(c, path):
    body = b"<html><head><title>caf\xe9 \xff\xfe\xc3( ok</title></head></html>"
    c.sendall(b"HTTP/1.1 200 OK\r\nServer: b\xe4d\x01server\r\nContent-Type: text/html\r\nContent-Length: "
              + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body)


def case_hugeheader(c, path):
    reply(c, "200 OK", [("X-Huge", "h" * (1 << 20)), ("Content-Length", "0")])


def case_silent(c, path):
    time.sleep(30)


CASES = {"plain": case_plain, "tls": case_jenkins, "expired": case_jenkins, "redirect": case_redirect,
         "outside": case_outside, "loop": case_loop, "endless": case_endless, "big": case_big,
         "slowloris": case_slowloris, "bomb": case_bomb, "badutf8": case_badutf8,
         "hugeheader": case_hugeheader, "silent": case_silent}
TLS = {"tls": (CERT, KEY), "expired": (OLDCERT, OLDKEY)}


def serve_conn(name, c):
    try:
        c.settimeout(20)
        if name in TLS:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(*TLS[name])
            c = ctx.wrap_socket(c, server_side=True)
        if name == "silent":
            time.sleep(30)
            return
        req = read_request(c)
        if req is None:
            return
        path = req.split(" ")[1] if len(req.split(" ")) > 1 else "/"
        CASES[name](c, path)
    except (OSError, ssl.SSLError, ValueError):
        pass
    finally:
        try:
            c.close()
        except OSError:
            pass


def listen(name, s):
    while True:
        c, _ = s.accept()
        threading.Thread(target=serve_conn, args=(name, c), daemon=True).start()


socks = {}
for name in CASES:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(64)
    socks[name] = s
    PORTS[name] = s.getsockname()[1]
for name, s in socks.items():
    threading.Thread(target=listen, args=(name, s), daemon=True).start()
with open(os.path.join(DIR, "ports.tmp"), "w") as f:
    for name, port in PORTS.items():
        f.write("%s %d\n" % (name, port))
os.rename(os.path.join(DIR, "ports.tmp"), os.path.join(DIR, "ports"))
while True:
    time.sleep(3600)

#!/usr/bin/env python3
# webhook_receiver.py PORT PORTFILE SECRET LOG MODEFILE — a webhook receiver on
# 127.0.0.1 for the tests.  Each POST is checked as the README says a
# receiver should: HMAC-SHA256(secret, TIMESTAMP "." BODY) must equal
# X-Scanq-Signature (v1=HEX), and the body's "id" must equal
# X-Scanq-Delivery.  Each request appends one line to LOG:
#   DELIVERY_ID EVENT sig=ok|bad MODE
# The answer follows MODEFILE (read at each request): "ok" (204), "500",
# "slow N" (sleep N seconds, then 204), "big" (a 1 MiB answer), "302" (a
# redirect elsewhere).
import hashlib, hmac, json, sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

port, portfile, secret, log, modefile = int(sys.argv[1]), sys.argv[2], sys.argv[3].encode(), sys.argv[4], sys.argv[5]

class H(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        ts = self.headers.get("X-Scanq-Timestamp", "")
        want = "v1=" + hmac.new(secret, ts.encode() + b"." + body, hashlib.sha256).hexdigest()
        ok = hmac.compare_digest(want, self.headers.get("X-Scanq-Signature", ""))
        try:
            doc = json.loads(body)
        except ValueError:
            doc = {}
        ok = ok and doc.get("id") == self.headers.get("X-Scanq-Delivery")
        try:
            mode = open(modefile).read().strip() or "ok"
        except OSError:
            mode = "ok"
        with open(log, "a") as f:
            f.write("%s %s sig=%s %s\n" % (doc.get("id"), doc.get("event"), "ok" if ok else "bad", mode.split()[0]))
        with open(log + ".bodies", "a") as f:
            f.write(body.decode() + "\n")
        if mode.startswith("slow"):
            time.sleep(float(mode.split()[1]))
        if mode == "500":
            self.send_response(500)
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif mode == "302":
            self.send_response(302)
            self.send_header("Location", "http://127.0.0.1:1/elsewhere")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif mode == "big":
            self.send_response(200)
            self.send_header("Content-Length", str(1 << 20))
            self.end_headers()
            self.wfile.write(b"x" * (1 << 20))
        else:
            self.send_response(204)
            self.end_headers()

s = ThreadingHTTPServer(("127.0.0.1", port), H)
with open(portfile + ".tmp", "w") as f:
    f.write("%d\n" % s.server_address[1])
import os
os.rename(portfile + ".tmp", portfile)
s.serve_forever()

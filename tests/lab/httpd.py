#!/usr/bin/python3
"""HTTP/1.1 server for the knetscan capture lab.

Persistent connections, one thread per connection, dual-stack sockets, and
content that depends only on the path, so that the captures say the same
thing every time they are made:

    /, /index.html          a small page
    /page.html              a page that references WEB_OBJECTS objects
                            under http://static.<zone>/static/
    /static/obj-NN.EXT      an object of a size fixed by NN
    /bytes/N                N bytes of a repeating pattern (N <= 1 GiB)
    /status                 "ok"
    /search                 an empty result page
    /account/verify, /signin   a login form (the phishing host's pages)
    POST to any path        201 and the number of body bytes received
    anything else           404

    httpd.py --port 80 --port 8080 --zone lab.example --objects 40
"""

import argparse
import http.server
import socket
import sys
import threading

MAX_BYTES = 1 << 30
MAX_POST = 1 << 20
CHUNK = 65536
EXTS = ("css", "js", "png", "svg")


def object_size(n):
    return 1000 + (n * 2371) % 14000


def object_name(n):
    return "obj-%02d.%s" % (n, EXTS[n % len(EXTS)])


def pattern(n):
    line = b"ksvm lab payload 0123456789 abcdefghijklmnopqrstuvwxyz\n"
    reps = n // len(line) + 1
    return (line * reps)[:n]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ksvm-lab-httpd/1"
    sys_version = ""

    def log_message(self, fmt, *args):
        sys.stderr.write("httpd: %s %s\n" % (self.address_string(), fmt % args))

    def reply(self, code, ctype, body, send_body=True):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def route(self, send_body):
        path = self.path.split("?", 1)[0]
        opts = self.server.opts
        if path in ("/", "/index.html"):
            body = b"<html><head><title>ksvm lab</title></head><body>ksvm lab</body></html>\n"
            return self.reply(200, "text/html", body, send_body)
        if path == "/page.html":
            refs = "".join('<img src="http://static.%s/static/%s">\n' % (opts.zone, object_name(i))
                           for i in range(1, opts.objects + 1))
            body = ("<html><body>\n%s</body></html>\n" % refs).encode()
            return self.reply(200, "text/html", body, send_body)
        if path.startswith("/static/obj-"):
            for i in range(1, opts.objects + 1):
                if path == "/static/" + object_name(i):
                    return self.reply(200, "application/octet-stream",
                                      pattern(object_size(i)), send_body)
        if path.startswith("/bytes/") and path[7:].isdigit() and int(path[7:]) <= MAX_BYTES:
            n = int(path[7:])
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(n))
            self.end_headers()
            if send_body:
                block = pattern(CHUNK)
                left = n
                while left > 0:
                    k = min(left, CHUNK)
                    self.wfile.write(block[:k])
                    left -= k
            return None
        if path == "/status":
            return self.reply(200, "text/plain", b"ok\n", send_body)
        if path == "/search":
            return self.reply(200, "text/html", b"<html><body>no results</body></html>\n",
                              send_body)
        if path in ("/account/verify", "/signin"):
            body = (b'<html><body><form method="post" action="/signin">'
                    b'<input name="user"><input name="password" type="password">'
                    b'</form></body></html>\n')
            return self.reply(200, "text/html", body, send_body)
        return self.reply(404, "text/plain", b"not found\n", send_body)

    def do_GET(self):
        self.route(True)

    def do_HEAD(self):
        self.route(False)

    def do_POST(self):
        try:
            n = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            n = -1
        if n < 0 or n > MAX_POST:
            self.close_connection = True
            return self.reply(413, "text/plain", b"too large\n")
        got = len(self.rfile.read(n))
        return self.reply(201, "application/json", b'{"received":%d}\n' % got)


class Server(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6
    daemon_threads = True

    def server_bind(self):
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        super().server_bind()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--port", type=int, action="append", required=True)
    ap.add_argument("--zone", required=True)
    ap.add_argument("--objects", type=int, default=40)
    opts = ap.parse_args()
    servers = []
    for port in opts.port:
        srv = Server(("::", port), Handler)
        srv.opts = opts
        servers.append(srv)
    for srv in servers[1:]:
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    print("httpd: listening on ports %s" % " ".join(map(str, opts.port)),
          file=sys.stderr, flush=True)
    servers[0].serve_forever()


if __name__ == "__main__":
    main()

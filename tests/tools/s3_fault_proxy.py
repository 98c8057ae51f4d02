#!/usr/bin/env python3
"""A fault-injecting HTTP proxy for S3 tests (stdlib only).

Sits between ticklake and an S3 server (moto) and fails a fraction of the
requests the way real S3 and real networks do:

  500       answer 500 InternalError without forwarding
  503       answer 503 SlowDown without forwarding
  reset     reset the connection before forwarding
  lost      forward the request (it takes effect!), then reset instead of
            answering: the client cannot know whether it worked

The rest are forwarded unchanged. Writing "outage" into the control file
makes every request fail with 503 until the file says something else.

usage: s3_fault_proxy.py --upstream http://127.0.0.1:PORT [--rate 0.1]
         [--seed N] [--control FILE] [--stats FILE] [--port-file FILE]
Prints the port it listens on (loopback) on stdout, then serves forever.
"""
import argparse
import http.client
import http.server
import json
import os
import random
import socket
import struct
import sys
import threading
import urllib.parse

KINDS = ("500", "503", "reset", "lost")


class State:
    def __init__(self, args):
        self.rng = random.Random(args.seed)
        self.rate = args.rate
        self.control = args.control
        self.stats_path = args.stats
        self.lock = threading.Lock()
        self.counts = {k: 0 for k in KINDS + ("forwarded", "outage")}

    def pick(self):
        outage = False
        if self.control:
            try:
                with open(self.control) as f:
                    outage = f.read().strip() == "outage"
            except OSError:
                pass
        with self.lock:
            if outage:
                kind = "outage"
            elif self.rng.random() < self.rate:
                kind = self.rng.choice(KINDS)
            else:
                kind = None
            self.counts[kind or "forwarded"] += 1
            if self.stats_path:
                with open(self.stats_path + ".tmp", "w") as f:
                    json.dump(self.counts, f)
                os.replace(self.stats_path + ".tmp", self.stats_path)
        return kind


def error_xml(code, msg):
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>%s</Code><Message>%s</Message>'
        "<RequestId>FAULTPROXY</RequestId></Error>" % (code, msg)
    ).encode()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    state = None
    upstream = None

    def log_message(self, fmt, *args):  # quiet
        pass

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def reset(self):
        # SO_LINGER 0: close() sends RST, as a crashed load balancer would
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        try:
            self.connection.close()
        except OSError:
            pass

    def answer(self, status, body, headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def forward(self, body):
        up = urllib.parse.urlsplit(self.upstream)
        conn = http.client.HTTPConnection(up.hostname, up.port, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection",)}
        conn.request(self.command, self.path, body=body, headers=headers)
        r = conn.getresponse()
        data = r.read()
        conn.close()
        hop = ("connection", "transfer-encoding", "content-length", "keep-alive")
        return r.status, data, [(k, v) for k, v in r.getheaders() if k.lower() not in hop]

    def handle_any(self):
        kind = self.state.pick()
        body = self.read_body() if kind != "reset" else b""
        if kind == "reset":
            return self.reset()
        if kind == "500":
            return self.answer(500, error_xml("InternalError", "injected by the fault proxy"))
        if kind in ("503", "outage"):
            return self.answer(503, error_xml("SlowDown", "Please reduce your request rate."))
        try:
            status, data, headers = self.forward(body)
        except OSError as e:
            return self.answer(502, error_xml("BadGateway", str(e)))
        if kind == "lost":
            return self.reset()
        self.answer(status, data, headers)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_any


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--upstream", required=True)
    ap.add_argument("--rate", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--control")
    ap.add_argument("--stats")
    ap.add_argument("--port-file")
    args = ap.parse_args()
    Handler.state = State(args)
    Handler.upstream = args.upstream
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    port = srv.server_address[1]
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write("%d\n" % port)
        os.replace(args.port_file + ".tmp", args.port_file)
    print(port, flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())

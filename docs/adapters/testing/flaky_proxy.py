#!/usr/bin/env python3
"""A proxy in front of Costline that fails on purpose, to test an adapter's retries.

    python3 flaky_proxy.py --upstream http://127.0.0.1:3000 --port-file /tmp/port \\
        --drop 2 --unavailable 4

Forwards every request to the upstream server, except for the cost-event POSTs it was told
to spoil, counted from 1 in the order they arrive:

- `--drop N`: the Nth is forwarded (so Costline stores the event), then the connection is
  closed without an answer: the adapter cannot know whether it was stored.
- `--unavailable N`: the Nth is answered 503 without being forwarded, as Costline answers
  when its database is unreachable.

`GET /__proxy/faults` answers what was injected: `{"posts", "dropped", "unavailable"}`.
It listens on a free port of 127.0.0.1 and writes the port to `--port-file`. Standard
library only.
"""

import argparse
import http.client
import http.server
import json
import os
import threading
import urllib.parse

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--drop", type=int, action="append", default=[])
    parser.add_argument("--unavailable", type=int, action="append", default=[])
    args = parser.parse_args()
    upstream = urllib.parse.urlsplit(args.upstream)
    lock = threading.Lock()
    faults = {"posts": 0, "dropped": 0, "unavailable": 0}

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_):
            pass

        def do_GET(self):
            if self.path == "/__proxy/faults":
                with lock:
                    self.answer(200, json.dumps(faults).encode(), "application/json")
                return
            self.forward()

        def do_POST(self):
            fault = None
            if self.path.endswith("/cost-events"):
                with lock:
                    faults["posts"] += 1
                    n = faults["posts"]
                    if n in args.drop:
                        fault = "dropped"
                    elif n in args.unavailable:
                        fault = "unavailable"
                    if fault:
                        faults[fault] += 1
            if fault == "unavailable":
                self.read_body()
                body = b'{"error":"injected by the test proxy: service unavailable"}'
                self.answer(503, body, "application/json")
            elif fault == "dropped":
                self.forward(send_answer=False)
                self.close_connection = True
            else:
                self.forward()

        def read_body(self) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def forward(self, send_answer=True):
            body = self.read_body()
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            conn = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=60)
            try:
                conn.request(self.command, self.path, body=body or None, headers=headers)
                response = conn.getresponse()
                data = response.read()
            finally:
                conn.close()
            if not send_answer:
                return
            self.send_response(response.status)
            for k, v in response.getheaders():
                if k.lower() not in HOP_BY_HOP:
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def answer(self, status, body, content_type):
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.replace(args.port_file + ".tmp", args.port_file)  # whole, or not there yet
    server.serve_forever()


if __name__ == "__main__":
    main()

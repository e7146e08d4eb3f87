"""A real HTTP server on 127.0.0.1 playing a WeCom or DingTalk group robot, with the robots'
rules: DingTalk's signature and a timestamp within an hour of its clock, WeCom's 4096-byte
limit on markdown content, and at most `limit` messages in any `window` seconds (the next one
is answered rate limited: WeCom errcode 45009, DingTalk 130101)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

TOKEN = "test-token-0123"  # the webhook key / access token in the URL
SECRET = "SECtest0123456789"


@dataclass
class Robot:
    kind: str  # "wecom" or "dingtalk"
    limit: int = 20
    window: float = 60.0
    secret: str = SECRET
    drop: bool = False  # take the request, then hang up without an answer
    # Another system posting to the same robot: that many of its messages arrive just
    # before our first one (they count against the limit).
    others: int = 0
    accepted: list[dict] = field(default_factory=list)  # payloads that reached the group
    accepted_at: list[float] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)  # every errcode answered
    lock: threading.Lock = field(default_factory=threading.Lock)
    _recent: deque = field(default_factory=deque)

    def texts(self) -> list[str]:
        key = "content" if self.kind == "wecom" else "text"
        return [p["markdown"][key] for p in self.accepted]

    def max_in_window(self) -> int:
        times, best, start = sorted(self.accepted_at), 0, 0
        for end, t in enumerate(times):
            while t - times[start] >= self.window:
                start += 1
            best = max(best, end - start + 1)
        return best

    def answer(self, query: dict[str, list[str]], payload: dict) -> int:
        if query.get("key" if self.kind == "wecom" else "access_token") != [TOKEN]:
            return 93000  # invalid webhook
        if self.kind == "dingtalk":
            ts, sign = query.get("timestamp", [""])[0], query.get("sign", [""])[0]
            if not ts.isdigit() or abs(int(ts) / 1000 - time.time()) > 3600:
                return 310000  # timestamp outside the robot's window
            mac = hmac.new(self.secret.encode(), f"{ts}\n{self.secret}".encode(), hashlib.sha256)
            if not hmac.compare_digest(sign, base64.b64encode(mac.digest()).decode()):
                return 310000  # signature mismatch
            if not payload.get("markdown", {}).get("title"):
                return 300001
        if payload.get("msgtype") != "markdown":
            return 40008
        text = payload["markdown"].get("content" if self.kind == "wecom" else "text", "")
        if self.kind == "wecom" and len(text.encode("utf-8")) > 4096:
            return 40058  # content exceeds 4096 bytes
        with self.lock:
            now = time.monotonic()
            if self.others and not self.accepted:
                self._recent.extend([now] * self.others)
                self.accepted_at.extend([now] * self.others)
            while self._recent and self._recent[0] <= now - self.window:
                self._recent.popleft()
            if len(self._recent) >= self.limit:
                return 45009 if self.kind == "wecom" else 130101
            self._recent.append(now)
            self.accepted.append(payload)
            self.accepted_at.append(now)
        return 0


def serve(robot: Robot, port: int = 0) -> tuple[ThreadingHTTPServer, str]:
    """Start the robot; returns the server and its webhook URL (with the token)."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server hook
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            url = urlsplit(self.path)
            query = parse_qs(url.query)  # parse_qs decodes the URL-encoded sign
            payload = json.loads(body)
            if robot.drop:
                with robot.lock:
                    robot.accepted.append(payload)
                    robot.accepted_at.append(time.monotonic())
                self.close_connection = True
                self.connection.shutdown(2)
                return
            code = robot.answer(query, payload)
            with robot.lock:
                robot.answers.append(code)
            data = json.dumps({"errcode": code, "errmsg": "ok" if code == 0 else "err"}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host, bound = server.server_address[:2]
    path = "/cgi-bin/webhook/send?key=" if robot.kind == "wecom" else "/robot/send?access_token="
    return server, f"http://{host}:{bound}{path}{TOKEN}"

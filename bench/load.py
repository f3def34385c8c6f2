"""Load from outside the servers: wrk for request rates, a plain HTTP client for the CSV."""

import http.client
import http.cookies
import json
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

WRK_DIR = Path(__file__).resolve().parent / "wrk"
# A request slower than this counts as a timeout error rather than a latency figure.
WRK_TIMEOUT = "10s"


def require_wrk():
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")


def wrk(url, **options):
    """Run wrk against `url` and return its figures (see wrk/common.lua) plus rates."""
    return wrk_figures(start_wrk(url, **options), options["duration"])


def start_wrk(url, *, script="read.lua", args=(), duration, connections, threads):
    """Start wrk in the background; wrk_figures() waits for it and reads its figures."""
    command = [
        "wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", WRK_TIMEOUT,
        "-s", str(WRK_DIR / script), url, "--", *map(str, args),
    ]  # fmt: skip
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wrk_figures(process, duration):
    try:
        stdout, stderr = process.communicate(timeout=duration + 60)
    except subprocess.TimeoutExpired:
        process.kill()
        stdout, stderr = process.communicate()
    line = next((x for x in stdout.splitlines() if x.startswith("BENCH_JSON ")), None)
    if process.returncode != 0 or line is None:
        raise SystemExit(f"wrk failed ({process.returncode}):\n{stdout}{stderr}")
    result = json.loads(line.removeprefix("BENCH_JSON "))
    seconds = result["duration_us"] / 1e6
    errors = result["errors"]
    result |= {
        "requests_per_s": result["requests"] / seconds,
        "p50_ms": result["p50_us"] / 1000,
        "p99_ms": result["p99_us"] / 1000,
        # Answers outside 2xx/3xx (wrk counts status ≥ 400) and requests that got no answer.
        "errors_total": sum(errors.values()),
    }
    return result


def _get(base_url, path):
    connection = http.client.HTTPConnection(*_host_port(base_url), timeout=30)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response, response.read().decode()
    finally:
        connection.close()


def csrf_pair(base_url, path):
    """The csrftoken cookie and a form token from the page at `path`, reusable together.

    Shared pages (the letter page) carry no token; a private one does, such as a
    confirmation link's page.
    """
    response, page = _get(base_url, path)
    cookies = http.cookies.SimpleCookie()
    for header in response.headers.get_all("Set-Cookie") or []:
        cookies.load(header)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if response.status != 200 or token is None or "csrftoken" not in cookies:
        raise SystemExit(f"No CSRF token on {path} ({response.status}).")
    return cookies["csrftoken"].value, token.group(1)


def form_language(base_url, path):
    """The signing form's hidden language field on the letter page at `path`."""
    response, page = _get(base_url, path)
    language = re.search(r'name="language" value="([^"]*)"', page)
    if response.status != 200:
        raise SystemExit(f"{path} answered {response.status}.")
    return language.group(1) if language else ""


def stream_csv(base_url, path):
    """Download the CSV once over HTTP/1.1, counting rows as they arrive: (rows, seconds, bytes).

    A plain socket rather than http.client: the server sends each row as a chunk of its own,
    and reading them one by one (http.client, or a socket read as soon as data arrives) would
    take a good part of a core from the server it measures on this two-core machine. Reads
    wait a moment for data to gather instead.
    """
    host, port = _host_port(base_url)
    started = time.monotonic()
    with socket.create_connection((host, port), timeout=60) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        request = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n"
        sock.sendall(request.encode())
        buffer = bytearray()
        while b"\r\n\r\n" not in buffer:
            if not (data := sock.recv(1 << 16)):
                raise SystemExit(f"{path}: the connection closed before the headers ended")
            buffer += data
        head, _, rest = bytes(buffer).partition(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        if status != 200:
            raise SystemExit(f"{path} answered {status}")
        if b"transfer-encoding: chunked" in head.lower():
            lines, size = _count_chunked(sock, bytearray(rest))
        else:
            lines, size = rest.count(b"\n"), len(rest)
            while data := _gathered(sock):
                lines += data.count(b"\n")
                size += len(data)
    # The first line is the header; names and affiliations hold no line breaks.
    return lines - 1, time.monotonic() - started, size


def _count_chunked(sock, buffer):
    """Newlines and bytes in a chunked body, read from `sock` after what `buffer` holds."""
    lines = size = position = 0
    while True:
        end = buffer.find(b"\r\n", position)
        length = int(buffer[position:end].split(b";")[0], 16) if end != -1 else None
        if length is None or end + 2 + length + 2 > len(buffer):
            # Not a whole chunk left: keep the unread part and read more.
            del buffer[:position]
            position = 0
            if not (data := _gathered(sock)):
                raise SystemExit("the CSV ended in the middle of a chunk")
            buffer += data
            continue
        if length == 0:
            return lines, size
        start = end + 2
        lines += buffer.count(b"\n", start, start + length)
        size += length
        position = start + length + 2


def _gathered(sock):
    data = sock.recv(1 << 20)
    if 0 < len(data) < 1 << 16:
        time.sleep(0.005)
    return data


def _host_port(base_url):
    host, _, port = base_url.removeprefix("http://").partition(":")
    return host, int(port)

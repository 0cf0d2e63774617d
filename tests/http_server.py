# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Local networking for tests: a file server on 127.0.0.1 for download
tests (never the internet) and free ports for process groups."""
import socket
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Dict, Iterator, List, NamedTuple, Optional, Union


def free_port() -> int:
    """A TCP port of 127.0.0.1 that is free now.

    Returns:
        int: The port number.
    """
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


class Reply(NamedTuple):
    """How the server answers a path; the defaults serve a file whole.

    Args:
        body (bytes): The content.
        content_type (str): The ``Content-Type`` header.
        announce_length (bool): Whether to send ``Content-Length`` (the
            whole body's length).
        send (int, optional): Bytes of the body actually sent, as if the
            connection broke off; None for all.
        stall (float): Seconds to wait, silent, after the bytes sent.
        location (str, optional): Answer ``302 Found`` with this path.
        trickle (float): Seconds to wait before each byte of the body (0:
            send it at once).
        trickle_headers (bool): Whether the status line and headers trickle
            too, a byte every ``trickle`` seconds.
    """
    body: bytes = b''
    content_type: str = 'application/octet-stream'
    announce_length: bool = True
    send: Optional[int] = None
    stall: float = 0.0
    location: Optional[str] = None
    trickle: float = 0.0
    trickle_headers: bool = False


def _send_slowly(stream, data: bytes, interval: float) -> None:
    """Write ``data`` a byte at a time, ``interval`` seconds apart, until
    done or the client hangs up."""
    try:
        for index in range(len(data)):
            time.sleep(interval)
            stream.write(data[index:index + 1])
            stream.flush()
    except OSError:
        pass  # the client gave up


class Served(NamedTuple):
    """What a test sees of the running server.

    Args:
        url (str): ``http://127.0.0.1:<port>``.
        requests (list[str]): Paths requested so far, in order.
    """
    url: str
    requests: List[str]


@contextmanager
def serve_files(files: Dict[str, Union[bytes, Reply]],
                truncate: Optional[Dict[str, int]] = None,
                lifetime: float = 300) -> Iterator[Served]:
    """Serve ``files`` over HTTP on a free port of 127.0.0.1.

    Every plain file is sent with its ``Content-Length`` (``mim download``
    needs it).

    Args:
        files (dict[str, bytes | Reply]): URL path without the leading slash
            to the content, or to a :class:`Reply`.
        truncate (dict[str, int], optional): File name to the number of
            bytes actually sent; the ``Content-Length`` still announces the
            whole file, as a connection that breaks off would.
        lifetime (float): Seconds after which the server stops by itself.
            Defaults to 300.

    Yields:
        Served: The base URL and the log of requested paths.
    """
    replies = {
        name: reply if isinstance(reply, Reply) else Reply(
            reply, send=(truncate or {}).get(name))
        for name, reply in files.items()
    }
    requests: List[str] = []

    class Handler(BaseHTTPRequestHandler):

        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            name = self.path.lstrip('/')
            requests.append(name)
            reply = replies.get(name)
            if reply is None:
                self.send_error(404)
                return
            if reply.location is not None:
                self.send_response(302)
                self.send_header('Location', reply.location)
                self.send_header('Content-Length', '0')
                self.end_headers()
                return
            self.close_connection = True
            if reply.trickle_headers:
                _send_slowly(self.wfile, b'HTTP/1.0 200 OK\r\n'
                             b'Content-Type: text/plain\r\n' * 100,
                             reply.trickle)
                return
            self.send_response(200)
            self.send_header('Content-Type', reply.content_type)
            if reply.announce_length:
                self.send_header('Content-Length', str(len(reply.body)))
            self.end_headers()
            if reply.trickle:
                _send_slowly(self.wfile, reply.body[:reply.send],
                             reply.trickle)
                return
            self.wfile.write(reply.body[:reply.send])
            self.wfile.flush()
            time.sleep(reply.stall)

        def log_message(self, *args) -> None:
            """Keep test output quiet."""

    server = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    timer = threading.Timer(lifetime, server.shutdown)
    timer.daemon = True
    timer.start()
    try:
        yield Served(f'http://127.0.0.1:{server.server_port}', requests)
    finally:
        timer.cancel()
        server.shutdown()
        server.server_close()

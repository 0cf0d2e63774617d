# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Local networking for tests: a file server on 127.0.0.1 for download
tests (never the internet) and free ports for process groups."""
import socket
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Dict, Iterator, List, NamedTuple, Optional


def free_port() -> int:
    """A TCP port of 127.0.0.1 that is free now.

    Returns:
        int: The port number.
    """
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


class Served(NamedTuple):
    """What a test sees of the running server.

    Args:
        url (str): ``http://127.0.0.1:<port>``.
        requests (list[str]): Paths requested so far, in order.
    """
    url: str
    requests: List[str]


@contextmanager
def serve_files(files: Dict[str, bytes],
                truncate: Optional[Dict[str, int]] = None,
                lifetime: float = 300) -> Iterator[Served]:
    """Serve ``files`` over HTTP on a free port of 127.0.0.1.

    Every response has a ``Content-Length`` (``mim download`` needs it).

    Args:
        files (dict[str, bytes]): File name (URL path without the leading
            slash) to content.
        truncate (dict[str, int], optional): File name to the number of
            bytes actually sent; the ``Content-Length`` still announces the
            whole file, as a connection that breaks off would.
        lifetime (float): Seconds after which the server stops by itself.
            Defaults to 300.

    Yields:
        Served: The base URL and the log of requested paths.
    """
    truncate = truncate or {}
    requests: List[str] = []

    class Handler(BaseHTTPRequestHandler):

        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            name = self.path.lstrip('/')
            requests.append(name)
            if name not in files:
                self.send_error(404)
                return
            body = files[name]
            self.send_response(200)
            self.send_header('Content-Type', 'application/octet-stream')
            self.send_header('Content-Length', str(len(body)))
            self.end_headers()
            self.wfile.write(body[:truncate.get(name, len(body))])
            self.close_connection = True

        def log_message(self, *args) -> None:
            """Keep test output quiet."""

    server = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
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

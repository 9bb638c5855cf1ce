"""The test proxy counts what passes and resets connections when told to."""

from __future__ import annotations

import contextlib
import socket
import threading

from support.tcp_proxy import TcpProxy


def _echo_server() -> tuple[socket.socket, threading.Thread]:
    server = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        conn, _ = server.accept()
        # The reset test breaks this connection on purpose.
        with conn, contextlib.suppress(OSError):
            while data := conn.recv(65536):
                conn.sendall(data)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return server, thread


def test_proxy_forwards_both_ways_and_counts_upload_bytes() -> None:
    server, _ = _echo_server()
    with TcpProxy(server.getsockname()[1]) as proxy, socket.create_connection(("127.0.0.1", proxy.port)) as s:
        s.sendall(b"x" * 100_000)
        s.shutdown(socket.SHUT_WR)
        received = b""
        while data := s.recv(65536):
            received += data
    server.close()
    assert received == b"x" * 100_000
    assert proxy.bytes_up == 100_000


def test_proxy_resets_a_connection_within_the_byte_budget() -> None:
    server, _ = _echo_server()
    with TcpProxy(server.getsockname()[1], seed=1) as proxy:
        proxy.faults.reset_rate = 1.0
        proxy.faults.reset_within_bytes = 50_000
        with socket.create_connection(("127.0.0.1", proxy.port)) as s:
            try:
                for _ in range(100):
                    s.sendall(b"y" * 10_000)
                while s.recv(65536):
                    pass
                reset = False
            except ConnectionError:
                reset = True
    server.close()
    assert reset and proxy.resets == 1
    assert proxy.bytes_up < 50_000

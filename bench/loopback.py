"""Shared by the Python load benchmarks: loopback addresses."""
import socket


def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago (another process
    may take it before the caller binds it)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port

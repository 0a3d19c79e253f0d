"""Wait until something listens on a local port; `--free` prints a port nobody uses."""

import socket
import sys
import time


def wait_for_port(port: int, timeout_s: float = 180.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return True
        time.sleep(0.5)
    return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


if __name__ == "__main__":
    if sys.argv[1] == "--free":
        print(free_port())
        sys.exit(0)
    port = int(sys.argv[1])
    if not wait_for_port(port):
        sys.exit(f"nothing listened on port {port} in time")

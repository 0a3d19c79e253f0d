"""Wait until something listens on a local port (used before running tests against it)."""

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


if __name__ == "__main__":
    port = int(sys.argv[1])
    if not wait_for_port(port):
        sys.exit(f"nothing listened on port {port} in time")

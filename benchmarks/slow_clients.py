"""Slow clients for benchmarks/soak.sh: N connections that each send a request's headers one
byte a second, and report how many the server cut and after how long.

    python3 benchmarks/slow_clients.py HOST PORT COUNT SECONDS

Prints one line: `slow clients: opened N, cut by the server M, still open K, median cut after S s`.
"""

import asyncio
import statistics
import sys
import time

REQUEST = b"GET /openapi.json HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slow\r\nX-Padding: " + b"x" * 200 + b"\r\n\r\n"


async def slow_client(host, port, seconds, results):
    try:
        reader, writer = await asyncio.open_connection(host, port)
    except OSError:
        results.append(("refused", 0.0))
        return
    start = time.monotonic()
    try:
        for byte in REQUEST:
            if time.monotonic() - start > seconds:
                results.append(("open", time.monotonic() - start))
                return
            writer.write(bytes([byte]))
            await writer.drain()
            try:
                # The server closing the connection shows as EOF here.
                data = await asyncio.wait_for(reader.read(1), timeout=1.0)
                if data == b"":
                    results.append(("cut", time.monotonic() - start))
                    return
            except asyncio.TimeoutError:
                pass
        results.append(("completed", time.monotonic() - start))
    except (ConnectionResetError, BrokenPipeError):
        results.append(("cut", time.monotonic() - start))
    finally:
        writer.close()


async def main():
    host, port, count, seconds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    results = []
    await asyncio.gather(*(slow_client(host, port, seconds, results) for _ in range(count)))
    cut = [t for kind, t in results if kind == "cut"]
    still_open = sum(1 for kind, _ in results if kind == "open")
    opened = sum(1 for kind, _ in results if kind != "refused")
    median = f"{statistics.median(cut):.1f}" if cut else "-"
    print(f"slow clients: opened {opened}, cut by the server {len(cut)}, still open {still_open}, "
          f"completed {sum(1 for kind, _ in results if kind == 'completed')}, median cut after {median} s")


asyncio.run(main())

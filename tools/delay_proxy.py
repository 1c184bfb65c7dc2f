#!/usr/bin/env python3
"""A TCP proxy that delays every byte by a fixed time in each direction, keeping order: a broker on this
machine then looks like one a round trip away (Linux netem needs a kernel module that containers often
lack). Test tooling only.

    python3 tools/delay_proxy.py LISTEN_PORT TARGET_PORT ONE_WAY_SECONDS
"""
import asyncio
import sys


async def pump(reader, writer, delay):
    loop = asyncio.get_running_loop()
    queue = asyncio.Queue()

    async def send():
        while True:
            due, data = await queue.get()
            if data is None:
                writer.close()
                return
            if due > loop.time():
                await asyncio.sleep(due - loop.time())
            writer.write(data)
            await writer.drain()

    sender = asyncio.create_task(send())
    while True:
        data = await reader.read(65536)
        await queue.put((loop.time() + delay, data or None))
        if not data:
            break
    await sender


async def main(listen_port, target_port, delay):
    async def connection(client_reader, client_writer):
        broker_reader, broker_writer = await asyncio.open_connection("127.0.0.1", target_port)
        await asyncio.gather(pump(client_reader, broker_writer, delay), pump(broker_reader, client_writer, delay),
                             return_exceptions=True)

    server = await asyncio.start_server(connection, "127.0.0.1", listen_port)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])))

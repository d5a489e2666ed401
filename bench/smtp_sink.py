"""A local SMTP sink for the drain bench that accepts every message and costs little per message.

aiosmtpd reads DATA line by line through asyncio streams: at a few hundred messages a second it
took a whole core in the bench process and set the pace of the SMTP run, so the bench measured the
sink, not the sender. This one speaks the same plain SMTP a client without extensions sees —
220 greeting, EHLO/HELO, MAIL, RCPT, DATA (354, then the message up to "<CRLF>.<CRLF>"), RSET,
NOOP, QUIT — one reply per command, no pipelining, and reads DATA in whole buffers. It counts the
messages it accepted.
"""

import asyncio
import threading


class _Session(asyncio.Protocol):
    def __init__(self, sink):
        self.sink = sink
        self.buffer = b""
        self.in_data = False

    def connection_made(self, transport):
        self.transport = transport
        transport.write(b"220 sink ESMTP\r\n")

    def data_received(self, data):
        self.buffer += data
        while True:
            if self.in_data:
                end = self.buffer.find(b"\r\n.\r\n")
                if end < 0:
                    return
                self.buffer = self.buffer[end + 5 :]
                self.in_data = False
                self.sink.accepted += 1
                self.transport.write(b"250 2.0.0 OK\r\n")
                continue
            line, found, rest = self.buffer.partition(b"\r\n")
            if not found:
                return
            self.buffer = rest
            self._command(line[:4].upper())

    def _command(self, verb):
        if verb == b"EHLO":
            self.transport.write(b"250-sink\r\n250 8BITMIME\r\n")
        elif verb == b"DATA":
            self.in_data = True
            # The message may start right after the command line: "<CRLF>.<CRLF>" then ends it.
            self.buffer = b"\r\n" + self.buffer
            self.transport.write(b"354 End data with <CR><LF>.<CR><LF>\r\n")
        elif verb == b"QUIT":
            self.transport.write(b"221 Bye\r\n")
            self.transport.close()
        else:  # HELO, MAIL, RCPT, RSET, NOOP
            self.transport.write(b"250 OK\r\n")


class Sink:
    """`with Sink(port) as sink:` serves on 127.0.0.1:port in a thread; `sink.accepted` counts messages."""

    def __init__(self, port):
        self.port = port
        self.accepted = 0
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self):
        coroutine = self.loop.create_server(lambda: _Session(self), "127.0.0.1", self.port)
        self.server = self.loop.run_until_complete(coroutine)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.loop.call_soon_threadsafe(self.server.close)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)

"""A minimal SMTP server on 127.0.0.1: enough of RFC 5321 for smtplib to send one message, and two faults.

`drop_after_data`: the whole message is taken (recorded in `messages`), then the connection is closed
before the final "250" reply, as when the network loses the answer to DATA.
`refuse`: addresses whose RCPT TO gets "550 5.1.1" (no such mailbox), as a receiving server refuses them.
"""

from __future__ import annotations

import socketserver
import threading
from dataclasses import dataclass, field


@dataclass
class FakeSMTP:
    messages: list[bytes] = field(default_factory=list)
    drop_after_data: bool = False
    refuse: set[str] = field(default_factory=set)

    def start(self) -> FakeSMTP:
        fake = self

        class Handler(socketserver.StreamRequestHandler):
            def reply(self, line: str) -> None:
                self.wfile.write(f"{line}\r\n".encode())

            def handle(self) -> None:
                self.reply("220 fake.smtp ESMTP")
                while line := self.rfile.readline():
                    verb = line.decode(errors="replace").strip().split(" ", 1)[0].upper()
                    if verb in ("EHLO", "HELO"):
                        self.reply("250 fake.smtp")
                    elif verb == "DATA":
                        self.reply("354 go ahead")
                        body = b""
                        while (chunk := self.rfile.readline()) and chunk != b".\r\n":
                            body += chunk
                        fake.messages.append(body)
                        if fake.drop_after_data:
                            return  # closed without the final reply
                        self.reply("250 2.0.0 queued")
                    elif verb == "RCPT" and _recipient(line) in fake.refuse:
                        self.reply("550 5.1.1 mailbox unavailable")
                    elif verb == "QUIT":
                        self.reply("221 bye")
                        return
                    else:  # MAIL, RCPT, RSET, NOOP
                        self.reply("250 ok")

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _recipient(line: bytes) -> str:
    """The address of "RCPT TO:<ana@example.com>", lower-cased."""
    text = line.decode(errors="replace")
    return text[text.find("<") + 1 : text.rfind(">")].strip().lower()

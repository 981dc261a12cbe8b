"""A real SMTP server (aiosmtpd) for the survey e-mail tests.

Usage: python3 smtp_sink.py PORT OUT.jsonl
Every message accepted is appended to OUT.jsonl as one JSON object with the envelope
recipients, the Message-ID, List-Unsubscribe, the subject and the decoded text/plain part.
Prints "ready" once it listens.
"""
import email
import json
import signal
import sys
from email import policy

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, out):
        self.out = out

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=policy.default)
        plain = msg.get_body(preferencelist=("plain",))
        record = {
            "to": envelope.rcpt_tos,
            "message_id": msg["Message-ID"],
            "list_unsubscribe": msg["List-Unsubscribe"],
            "list_unsubscribe_post": msg["List-Unsubscribe-Post"],
            "subject": str(msg["Subject"]),
            "text": plain.get_content() if plain is not None else "",
        }
        with open(self.out, "a", encoding="utf-8") as f:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
        return "250 OK"


def main():
    port, out = int(sys.argv[1]), sys.argv[2]
    controller = Controller(Sink(out), hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        signal.pause()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()

"""A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps what it receives, and an app that mails it."""

import asyncio
import email
import email.policy
import socket

import pytest
from aiosmtpd.controller import Controller

from app.extensions import db
from tests.conftest import make_app


class Inbox:
    """What the SMTP server received; addresses containing 'bounce' are refused with 550."""

    def __init__(self):
        self.messages = []
        self.delay = 0.0  # seconds before accepting each message: a slow server

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if "bounce" in address:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(message)
        return "250 Message accepted"

    def to(self, address):
        return [m for m in self.messages if m["To"] == address]

    def text(self, message):
        return message.get_body(("plain",)).get_content()

    def html(self, message):
        return message.get_body(("html",)).get_content()


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    inbox.port = controller.port
    yield inbox
    controller.stop()


@pytest.fixture
def app(database_url, smtp):
    app = make_app(database_url, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port,
                   PUBLIC_BASE_URL="https://voice.example.org", MAIL_BATCH_SIZE=50)
    yield app
    with app.app_context():
        db.engine.dispose()

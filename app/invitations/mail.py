"""Email through any SMTP server with the standard library: messages, batches, retries, bounces."""

import secrets
import smtplib
import time
from email.message import EmailMessage
from email.utils import parseaddr

# Worth another try: the server is busy or the connection dropped.
TRANSIENT = (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, ConnectionError, TimeoutError)


def new_message_id(sender):
    """A unique Message-ID. Not email.utils.make_msgid: that draws on the global `random`
    from the sending thread, which also disturbs anything seeded in the request's thread."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    return f"<{secrets.token_hex(16)}@{domain}>"


def build_message(sender, recipient, subject, text, html, headers=None, message_id=None):
    """A text and HTML email; message_id is reused when the same email is sent again."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = subject
    message["Message-ID"] = message_id or new_message_id(sender)
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


class Mailer:
    """One SMTP connection reused for a batch, reopened when it drops; use as a context manager."""

    def __init__(self, config):
        self.config = config
        self.connection = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        if self.connection is not None:
            try:
                self.connection.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self.connection = None

    def _connect(self):
        config = self.config
        connection = smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=30)
        if config.get("MAIL_USE_TLS"):
            connection.starttls()
        if config.get("MAIL_USERNAME"):
            connection.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        self.connection = connection

    def send(self, message):
        """Send one message; returns ("sent"|"bounced"|"failed", error text or None)."""
        delay = self.config.get("MAIL_RETRY_DELAY", 0)
        tries = max(1, self.config.get("MAIL_RETRIES", 3))
        error = None
        for attempt in range(tries):
            try:
                if self.connection is None:
                    self._connect()
                self.connection.send_message(message)
                return "sent", None
            except smtplib.SMTPRecipientsRefused as refused:
                code, reason = next(iter(refused.recipients.values()))
                text = f"{code} {_text(reason)}"
                if code >= 500:
                    return "bounced", text
                error = text
            except smtplib.SMTPResponseException as response:
                text = f"{response.smtp_code} {_text(response.smtp_error)}"
                if response.smtp_code >= 500:
                    return "failed", text
                error = text
                self.close()
            except (smtplib.SMTPException, OSError) as failure:
                error = str(failure) or failure.__class__.__name__
                self.close()
            if attempt + 1 < tries and delay:
                time.sleep(delay * 2 ** attempt)
        return "failed", (error or "unknown error")[:300]


def _text(reason):
    return reason.decode(errors="replace") if isinstance(reason, bytes) else str(reason)

"""Password rules after NCSC guidance: long enough, not a common password, no composition rules."""

from functools import cache
from importlib.resources import files

MIN_LENGTH = 10
# Long passphrases are welcome; the cap only stops hashing megabytes.
MAX_LENGTH = 256


@cache
def common_passwords():
    text = files("app.auth").joinpath("common_passwords.txt").read_text()
    lines = (line.strip().lower() for line in text.splitlines())
    return frozenset(line for line in lines if line and not line.startswith("#"))


def password_problem(password, email="", name=""):
    """What is wrong with this password, in plain words, or None when it will do."""
    password = password or ""
    if len(password) < MIN_LENGTH:
        return (f"Choose a password of at least {MIN_LENGTH} characters. Three or four random "
                "words you can remember work well.")
    if len(password) > MAX_LENGTH:
        return f"Choose a password of at most {MAX_LENGTH} characters."
    folded = password.strip().lower()
    if len(set(folded)) < 4:
        return "Choose a password that is not the same few characters repeated."
    compact = "".join(folded.split())
    if folded in common_passwords() or compact in common_passwords():
        return "That password is one of the most common and easy to guess. Choose another."
    for own in (email.lower(), email.lower().split("@")[0], name.lower()):
        if len(own) >= 4 and own in folded:
            return "Choose a password that does not contain your name or email address."
    if "stakeholdervoice" in compact:
        return "Choose a password that does not contain the name of this service."
    return None

"""Reading free text: safeguarding words, names to redact and priority tags (pure, no Flask)."""

import re

__all__ = ["safeguarding_matches", "redact_names", "topics", "REDACTED"]

REDACTED = "[name removed]"
# "Mr Smith", "Mrs. O'Neil", "Miss Khan", "Ms Lee", "Dr Patel", "Sir", "Mx Jones".
TITLE_PATTERN = re.compile(
    r"\b(?:Mr|Mrs|Miss|Ms|Mx|Dr|Mister|Madam|Sir)\.?\s+[A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*)?"
)


def _phrase_pattern(words):
    """One regex matching any of the words or phrases as whole words, ignoring case and spacing."""
    parts = []
    for word in words:
        tokens = [re.escape(token) for token in re.split(r"[\s-]+", word.strip()) if token]
        if tokens:
            parts.append(r"[\s-]+".join(tokens))
    if not parts:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(sorted(parts, key=len, reverse=True)) + r")(?!\w)",
                      re.IGNORECASE)


def safeguarding_matches(text, words):
    """The words of the safeguarding list found in ``text`` (lower case, in list order)."""
    pattern = _phrase_pattern(words)
    if not text or pattern is None:
        return []
    found = {re.sub(r"[\s-]+", " ", match.group(0).lower()) for match in pattern.finditer(text)}
    return [word for word in words if re.sub(r"[\s-]+", " ", word.lower().strip()) in found]


def redact_names(text, names):
    """``text`` with titled names ("Mrs Khan") and the listed first names replaced."""
    if not text:
        return text
    text = TITLE_PATTERN.sub(REDACTED, text)
    pattern = _phrase_pattern(names)
    if pattern is not None:
        text = pattern.sub(REDACTED, text)
    return text


def topics(text, rules):
    """Priority keys whose keywords appear in ``text``; rules: {priority key: [words]}.

    A keyword matches at the start of a word, so "bully" tags "bullying" and "bullied".
    """
    if not text:
        return []
    found = []
    for key, words in rules.items():
        stems = [re.escape(word.strip()) for word in words if word.strip()]
        if stems and re.search(r"(?<!\w)(?:" + "|".join(stems) + ")", text, re.IGNORECASE):
            found.append(key)
    return found

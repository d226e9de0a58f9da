"""The built-in instruments shipped in app/surveys/builtin/*.json, loaded into the database."""

import json
from pathlib import Path

import sqlalchemy as sa

from app.clock import utcnow
from app.extensions import db
from app.models import Instrument, Question

BUILTIN_DIR = Path(__file__).parent / "builtin"
QUESTION_FIELDS = (
    "key", "text", "type", "required", "dont_know", "reverse", "positive", "options",
    "labels", "context", "scale", "hint", "read_aloud", "condition", "translations",
)


def builtin_keys():
    return sorted(path.stem for path in BUILTIN_DIR.glob("*.json"))


def read_builtin(key):
    with open(BUILTIN_DIR / f"{key}.json", encoding="utf-8") as handle:
        return json.load(handle)


def instrument_from_dict(data, version=1):
    """A published Instrument built from the JSON format of app/surveys/builtin."""
    instrument = Instrument(
        key=data["key"], version=version, name=data["name"], audience=data["audience"],
        description=data.get("description"), attribution=data.get("attribution"),
        status="published", published_at=utcnow(),
    )
    position = 0
    for section in data["sections"]:
        for item in section["questions"]:
            position += 1
            fields = {name: item[name] for name in QUESTION_FIELDS if name in item}
            instrument.questions.append(Question(
                position=position, section=section.get("title"),
                priority_key=item.get("priority"), **fields,
            ))
    return instrument


def install_builtin_instruments():
    """Add each built-in instrument that is not in the database yet; return those added."""
    added = []
    for key in builtin_keys():
        exists = db.session.scalar(sa.select(Instrument.id).where(Instrument.key == key).limit(1))
        if exists is None:
            instrument = instrument_from_dict(read_builtin(key))
            db.session.add(instrument)
            added.append(instrument)
    db.session.flush()
    return added


def latest_published(key):
    """The newest published version of an instrument family, or None."""
    return db.session.scalar(
        sa.select(Instrument).where(Instrument.key == key, Instrument.status == "published")
        .order_by(Instrument.version.desc()).limit(1)
    )

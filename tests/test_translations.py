"""The Welsh catalogue covers every string marked for translation, and the committed .mo is current."""

from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).parents[1]
CATALOGUE = ROOT / "app" / "translations" / "cy" / "LC_MESSAGES"


def marked_strings():
    with open(ROOT / "babel.cfg") as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    keywords = {**DEFAULT_KEYWORDS, "_l": None}
    return {message for _, _, message, _, _ in
            extract_from_dir(str(ROOT), method_map, options_map, keywords=keywords)}


def test_every_marked_string_has_a_welsh_translation():
    with open(CATALOGUE / "messages.po", "rb") as handle:
        welsh = read_po(handle, locale="cy")
    missing = sorted(m for m in marked_strings()
                     if not welsh.get(m) or not welsh.get(m).string or welsh.get(m).fuzzy)
    assert not missing, "Add Welsh for these, then run `make translations`:\n" + "\n".join(missing)


def test_the_compiled_catalogue_matches_the_po_file():
    with open(CATALOGUE / "messages.po", "rb") as handle:
        po = {m.id: m.string for m in read_po(handle, locale="cy") if m.id and not m.fuzzy}
    with open(CATALOGUE / "messages.mo", "rb") as handle:
        mo = {m.id: m.string for m in read_mo(handle) if m.id}
    assert mo == po, "Run `make translations` (pybabel compile) and commit messages.mo"

"""A corpus of hostile strings for every text field: markup and script, SQL, format strings,
Unicode tricks, huge values, and bytes that are not text at all.

Every script here would set ``window.__pwned`` or open a dialog if it ever ran, so a browser
test can prove that none did.
"""

from __future__ import annotations

# Sets the marker a browser test looks for.
PWN = "window.__pwned=1"

# Strings a person may legitimately type (and that must then be stored and shown verbatim,
# escaped), keyed by a short name for test ids and messages.
HOSTILE: dict[str, str] = {
    "script": f"<script>{PWN};alert(1)</script>",
    "script_upper": f"<SCRIPT SRC=data:text/javascript,{PWN}></SCRIPT>",
    "img_onerror": f'<img src=x onerror="{PWN};alert(1)">',
    "svg_onload": f"<svg onload={PWN};alert(1)>",
    "attr_breakout": f'" autofocus onfocus="{PWN};alert(1)" x="',
    "attr_breakout_single": f"' autofocus onfocus='{PWN};alert(1)' x='",
    "tag_breakout": f'"><script>{PWN};alert(1)</script>',
    "textarea_breakout": f"</textarea><script>{PWN};alert(1)</script>",
    "title_breakout": f"</title><script>{PWN};alert(1)</script>",
    "javascript_link": f"javascript:{PWN};alert(1)",
    "javascript_link_obfuscated": f"jav&#x09;ascript:{PWN}",
    "data_link": f"data:text/html,<script>{PWN}</script>",
    "iframe": f"<iframe srcdoc=\"<script>parent.{PWN}</script>\"></iframe>",
    "style": "<style>*{display:none!important}</style>",
    "html_comment": "<!-- <p>not closed",
    "entity": "&lt;script&gt; &amp;amp; &#60;b&#62;",
    "sql_quote": "'; DROP TABLE cases; --",
    "sql_union": "x' UNION SELECT email, password_hash FROM users --",
    "sql_or": "\" OR 1=1 --",
    "sql_like": "%_\\%",
    "format_percent": "%(x)s %s %d %n %%",
    "format_brace": "{0} {x} {__class__.__mro__} {{7*7}}",
    "template": "{{ config }} {% for x in range(9) %}x{% endfor %} ${7*7} #{7*7}",
    "bidi_override": "\u202eRISK-2026-0001\u202c \u2066isolate\u2069 \u200fRTL\u200e",
    "zero_width": "pay\u200bpal \u200c\u200d\u2060\ufeff hidden",
    "combining": "Z\u0351\u0368\u0307a\u0336l\u0338g\u0489o\u0315",
    "emoji": "\U0001f525 Gefahr \U0001f9d1\u200d\U0001f9d2 \u00e4\u00f6\u00fc\u00df",
    "fullwidth": "\uff32\uff29\uff33\uff2b\uff0d\uff12\uff10\uff12\uff16",
    "newlines": "line one\r\nline two\rline three\u2028line four",
    "header_injection": "x\r\nSet-Cookie: session=stolen\r\n\r\n<script>alert(1)</script>",
    "path": "../../../../etc/passwd",
    "url_like": f"https://example.org/\"><script>{PWN}</script>",
}

# Long strings: stored whole up to a field's limit, refused beyond it.
MEGABYTE = "A" * 1_000_000
NUL = "before\x00after"
# Invalid UTF-8, as raw bytes in a form post.
INVALID_UTF8 = b"caf\xe9 \xff\xfe \xc0\xaf \xed\xa0\x80"


def markup_like(text: str) -> bool:
    """Whether the text would change a page if it were written into HTML unescaped."""
    return any(char in text for char in "<>\"'&")


# --- Values of the classes that once answered 500, for every parameter of every route ------
# (tests/test_hostile.py walks the pages, tests/test_hostile_api.py the API operations).

# Each class by name: what a number, a date, a header or a link may be sent as.
VALUE_CLASSES: dict[str, dict[str, str]] = {
    # str.isdigit() and int() take these; a parser of numbers must not.
    "unicode_digits": {"superscript_two": "²", "arabic_indic_three": "٣",
                       "fullwidth_twelve": "\uff11\uff12", "devanagari_seven": "७"},
    # The ends of the calendar, and past it (date.fromisoformat refuses year 10000).
    "calendar_edges": {"year_1": "0001-01-01", "year_9999": "9999-12-31",
                       "year_10000": "10000-01-01", "year_1_time": "0001-01-01T00:00",
                       "year_9999_time": "9999-12-31T23:59", "year_1_utc": "0001-01-01T00:00:00Z",
                       "year_9999_east": "9999-12-31T23:59:59-14:00",
                       "german_year_1": "01.01.0001 00:00"},
    # Past what 64 bits hold (SQLite's and PostgreSQL's largest integers).
    "past_64_bits": {"two_to_64": "18446744073709551616", "below_int64": "-9223372036854775809",
                     "hundred_digits": "9" * 100},
    # Control characters: a line break in a redirect or a header, NUL for the database.
    "control_characters": {"newline": "1\n2", "crlf": "/cases\r\nSet-Cookie: x=1",
                           "nul": "1\x00", "escape": "\x1b[2J", "tab_only": "\t",
                           "delete": "\x7f", "next_line": "1\x852"},
}
EDGE_VALUES: dict[str, str] = {f"{kind}.{name}": value
                               for kind, values in VALUE_CLASSES.items()
                               for name, value in values.items()}
# The same numbers as JSON numbers, not strings.
JSON_NUMBERS: dict[str, int] = {"json_two_to_64": 2**64, "json_below_int64": -(2**63) - 1,
                                "json_hundred_digits": 10**100 - 1}

# Keyword arguments url_for takes for itself: a query string naming them must not steer
# the links a page or an answer builds from its own query string ("endpoint" and a path
# argument's name collide with url_for's own parameters).
RESERVED_URL_KEYS: dict[str, str] = {"_method": "POST", "_external": "1",
                                     "_anchor": '"><script>x</script>', "_scheme": "gopher",
                                     "endpoint": "auth.logout", "values": "x"}

# Where a login sends the user afterwards: never off the site, never into a header.
HOSTILE_NEXT: dict[str, str] = {
    "crlf": "/cases\r\nSet-Cookie: session=stolen", "lf": "/cases\nLocation: https://evil.example",
    "cr": "/cases\rx", "nul": "/cases\x00", "tab": "/ca\tses", "encoded_crlf": "/cases%0d%0ax",
    "other_host": "//evil.example/", "backslash": "/\\evil.example", "scheme": "https://evil.example/",
    "unicode_digits": "/signals/٣",
}

JSON_DEPTH = 100_000


def deeply_nested_json(depth: int = JSON_DEPTH) -> bytes:
    """A JSON body ``depth`` arrays deep (Python's parser gives up far sooner)."""
    return b"[" * depth + b"]" * depth


def deeply_nested_object(field: str, depth: int = JSON_DEPTH) -> bytes:
    """A JSON object whose ``field`` holds arrays ``depth`` deep."""
    return b'{"' + field.encode() + b'": ' + deeply_nested_json(depth) + b"}"

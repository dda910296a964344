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

"""Text from the data files, shown as text: product and store names never become Markdown.

Streamlit renders headers, messages and captions as Markdown, so a name like
`![x](http://evil.example/p.png)` would make the browser fetch an image. Every ASCII punctuation
character gets a backslash (CommonMark lets any of them be escaped), which turns off links, images,
emphasis, HTML, autolinks and formulas, and shows the characters as written.
"""

from __future__ import annotations

import re
import string

_PUNCTUATION = re.compile("([" + re.escape(string.punctuation) + "])")


def plain(text: object) -> str:
    """`text` escaped for Streamlit's Markdown, so it shows exactly as written."""
    return _PUNCTUATION.sub(r"\\\1", str(text))

"""Shared by publish.py and verdict.py of suite `serve`: what message N says.

Each message carries characters that every transport must pass through
unchanged: JSON escapes (quote, backslash), HTML that the iframe stream
must escape (`<`, `&`), and non-ASCII UTF-8 (2 and 3 bytes).
"""


def data_of(n):
    """The text published as the topic's message n (ids start at 1)."""
    return f'message {n}: "q" \\ <b>&amp;</b> \u00fc \u20ac'

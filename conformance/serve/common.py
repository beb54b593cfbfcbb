"""Shared by the scripts of suite `serve`: what message N says, and the
`ok`/`FAIL` lines of curl_check.py and verdict.py.

Each message carries characters that every transport must pass through
unchanged: JSON escapes (quote, backslash), HTML that the iframe stream
must escape (`<`, `&`), and non-ASCII UTF-8 (2 and 3 bytes).
"""


def data_of(n):
    """The text published as the topic's message n (ids start at 1)."""
    return f'message {n}: "q" \\ <b>&amp;</b> \u00fc \u20ac'


class Checks:
    """Prints one `ok` or `FAIL` line per check (tab-separated: result,
    name, what was seen) and counts the failures."""

    def __init__(self):
        self.bad = 0

    def __call__(self, name, ok, seen):
        if not ok:
            self.bad += 1
        print(f"{'ok' if ok else 'FAIL'}\t{name}\t{seen}")

    def exit(self):
        """Exit 1 if a check failed, else 0."""
        raise SystemExit(1 if self.bad else 0)

"""Message markdown → a safe, well-formed XHTML fragment, usable both in the HTML page and in ePub chapters.

Markdown is rendered with markdown2 (the renderer NiceGUI ships; single newlines become line breaks, as in the chat),
then every tag passes an allow-list: text formatting, lists, quotes, code, tables and links (http, https and mailto
only) are kept; scripts, styles, frames, forms and event attributes are dropped with their content, and any other
tag is dropped while its text stays. The result is re-written as XML (void tags closed, every tag balanced, text
escaped, characters XML forbids removed), so an ePub reader's strict parser accepts it.
"""

from __future__ import annotations

import re
from html import escape
from html.parser import HTMLParser

import markdown2

MARKDOWN_EXTRAS = {'breaks': {'on_newline': True}, 'fenced-code-blocks': None, 'tables': None, 'strike': None}
ALLOWED_TAGS = frozenset({'p', 'br', 'hr', 'em', 'i', 'strong', 'b', 'u', 's', 'del', 'ins', 'mark', 'small', 'sub',
                          'sup', 'q', 'cite', 'code', 'pre', 'kbd', 'blockquote', 'ul', 'ol', 'li', 'h1', 'h2', 'h3',
                          'h4', 'h5', 'h6', 'a', 'table', 'thead', 'tbody', 'tfoot', 'tr', 'th', 'td', 'span', 'div',
                          'details', 'summary', 'ruby', 'rt', 'rp'})
VOID_TAGS = frozenset({'br', 'hr'})
DROPPED_WITH_CONTENT = frozenset({'script', 'style', 'iframe', 'object', 'embed', 'template', 'noscript', 'svg',
                                  'math', 'form', 'textarea', 'select', 'button', 'head', 'title'})
ALLOWED_ATTRIBUTES = {'a': ('href', 'title'), 'span': ('class',), 'div': ('class',), 'code': ('class',),
                      'th': ('align',), 'td': ('align',), 'ol': ('start',)}
SAFE_LINK = re.compile(r'^(https?:|mailto:|#)', re.IGNORECASE)
XML_FORBIDDEN = re.compile('[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]')


def render(markdown: str) -> str:
    """The message's markdown as a safe XHTML fragment."""
    html = markdown2.markdown(XML_FORBIDDEN.sub('', markdown), extras=MARKDOWN_EXTRAS)
    return sanitize(html)


def sanitize(html: str) -> str:
    cleaner = _Cleaner()
    cleaner.feed(html)
    cleaner.close()
    return cleaner.result()


def text(value: str) -> str:
    """Plain text escaped for XHTML (names, titles)."""
    return escape(XML_FORBIDDEN.sub('', value), quote=True)


class _Cleaner(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open: list[str] = []
        self.dropping: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.dropping or tag in DROPPED_WITH_CONTENT:
            if tag not in VOID_TAGS:
                self.dropping.append(tag)
            return
        if tag not in ALLOWED_TAGS:
            return
        kept = ''.join(f' {name}="{text(value)}"' for name, value in attrs
                       if value is not None and name in ALLOWED_ATTRIBUTES.get(tag, ())
                       and (name != 'href' or SAFE_LINK.match(value.strip())))
        if tag in VOID_TAGS:
            self.out.append(f'<{tag}{kept}/>')
            return
        self.out.append(f'<{tag}{kept}>')
        self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in VOID_TAGS:
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if self.dropping:
            if tag == self.dropping[-1]:
                self.dropping.pop()
            return
        if tag not in self.open:
            return
        while self.open:
            closed = self.open.pop()
            self.out.append(f'</{closed}>')
            if closed == tag:
                return

    def handle_data(self, data: str) -> None:
        if not self.dropping:
            self.out.append(escape(XML_FORBIDDEN.sub('', data), quote=False))

    def result(self) -> str:
        return ''.join(self.out) + ''.join(f'</{tag}>' for tag in reversed(self.open))

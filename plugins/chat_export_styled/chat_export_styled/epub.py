"""The ePub 3 export: a title page, then one XHTML chapter per N messages, with a navigation document.

The archive follows the EPUB Open Container Format: `mimetype` is the first entry and stored uncompressed,
`META-INF/container.xml` points at `OEBPS/content.opf` (metadata with a stable `urn:uuid` made from the chat id and
`dcterms:modified`, the manifest, the spine), `nav.xhtml` is the table of contents, and every page is well-formed
XHTML. The character's avatar travels as its own image file. Entry times are fixed, so the same chat gives the same
bytes.
"""

from __future__ import annotations

import io
import uuid
import zipfile
from dataclasses import dataclass

from .markup import text
from .styled_html import TIME_FORMAT
from .styles import EPUB_CSS
from .transcript import Entry, Transcript, initials_of

MIMETYPE = 'application/epub+zip'
FIXED_TIMESTAMP = (1980, 1, 1, 0, 0, 0)
EPOCH_MODIFIED = '2000-01-01T00:00:00Z'
ID_NAMESPACE = uuid.UUID('1b0c4a52-6f0e-4d8e-9a55-7d1f0f3c2b61')
CONTAINER_XML = ('<?xml version="1.0" encoding="UTF-8"?>\n'
                 '<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">'
                 '<rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/>'
                 '</rootfiles></container>\n')


@dataclass(frozen=True)
class Chapter:
    number: int
    entries: list[Entry]

    @property
    def file(self) -> str:
        return f'chapter-{self.number:03d}.xhtml'


def chapters_of(entries: list[Entry], size: int) -> list[Chapter]:
    return [Chapter(index // size + 1, entries[index:index + size]) for index in range(0, len(entries), size)] or \
        [Chapter(1, [])]


def epub(transcript: Transcript, messages_per_chapter: int) -> bytes:
    chapters = chapters_of(transcript.entries, messages_per_chapter)
    image = f'images/character.{transcript.avatar.extension}' if transcript.avatar is not None else None
    files: list[tuple[str, bytes]] = [
        ('META-INF/container.xml', CONTAINER_XML.encode()),
        ('OEBPS/content.opf', _package(transcript, chapters, image).encode()),
        ('OEBPS/nav.xhtml', _nav(transcript, chapters).encode()),
        ('OEBPS/style.css', EPUB_CSS.encode()),
        ('OEBPS/title.xhtml', _title_page(transcript, image).encode()),
        *((f'OEBPS/{chapter.file}', _chapter(transcript, chapter, image).encode()) for chapter in chapters),
    ]
    if image is not None and transcript.avatar is not None:
        files.append((f'OEBPS/{image}', transcript.avatar.data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, 'w') as archive:
        archive.writestr(_entry('mimetype', zipfile.ZIP_STORED), MIMETYPE)
        for name, data in files:
            archive.writestr(_entry(name, zipfile.ZIP_DEFLATED), data)
    return buffer.getvalue()


def chapter_title(transcript: Transcript, chapter: Chapter) -> str:
    if not chapter.entries:
        return transcript.texts['chapter'].format(number=chapter.number)
    return transcript.texts['chapter_range'].format(number=chapter.number, first=chapter.entries[0].seq,
                                                    last=chapter.entries[-1].seq)


def _entry(name: str, compression: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=FIXED_TIMESTAMP)
    info.compress_type = compression
    info.external_attr = 0o644 << 16
    return info


def _page(transcript: Transcript, title: str, body: str) -> str:
    language = transcript.language
    return ('<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html>\n'
            f'<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops" '
            f'lang="{language}" xml:lang="{language}"><head><meta charset="utf-8"/><title>{text(title)}</title>'
            f'<link rel="stylesheet" type="text/css" href="style.css"/></head>\n<body>{body}</body></html>\n')


def _package(transcript: Transcript, chapters: list[Chapter], image: str | None) -> str:
    identifier = uuid.uuid5(ID_NAMESPACE, transcript.chat_id)
    last = transcript.last_time
    modified = last.strftime('%Y-%m-%dT%H:%M:%SZ') if last is not None else EPOCH_MODIFIED
    items = ['<item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>',
             '<item id="style" href="style.css" media-type="text/css"/>',
             '<item id="title-page" href="title.xhtml" media-type="application/xhtml+xml"/>',
             *(f'<item id="chapter-{chapter.number:03d}" href="{chapter.file}" media-type="application/xhtml+xml"/>'
               for chapter in chapters)]
    if image is not None and transcript.avatar is not None:
        items.append(f'<item id="avatar" href="{image}" media-type="{transcript.avatar.media_type}" '
                     'properties="cover-image"/>')
    spine = ['<itemref idref="title-page"/>', *(f'<itemref idref="chapter-{chapter.number:03d}"/>'
                                                 for chapter in chapters)]
    return ('<?xml version="1.0" encoding="utf-8"?>\n'
            f'<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="book-id" '
            f'xml:lang="{transcript.language}">'
            '<metadata xmlns:dc="http://purl.org/dc/elements/1.1/">'
            f'<dc:identifier id="book-id">urn:uuid:{identifier}</dc:identifier>'
            f'<dc:title>{text(transcript.title)}</dc:title>'
            f'<dc:language>{transcript.language}</dc:language>'
            f'<dc:creator>{text(transcript.user_name or transcript.character_name)}</dc:creator>'
            f'<dc:contributor>{text(transcript.character_name)}</dc:contributor>'
            f'<meta property="dcterms:modified">{modified}</meta>'
            '</metadata>'
            f'<manifest>{"".join(items)}</manifest>'
            f'<spine>{"".join(spine)}</spine>'
            '</package>\n')


def _nav(transcript: Transcript, chapters: list[Chapter]) -> str:
    links = ''.join(f'<li><a href="{chapter.file}">{text(chapter_title(transcript, chapter))}</a></li>'
                    for chapter in chapters)
    contents = text(transcript.texts['contents'])
    body = (f'<nav epub:type="toc" id="toc"><h1>{contents}</h1><ol>'
            f'<li><a href="title.xhtml">{text(transcript.title)}</a></li>{links}</ol></nav>')
    return _page(transcript, contents, body)


def _title_page(transcript: Transcript, image: str | None) -> str:
    picture = f'<img class="cover-avatar" src="{image}" alt=""/>' if image is not None else ''
    body = (f'<section epub:type="titlepage">{picture}<h1>{text(transcript.title)}</h1>'
            f'<p class="subtitle">{text(transcript.subtitle())}</p></section>')
    return _page(transcript, transcript.title, body)


def _chapter(transcript: Transcript, chapter: Chapter, image: str | None) -> str:
    title = chapter_title(transcript, chapter)
    messages = '\n'.join(_message(transcript, entry, image) for entry in chapter.entries)
    body = f'<section epub:type="chapter"><h2>{text(title)}</h2>\n{messages}\n</section>'
    return _page(transcript, title, body)


def _message(transcript: Transcript, entry: Entry, image: str | None) -> str:
    if entry.role == 'assistant' and image is not None and entry.name == transcript.character_name:
        picture = f'<img class="avatar" src="{image}" alt=""/>'
    else:
        picture = f'<span class="avatar initials">{text(initials_of(entry.name))}</span>'
    sent = ''
    if transcript.show_times and entry.sent_at is not None:
        sent = f' · <time datetime="{entry.sent_at.isoformat()}">{entry.sent_at.strftime(TIME_FORMAT)}</time>'
    return (f'<div class="message {entry.role}" id="m{entry.seq}">{picture}'
            f'<p class="meta"><span class="name">{text(entry.name)}</span>{sent}</p>'
            f'<div class="content">{entry.html}</div><div class="clear"></div></div>')

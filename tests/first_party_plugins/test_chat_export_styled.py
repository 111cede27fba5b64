"""The styled chat export: safe markup, the HTML page and the ePub 3 file as the export route serves them (checked
with `zipfile` and `xml.etree`), the per-user settings and labels, the export menu, and the plugin's packaging."""

from __future__ import annotations

import io
import zipfile
from xml.etree import ElementTree

import pytest
from chat_export_styled import plugin
from chat_export_styled.markup import render, sanitize
from chat_export_styled.transcript import content_language
from nicegui.testing import User

from app import runtime
from app.services.character_card import CharacterFields
from app.services.chats import NewMessage
from plugins.sdk import ChatInfo
from plugins.sdk.testing import PluginHarness, plugin_harness
from tests.first_party_plugins.first_party_checks import check_packaging
from tests.support.images import png_bytes

XHTML = '{http://www.w3.org/1999/xhtml}'
OPF = '{http://www.idpf.org/2007/opf}'
DC = '{http://purl.org/dc/elements/1.1/}'
CONTAINER = '{urn:oasis:names:tc:opendocument:xmlns:container}'
CONVERSATION = [('user', '你好，*挥手* 今天去哪里？'), ('assistant', '我们去**森林**吧。\n第二行'),
                ('system', '🎲 alice rolls 1d20: 17'), ('user', 'Sounds <script>alert(1)</script>good & safe'),
                ('assistant', '[map](javascript:alert(1)) and [wiki](https://example.org/a?b=1&c=2)')]


def xml(fragment: str) -> ElementTree.Element:
    return ElementTree.fromstring(f'<div xmlns="http://www.w3.org/1999/xhtml">{fragment}</div>')


def test_markdown_becomes_safe_well_formed_xhtml() -> None:
    html = render('*waves* Hello\nthere <b>bold <i>open\n\n<img src=x onerror=alert(1)> <script>steal()</script>'
                  '<p onclick="x()">para</p> [a](javascript:alert(1)) [b](https://example.org) 坏\x00蛋 &amp; < >')
    root = xml(html)
    assert '<script' not in html and 'onerror' not in html and 'onclick' not in html and 'javascript' not in html
    assert render('a <script>steal()</script> b <style>p {}</style>') == '<p>a  b </p>\n'
    assert root.find(f'.//{XHTML}em').text == 'waves'
    assert root.find(f'.//{XHTML}br') is not None
    assert [link.get('href') for link in root.iter(f'{XHTML}a')] == [None, 'https://example.org']
    assert '坏蛋 &amp; &lt; &gt;' in html


def test_unbalanced_html_is_closed_and_stray_end_tags_dropped() -> None:
    assert sanitize('<b>bold <i>both</b> after</i></div>') == '<b>bold <i>both</i></b> after'
    assert sanitize('<ul><li>one<li>two') == '<ul><li>one<li>two</li></li></ul>'
    assert sanitize('<style>p{}</style><br><hr>') == '<br/><hr/>'


@pytest.mark.parametrize(('texts', 'language'), [
    (['你好，今天去哪里？', 'OK'], 'zh-CN'), (['こんにちは、元気？'], 'ja'), (['안녕하세요'], 'ko'),
    (['Hello there', 'A 字'], 'fr'), ([], 'fr')])
def test_the_document_language_follows_the_script(texts: list[str], language: str) -> None:
    assert content_language(texts, 'fr') == language


async def chat_with_messages(h: PluginHarness, *, avatar: bool = True) -> ChatInfo:
    chat = await h.chat('米拉')
    if avatar:
        await h.services.characters.set_avatar(h.user, chat.character_id, png_bytes())
    for role, content in CONVERSATION:
        await h.services.chats.append(h.user, chat.id, NewMessage(role=role, content=content))
    return chat


async def test_the_styled_html_export_is_a_standalone_page() -> None:
    async with plugin_harness(plugin) as h:
        chat = await chat_with_messages(h)
        response = await h.client.get(f'/api/v1/chats/{chat.id}/export', params={'format': 'html'})
    assert response.status_code == 200
    assert response.headers['content-type'].startswith('text/html')
    assert response.headers['content-disposition'].endswith('.html')
    page = response.text
    assert page.startswith('<!DOCTYPE html>\n<html lang="zh-CN">')
    assert page.count('<article class="message') == 5
    assert page.count('class="message system"') == 0
    assert '<em>挥手</em>' in page and '<strong>森林</strong>吧。<br/>' in page
    assert 'alert' not in page and '<script' not in page
    assert 'href="https://example.org/a?b=1&amp;c=2"' in page
    assert 'src="data:image/webp;base64,' in page
    assert '"PingFang SC"' in page and '@media print' in page and 'prefers-color-scheme: dark' in page
    assert '米拉 · 5 messages' in page
    assert 'UTC</time>' in page


async def test_the_epub_export_is_a_valid_epub_3_container() -> None:
    async with plugin_harness(plugin) as h:
        await h.services.plugins.write_settings(h.plugin_id, 'user', {'messages_per_chapter': 5,
                                                                      'include_notes': True}, user=h.user)
        chat = await chat_with_messages(h)
        for number in range(6):
            await h.services.chats.append(h.user, chat.id, NewMessage(role='user', content=f'More {number}'))
        response = await h.client.get(f'/api/v1/chats/{chat.id}/export', params={'format': 'epub'})
        again = await h.client.get(f'/api/v1/chats/{chat.id}/export', params={'format': 'epub'})
    assert response.status_code == 200
    assert response.headers['content-type'] == 'application/epub+zip'
    assert response.content == again.content
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    first = archive.infolist()[0]
    assert (first.filename, first.compress_type, archive.read(first)) == ('mimetype', zipfile.ZIP_STORED,
                                                                        b'application/epub+zip')
    assert response.content[30:38] == b'mimetype'
    container = ElementTree.fromstring(archive.read('META-INF/container.xml'))
    (rootfile,) = container.iter(f'{CONTAINER}rootfile')
    assert rootfile.get('media-type') == 'application/oebps-package+xml'
    opf_path = rootfile.get('full-path')
    package = ElementTree.fromstring(archive.read(opf_path))
    assert package.get('version') == '3.0'
    metadata = package.find(f'{OPF}metadata')
    identifier = metadata.find(f'{DC}identifier')
    assert identifier.get('id') == package.get('unique-identifier') and identifier.text.startswith('urn:uuid:')
    assert metadata.find(f'{DC}language').text == 'zh-CN'
    assert metadata.find(f'{DC}title').text
    modified = [meta for meta in metadata.iter(f'{OPF}meta') if meta.get('property') == 'dcterms:modified']
    assert len(modified) == 1 and modified[0].text.endswith('Z')
    folder = opf_path.rsplit('/', 1)[0] + '/'
    items = {item.get('id'): item for item in package.find(f'{OPF}manifest')}
    for item in items.values():
        assert folder + item.get('href') in archive.namelist()
    (nav,) = [item for item in items.values() if item.get('properties') == 'nav']
    spine = [items[ref.get('idref')].get('href') for ref in package.find(f'{OPF}spine')]
    assert spine == ['title.xhtml', 'chapter-001.xhtml', 'chapter-002.xhtml', 'chapter-003.xhtml']
    assert items['avatar'].get('properties') == 'cover-image'
    pages = {href: ElementTree.fromstring(archive.read(folder + href)) for href in [*spine, nav.get('href')]}
    for root in pages.values():
        assert root.tag == f'{XHTML}html' and root.get('lang') == 'zh-CN'
    nav_links = [link.get('href') for link in pages[nav.get('href')].iter(f'{XHTML}a')]
    assert nav_links == spine
    messages = [[block for block in pages[href].iter(f'{XHTML}div') if 'message' in block.get('class', '').split()]
                for href in spine[1:]]
    assert [len(chapter) for chapter in messages] == [5, 5, 2]
    assert 'system' in messages[0][3].get('class')
    assert pages['chapter-001.xhtml'].find(f'.//{XHTML}img').get('src') == 'images/character.webp'


async def test_labels_follow_the_user_language_and_a_user_can_switch_the_formats_off() -> None:
    async with plugin_harness(plugin) as h:
        chinese = await h.new_user('lin')
        chinese.locale = 'zh-CN'
        (formats,) = await h.call('export_formats', user=chinese)
        assert [(item.id, item.label) for item in formats] == [('html', '样式化 HTML'), ('epub', 'ePub 电子书')]
        chat = await chat_with_messages(h, avatar=False)
        await h.services.plugins.set_user_enabled(h.plugin_id, h.user, False)
        response = await h.client.get(f'/api/v1/chats/{chat.id}/export', params={'format': 'epub'})
        assert response.status_code == 422
        assert response.json()['code'] == 'error.chat_file.unknown_export_format'
        await h.services.plugins.set_user_enabled(h.plugin_id, h.user, True)
        page = (await h.client.get(f'/api/v1/chats/{chat.id}/export', params={'format': 'html'})).text
        assert 'data:image' not in page and 'class="avatar initials"' in page


def test_the_plugin_builds_into_an_installable_wheel() -> None:
    contents = check_packaging('chat_export_styled')
    assert {'chat_export_styled/epub.py', 'chat_export_styled/markup.py'} <= set(contents.files)


async def test_the_chat_export_menu_offers_both_formats(user: User, login) -> None:
    owner = await login('alice')
    services = runtime.services()
    await services.plugins.load_modules([plugin.__name__])
    character = await services.characters.create(owner, CharacterFields(name='Mira', first_mes='Hello.'))
    chat = await services.chats.start(owner, character.id)
    await user.open(f'/chat/{chat.id}')
    await user.should_see(marker=f'export-html-{chat.id}')
    await user.should_see('Styled HTML')
    await user.should_see('ePub e-book')

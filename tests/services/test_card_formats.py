"""Card file formats on real files: every card in ../shared/compat is read with the right content, malformed ones are
refused with the reason, and every card survives export to each format and back unchanged. Exports are also checked
with readers that are not ours: Pillow's PNG text chunks, the `aichar` package and the standard library."""

from __future__ import annotations

import base64
import io
import json
import zipfile
import zlib
from typing import Any

import aichar
import pytest
from PIL import Image

from app.errors import InvalidInputError, PayloadTooLargeError, TavernError
from app.services.card_formats import CardFileLimits, ParsedCard, adopt_icon, export_card, read_card_file
from app.services.card_formats.content_hash import content_hash
from app.services.card_formats.png_chunks import encode_chunk, iter_chunks
from app.services.card_formats.spec_shapes import V1_MIRRORS
from tests.support.compat_cards import CARDS, MALFORMED, CompatCard, MalformedCard, card, every_card_file
from tests.support.images import png_bytes

LIMITS = CardFileLimits()
EXPORTS = (('png', 'v2'), ('json', 'v2'), ('json', 'v3'), ('charx', 'v3'))
MIRROR_KEYS = {top_key for top_key, _ in V1_MIRRORS}


def read(data: bytes, filename: str, limits: CardFileLimits = LIMITS) -> ParsedCard:
    return read_card_file(data, filename, limits)


def usable_picture(parsed: ParsedCard) -> bytes | None:
    """The picture when Pillow can decode it, as the media store requires before keeping it as the avatar."""
    if parsed.picture is None:
        return None
    try:
        with Image.open(io.BytesIO(parsed.picture)) as image:
            image.load()
    except OSError:
        return None
    return parsed.picture


def stored_card(parsed: ParsedCard) -> dict[str, Any]:
    """The card as the importer stores it: a CharX icon that became the avatar points at the default picture."""
    if parsed.icon_index is None or usable_picture(parsed) is None:
        return parsed.card
    return adopt_icon(parsed.card, parsed.icon_index, 'png')


def text_png(*chunks: tuple[bytes, bytes]) -> bytes:
    """A small PNG with extra chunks (kind, body) inserted before IEND."""
    png = png_bytes()
    end = png.rindex(b'IEND') - 4
    return png[:end] + b''.join(encode_chunk(kind, body) for kind, body in chunks) + png[end:]


def b64_json(value: object) -> bytes:
    return base64.b64encode(json.dumps(value).encode())


def v2(name: str, **data: object) -> dict[str, Any]:
    return {'spec': 'chara_card_v2', 'spec_version': '2.0', 'data': {'name': name, **data}}


def test_every_compat_card_file_is_covered() -> None:
    assert every_card_file() == {entry.path for entry in CARDS} | {entry.path for entry in MALFORMED}


@pytest.mark.parametrize('compat', CARDS, ids=str)
def test_compat_card_is_read(compat: CompatCard) -> None:
    parsed = read(compat.data(), compat.filename)
    data = parsed.card['data']
    assert (parsed.card['spec'], parsed.card['spec_version']) == ('chara_card_v3', '3.0')
    assert data['name'] == compat.name
    assert len(data['alternate_greetings']) == compat.alternate_greetings
    book = data.get('character_book')
    assert (len(book['entries']) if book else 0) == compat.book_entries
    assert (usable_picture(parsed) is not None) == compat.has_picture


@pytest.mark.parametrize('malformed', MALFORMED, ids=str)
def test_malformed_compat_card_is_refused(malformed: MalformedCard) -> None:
    with pytest.raises(InvalidInputError) as error:
        read(malformed.data(), malformed.filename)
    assert error.value.code == malformed.code
    assert error.value.message.endswith('.')


@pytest.mark.parametrize('compat', CARDS, ids=str)
@pytest.mark.parametrize(('fmt', 'spec'), EXPORTS)
def test_compat_card_round_trips(compat: CompatCard, fmt: str, spec: str) -> None:
    parsed = read(compat.data(), compat.filename)
    before = stored_card(parsed)
    exported = export_card(before, fmt, spec, usable_picture(parsed))
    again = read(exported.content, f'{compat.name}.{exported.extension}')
    after = stored_card(again)
    assert after['data'] == before['data']
    assert content_hash(after) == content_hash(before)
    kept = {key: value for key, value in before.items() if key not in MIRROR_KEYS}
    assert {key: after[key] for key in kept} == kept
    if fmt != 'json' and compat.has_picture:
        assert usable_picture(again) is not None


def test_unknown_fields_extensions_and_book_are_kept_verbatim() -> None:
    source = {**v2('Ilse', tags='sea, sky', character_version=1.5, alternate_greetings=None,
                   extensions={'depth_prompt': {'prompt': 'x', 'depth': 4}, 'vendor': [1, {'a': None}]},
                   character_book={'entries': [{'keys': ['k'], 'content': 'c', 'extensions': {'z': 1}}]},
                   vendor_data={'nested': True}),
              'top_extra': ['kept'], 'talkativeness': '0.5'}
    data = read(json.dumps(source).encode(), 'ilse.json').card['data']
    assert data['extensions'] == source['data']['extensions']
    assert data['character_book'] == source['data']['character_book']
    assert data['vendor_data'] == {'nested': True}
    assert (data['tags'], data['character_version'], data['alternate_greetings']) == (['sea', 'sky'], '1.5', [])
    assert data['group_only_greetings'] == [] and data['creator_notes'] == ''
    assert read(json.dumps(source).encode(), 'ilse.json').card['top_extra'] == ['kept']


def test_v1_and_pygmalion_json_map_to_v3_fields() -> None:
    v1 = {'name': 'Rook', 'description': 'D', 'personality': 'P', 'scenario': 'S', 'first_mes': 'Hi',
          'mes_example': 'E', 'creatorcomment': 'N', 'metadata': 'agnai'}
    card_v1 = read(json.dumps(v1).encode(), 'rook.json').card
    assert {key: card_v1['data'][key] for key in ('name', 'description', 'first_mes', 'creator_notes')} == \
        {'name': 'Rook', 'description': 'D', 'first_mes': 'Hi', 'creator_notes': 'N'}
    assert card_v1['metadata'] == 'agnai' and 'first_mes' not in card_v1
    example = read(card('Example.json').data(), 'Example.json').card['data']
    assert example['description'].startswith('Chiharu Yamada is a young')
    assert example['first_mes'].startswith('*Chiharu strides into the room')
    assert example['mes_example'] and example['scenario'] == ''


def test_oobabooga_yaml() -> None:
    text = 'name: Aqua\ngreeting: Hello there!\ncontext: "A water spirit.\\n"\nyour_name: You\n'
    parsed = read(text.encode(), 'Aqua.yaml')
    data = parsed.card['data']
    assert (data['name'], data['first_mes'], data['description']) == ('Aqua', 'Hello there!', 'A water spirit.\n')
    assert parsed.card['your_name'] == 'You'
    with pytest.raises(InvalidInputError) as error:
        read(b'a: &a [1, 2]\nname: x\nb: [*a, *a]\n', 'bomb.yml')
    assert error.value.code == 'error.card.yaml_aliases'
    with pytest.raises(InvalidInputError) as error:
        read(b'name: [unclosed\n', 'broken.yaml')
    assert error.value.code == 'error.card.broken_yaml'


@pytest.mark.parametrize(('content', 'filename', 'code'), [
    (b'{"spec": "chara_card_v2", "data": {', 'cut.json', 'error.card.broken_json'),
    (b'{"name": NaN}', 'nan.json', 'error.card.broken_json'),
    (b'{"name": "x", "deep": ' + b'[' * 500 + b']' * 500 + b'}', 'deep.json', 'error.card.broken_json'),
    (b'{"name": "x", "deep": ' + b'[' * 5000 + b']' * 5000 + b'}', 'deeper.json', 'error.card.broken_json'),
    (b'[1, 2]', 'list.json', 'error.card.not_a_card'),
    (b'{"entries": {}}', 'lorebook.json', 'error.card.not_a_card'),
    (b'{"name": "   "}', 'blank.json', 'error.card.no_name'),
    (b'\xff\xfe{', 'utf16.json', 'error.card.not_utf8'),
    (b'GIF89a....', 'picture.gif', 'error.card.unsupported_file'),
    (b'plain text', 'notes.png', 'error.card.not_png'),
    (b'PK\x03\x04broken', 'card.charx', 'error.card.broken_zip'),
])
def test_malformed_files_are_refused_with_the_reason(content: bytes, filename: str, code: str) -> None:
    with pytest.raises(InvalidInputError) as error:
        read(content, filename)
    assert error.value.code == code


def test_json_with_byte_order_mark_and_nul_characters() -> None:
    content = '\ufeff' + json.dumps(v2('Nul\u0000l', description='a\u0000b'))
    data = read(content.encode(), 'bom.json').card['data']
    assert (data['name'], data['description']) == ('Null', 'ab')


def test_png_prefers_ccv3_and_falls_back_to_chara() -> None:
    both = text_png((b'tEXt', b'chara\0' + b64_json(v2('Old'))), (b'tEXt', b'ccv3\0' + b64_json(v2('New'))))
    assert read(both, 'x.png').card['data']['name'] == 'New'
    broken_base64 = text_png((b'tEXt', b'chara\0' + b64_json(v2('Old'))), (b'tEXt', b'ccv3\0!!not base64!!'))
    assert read(broken_base64, 'x.png').card['data']['name'] == 'Old'
    broken_json = text_png((b'tEXt', b'ccv3\0' + base64.b64encode(b'{"spec":')),
                           (b'tEXt', b'chara\0' + b64_json(v2('Old'))))
    assert read(broken_json, 'x.png').card['data']['name'] == 'Old'
    with pytest.raises(InvalidInputError) as error:
        read(text_png((b'tEXt', b'ccv3\0%%%'), (b'tEXt', b'chara\0%%%')), 'x.png')
    assert error.value.code == 'error.card.broken_base64' and '"ccv3"' in error.value.message


def test_png_text_chunk_kinds() -> None:
    payload = b64_json(v2('Zed'))
    compressed_itxt = b'chara\0\x01\x00en\0chara\0' + zlib.compress(payload)
    assert read(text_png((b'iTXt', compressed_itxt)), 'x.png').card['data']['name'] == 'Zed'
    assert read(text_png((b'iTXt', b'chara\0\x00\x00\0\0' + payload)), 'x.png').card['data']['name'] == 'Zed'
    assert read(text_png((b'zTXt', b'chara\0\x00' + zlib.compress(payload))), 'x.png').card['data']['name'] == 'Zed'
    raw_json = json.dumps(v2('Ümlaut')).encode('utf-8')
    assert read(text_png((b'tEXt', b'Chara\0' + raw_json)), 'x.png').card['data']['name'] == 'Ümlaut'


def test_png_without_card_is_refused() -> None:
    with pytest.raises(InvalidInputError) as error:
        read(text_png((b'tEXt', b'Comment\0hello')), 'photo.png')
    assert error.value.code == 'error.card.no_card_in_png'


def test_png_export_replaces_card_chunks_and_keeps_the_picture() -> None:
    source = text_png((b'tEXt', b'Comment\0kept'), (b'zTXt', b'chara\0\x00' + zlib.compress(b64_json(v2('Old')))),
                      (b'tEXt', b'CCV3\0' + b64_json(v2('Old'))))
    parsed = read(source, 'x.png')
    exported = export_card(parsed.card, 'png', 'v2', source).content
    kinds = [(chunk.kind, chunk.body.partition(b'\0')[0]) for chunk in iter_chunks(exported)]
    assert kinds[-3:] == [(b'tEXt', b'chara'), (b'tEXt', b'ccv3'), (b'IEND', b'')]
    assert (b'tEXt', b'Comment') in kinds and (b'zTXt', b'chara') not in kinds and (b'tEXt', b'CCV3') not in kinds
    image_chunks = [chunk.raw for chunk in iter_chunks(source) if chunk.kind in (b'IHDR', b'IDAT')]
    assert [chunk.raw for chunk in iter_chunks(exported) if chunk.kind in (b'IHDR', b'IDAT')] == image_chunks


def test_png_export_without_a_usable_picture_uses_a_placeholder() -> None:
    parsed = read(json.dumps(v2('Faceless')).encode(), 'f.json')
    for picture in (None, b'\xff\xd8\xff broken jpeg'):
        exported = export_card(parsed.card, 'png', 'v2', picture).content
        with Image.open(io.BytesIO(exported)) as image:
            assert image.size == (400, 600)
        assert read(exported, 'f.png').card['data']['name'] == 'Faceless'


def test_charx_icon_becomes_the_picture() -> None:
    compat = card('test_character.charx')
    parsed = read(compat.data(), compat.filename)
    assert parsed.icon_index == 0 and parsed.picture is not None
    with zipfile.ZipFile(io.BytesIO(compat.data())) as archive:
        assert parsed.picture == archive.read('assets/main.png')
    stored = stored_card(parsed)
    assert stored['data']['assets'][0] == {'type': 'icon', 'uri': 'ccdefault:', 'name': 'main', 'ext': 'png'}
    exported = export_card(stored, 'charx', 'v3', parsed.picture).content
    with zipfile.ZipFile(io.BytesIO(exported)) as archive:
        written = json.loads(archive.read('card.json'))
        assert written['data']['assets'][0]['uri'] == 'embeded://assets/icon/image/main.png'
        assert archive.read('assets/icon/image/main.png') == parsed.picture


def zip_of(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, 'w', zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def charx_of(**entries: bytes) -> bytes:
    return zip_of({'card.json': json.dumps(v2('Zip')).encode(), **entries})


@pytest.mark.parametrize(('content', 'limits', 'error_type', 'code'), [
    (charx_of(**{'assets/bomb.bin': b'\0' * (3 * 1024 * 1024)}), LIMITS, InvalidInputError, 'error.card.zip_bomb'),
    (charx_of(big=b'x' * 5000), CardFileLimits(max_unpacked_bytes=4000), PayloadTooLargeError,
     'error.card.zip_too_large'),
    (charx_of(a=b'1', b=b'2', c=b'3'), CardFileLimits(max_zip_entries=3), InvalidInputError,
     'error.card.zip_too_many_entries'),
    (charx_of(**{'../escape.json': b'{}'}), LIMITS, InvalidInputError, 'error.card.zip_unsafe_path'),
    (charx_of(**{'/etc/passwd': b''}), LIMITS, InvalidInputError, 'error.card.zip_unsafe_path'),
    (charx_of(**{'assets\\..\\x': b''}), LIMITS, InvalidInputError, 'error.card.zip_unsafe_path'),
    (zip_of({'readme.txt': b'no card here'}), LIMITS, InvalidInputError, 'error.card.charx_without_card'),
    (json.dumps(v2('Big', description='x' * 3000)).encode(), CardFileLimits(max_file_bytes=2000),
     PayloadTooLargeError, 'error.card.too_large'),
])
def test_archive_and_size_limits(content: bytes, limits: CardFileLimits, error_type: type[TavernError],
                                 code: str) -> None:
    with pytest.raises(error_type) as error:
        read(content, 'upload.charx', limits)
    assert error.value.code == code


def test_a_bomb_in_an_icon_is_refused_while_reading() -> None:
    card_json = json.dumps(v2('Bomb', assets=[{'type': 'icon', 'uri': 'embeded://i.png', 'name': 'main',
                                                'ext': 'png'}])).encode()
    content = zip_of({'card.json': card_json, 'i.png': b'\0' * (2 * 1024 * 1024)})
    with pytest.raises(InvalidInputError) as error:
        read(content, 'bomb.charx')
    assert error.value.code == 'error.card.zip_bomb' and error.value.params['path'] == 'i.png'


def test_an_entry_that_lies_about_its_size_is_not_inflated_past_it() -> None:
    card_json = json.dumps(v2('Liar', assets=[{'type': 'icon', 'uri': 'embeded://i.png', 'name': 'main',
                                                'ext': 'png'}])).encode()
    content = bytearray(zip_of({'card.json': card_json, 'i.png': b'\0' * (2 * 1024 * 1024)}))
    local = zipfile.ZipFile(io.BytesIO(content)).getinfo('i.png').header_offset
    directory = content.rindex(b'i.png') - 46
    content[local + 22:local + 26] = content[directory + 24:directory + 28] = (1000).to_bytes(4, 'little')
    with pytest.raises(InvalidInputError) as error:
        read(bytes(content), 'liar.charx')
    assert error.value.code == 'error.card.broken_zip_entry' and error.value.params['path'] == 'i.png'


def test_encrypted_archive_is_refused() -> None:
    content = bytearray(charx_of())
    directory = content.index(b'PK\x01\x02')
    content[directory + 8] |= 0x1
    with pytest.raises(InvalidInputError) as error:
        read(bytes(content), 'locked.charx')
    assert error.value.code == 'error.card.zip_encrypted'


@pytest.mark.parametrize('compat', [entry for entry in CARDS if entry.has_picture], ids=str)
def test_exported_png_read_with_pillow(compat: CompatCard) -> None:
    """An independent reader: Pillow's text chunks, base64 and json, as any other app would do it."""
    parsed = read(compat.data(), compat.filename)
    exported = export_card(stored_card(parsed), 'png', 'v2', parsed.picture).content
    with Image.open(io.BytesIO(exported)) as image:
        image.load()
        chunks = dict(image.text)
        assert image.size == Image.open(io.BytesIO(parsed.picture)).size
    chara, ccv3 = (json.loads(base64.b64decode(chunks[key])) for key in ('chara', 'ccv3'))
    assert (chara['spec'], chara['spec_version'], ccv3['spec'], ccv3['spec_version']) == \
        ('chara_card_v2', '2.0', 'chara_card_v3', '3.0')
    assert chara['data'] == ccv3['data'] == stored_card(parsed)['data']
    assert chara['name'] == chara['data']['name'] == compat.name
    assert chara['first_mes'] == chara['data']['first_mes']


@pytest.mark.parametrize('compat', CARDS, ids=str)
@pytest.mark.parametrize('spec', ['v2', 'v3'])
def test_exported_json_read_with_aichar(compat: CompatCard, spec: str) -> None:
    """An independent reader: the `aichar` package (it reads the V1 fields SillyTavern mirrors at the top level)."""
    parsed = read(compat.data(), compat.filename)
    text = export_card(parsed.card, 'json', spec, None).content.decode('utf-8')
    character = aichar.load_character_json(text)
    data = parsed.card['data']
    assert (character.name, character.greeting_message) == (data['name'], data['first_mes'])
    assert (character.summary, character.personality) == (data['description'], data['personality'])
    assert json.loads(text)['spec'] == {'v2': 'chara_card_v2', 'v3': 'chara_card_v3'}[spec]


def test_exported_charx_read_with_the_standard_library() -> None:
    parsed = read(card('Dr._Light.png').data(), 'Dr._Light.png')
    exported = export_card(parsed.card, 'charx', 'v3', parsed.picture).content
    with zipfile.ZipFile(io.BytesIO(exported)) as archive:
        assert sorted(archive.namelist()) == ['assets/icon/image/main.png', 'card.json']
        written = json.loads(archive.read('card.json'))
        assert archive.read('assets/icon/image/main.png') == parsed.picture
    assert (written['spec'], written['data']['name']) == ('chara_card_v3', 'Dr. Light')
    icons = [asset for asset in written['data']['assets'] if asset['type'] == 'icon']
    assert icons == [{'type': 'icon', 'uri': 'embeded://assets/icon/image/main.png', 'name': 'main', 'ext': 'png'}]

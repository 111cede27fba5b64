import hashlib
import zlib
from pathlib import Path

import pytest
from PIL import Image, ImageFile

from app.errors import InvalidInputError, PayloadTooLargeError
from app.services.media import MediaStore
from tests.support.images import image_bytes, png_bomb, png_bytes, png_chunk


@pytest.fixture
def store(tmp_path: Path) -> MediaStore:
    return MediaStore(tmp_path / 'media', max_bytes=200_000, max_pixels=2000 * 2000)


def stored_files(store: MediaStore) -> list[Path]:
    return sorted(path for path in store.media_dir.rglob('*') if path.is_file())


@pytest.mark.parametrize(('image_format', 'content_type'),
                         [('PNG', 'image/png'), ('JPEG', 'image/jpeg'), ('WEBP', 'image/webp')])
async def test_valid_images_are_stored_with_a_thumbnail(store: MediaStore, image_format: str,
                                                        content_type: str) -> None:
    data = image_bytes(image_format, (800, 400))
    digest = await store.store_avatar(data)
    assert digest == hashlib.sha256(data).hexdigest()
    avatar = store.avatar(digest)
    assert avatar is not None and avatar.content_type == content_type
    assert avatar.path.read_bytes() == data
    thumbnail = store.thumbnail(digest)
    assert thumbnail is not None and thumbnail.content_type == 'image/webp'
    with Image.open(thumbnail.path) as image:
        assert (image.format, image.size) == ('WEBP', (256, 128))


async def test_original_bytes_are_kept_including_text_chunks(store: MediaStore) -> None:
    plain = png_bytes()
    data = plain[:-12] + png_chunk(b'tEXt', b'chara\x00eyJuYW1lIjoiTWFyZW4ifQ==') + plain[-12:]
    digest = await store.store_avatar(data)
    assert store.avatar(digest).path.read_bytes() == data


async def test_same_bytes_give_the_same_hash_and_one_file(store: MediaStore) -> None:
    data = png_bytes()
    assert await store.store_avatar(data) == await store.store_avatar(data)
    assert len(stored_files(store)) == 2
    await store.store_avatar(png_bytes(color='red'))
    assert len(stored_files(store)) == 4


async def test_not_an_image_is_refused(store: MediaStore) -> None:
    for data in (b'', b'hello, world', b'<svg xmlns="http://www.w3.org/2000/svg"/>'):
        with pytest.raises(InvalidInputError) as error:
            await store.store_avatar(data)
        assert error.value.code == 'error.media.not_an_image'
    assert stored_files(store) == []


async def test_gif_is_refused(store: MediaStore) -> None:
    with pytest.raises(InvalidInputError) as error:
        await store.store_avatar(image_bytes('GIF'))
    assert error.value.code == 'error.media.unsupported_format'


async def test_oversized_bytes_are_refused_before_reading_the_image(store: MediaStore) -> None:
    with pytest.raises(PayloadTooLargeError) as error:
        await store.store_avatar(b'\x89PNG\r\n\x1a\n' + b'\x00' * 200_000)
    assert error.value.code == 'error.media.too_large' and error.value.status_code == 413


@pytest.mark.parametrize('size', [(30000, 30000), (2001, 2000)])
async def test_pixel_bombs_are_refused_without_decoding(store: MediaStore, monkeypatch: pytest.MonkeyPatch,
                                                       size: tuple[int, int]) -> None:
    def fail_load(*_args: object) -> None:
        raise AssertionError('the image must not be decoded')

    monkeypatch.setattr(ImageFile.ImageFile, 'load', fail_load)
    data = png_bomb(*size)
    assert len(data) < 10_000
    with pytest.raises(InvalidInputError) as error:
        await store.store_avatar(data)
    assert error.value.code == 'error.media.too_many_pixels'
    assert stored_files(store) == []


async def test_pillow_bomb_warning_is_a_refusal_even_under_a_generous_limit(tmp_path: Path) -> None:
    store = MediaStore(tmp_path / 'media', max_bytes=200_000, max_pixels=150_000_000)
    with pytest.raises(InvalidInputError) as error:
        await store.store_avatar(png_bomb(10000, 10000))
    assert error.value.code == 'error.media.too_many_pixels'


async def test_compressed_text_chunk_bomb_is_refused(store: MediaStore) -> None:
    plain = png_bytes()
    data = plain[:33] + png_chunk(b'zTXt', b'chara\x00\x00' + zlib.compress(b'A' * 50_000_000, 9)) + plain[33:]
    assert len(data) < 200_000
    with pytest.raises(InvalidInputError) as error:
        await store.store_avatar(data)
    assert error.value.code == 'error.media.broken_image'


@pytest.mark.parametrize('image_format', ['PNG', 'JPEG', 'WEBP'])
async def test_truncated_images_are_refused_and_leave_no_files(store: MediaStore, image_format: str) -> None:
    data = image_bytes(image_format, (300, 300), 'navy')
    with pytest.raises(InvalidInputError) as error:
        await store.store_avatar(data[:len(data) // 2])
    assert error.value.code == 'error.media.broken_image'
    assert stored_files(store) == []


@pytest.mark.parametrize('name', ['', 'abc', '../' * 10 + 'etc/passwd', 'A' * 64, 'g' * 64, '0' * 63 + '/'])
def test_invalid_hashes_are_not_found(store: MediaStore, name: str) -> None:
    assert store.avatar(name) is None
    assert store.thumbnail(name) is None

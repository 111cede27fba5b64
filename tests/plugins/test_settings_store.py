"""Plugin settings on both databases: validation, secret redaction, and stored data the model no longer accepts."""

from typing import Literal

import pytest
from pydantic import BaseModel, Field
from sqlmodel import select

from app.db.models import PluginConfig
from app.errors import InvalidInputError
from app.plugins.settings_store import REDACTED, PluginSettingsStore, redacted, secret_fields
from app.services.container import Services
from plugins.sdk import secret

PASSWORD = 'correct horse battery'


class TranslatorSettings(BaseModel):
    target: Literal['en', 'zh-CN'] = 'en'
    api_key: str = secret()
    max_chars: int = Field(default=500, ge=1, description='Longest text to translate')


async def test_defaults_then_stored_values(services: Services) -> None:
    store = PluginSettingsStore(services.db)
    read = await store.read('translator', 'admin', TranslatorSettings)
    assert read.values == TranslatorSettings() and read.error is None
    await store.write('translator', 'admin', TranslatorSettings, {'target': 'zh-CN', 'api_key': 'k', 'max_chars': 9})
    read = await store.read('translator', 'admin', TranslatorSettings)
    assert read.values == TranslatorSettings(target='zh-CN', api_key='k', max_chars=9)


async def test_secrets_are_redacted_and_kept_when_sent_back(services: Services) -> None:
    store = PluginSettingsStore(services.db)
    assert secret_fields(TranslatorSettings) == {'api_key'}
    await store.write('translator', 'admin', TranslatorSettings, {'api_key': 'sk-live-123'})
    shown = redacted(TranslatorSettings, (await store.read('translator', 'admin', TranslatorSettings)).values)
    assert shown == {'target': 'en', 'api_key': REDACTED, 'max_chars': 500}
    await store.write('translator', 'admin', TranslatorSettings, {**shown, 'max_chars': 20})
    values = (await store.read('translator', 'admin', TranslatorSettings)).values
    assert (values.api_key, values.max_chars) == ('sk-live-123', 20)
    assert redacted(TranslatorSettings, TranslatorSettings())['api_key'] == ''


async def test_invalid_input_names_the_field(services: Services) -> None:
    store = PluginSettingsStore(services.db)
    with pytest.raises(InvalidInputError) as caught:
        await store.write('translator', 'admin', TranslatorSettings, {'max_chars': 0})
    assert caught.value.code == 'error.plugins.invalid_settings'
    assert caught.value.params['field'] == 'max_chars' and 'max_chars' in caught.value.params['errors']
    assert (await store.read('translator', 'admin', TranslatorSettings)).values == TranslatorSettings()


async def test_stored_data_that_no_longer_validates_reads_as_defaults_with_an_error(services: Services) -> None:
    async with services.db.session() as session:
        session.add(PluginConfig(plugin_id='translator', scope='admin', data={'target': 'fr'}))
        await session.commit()
    read = await PluginSettingsStore(services.db).read('translator', 'admin', TranslatorSettings)
    assert read.values == TranslatorSettings()
    assert read.error is not None and read.error.startswith('The stored settings are invalid (target:')


async def test_user_settings_are_kept_per_user_in_one_row_each(services: Services) -> None:
    alice = await services.accounts.register('alice', PASSWORD)
    bob = await services.accounts.register('bob', PASSWORD)
    store = PluginSettingsStore(services.db)
    await store.write('translator', 'user', TranslatorSettings, {'target': 'zh-CN'}, alice.id)
    await store.write('translator', 'user', TranslatorSettings, {'target': 'zh-CN', 'max_chars': 3}, alice.id)
    assert (await store.read('translator', 'user', TranslatorSettings, alice.id)).values.max_chars == 3
    assert (await store.read('translator', 'user', TranslatorSettings, bob.id)).values == TranslatorSettings()
    async with services.db.session() as session:
        rows = (await session.exec(select(PluginConfig))).all()
    assert [(row.scope, row.user_id) for row in rows] == [('user', alice.id)]

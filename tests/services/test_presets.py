"""Presets: every real SillyTavern and community preset file gets its kind, imports and exports unchanged, and the
prompt manager reads, synthesises and writes back SillyTavern's prompts and order without losing unknown keys."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError

from app.db.models import Preset, User
from app.errors import ConflictError, InvalidInputError, NotFoundError, PayloadTooLargeError
from app.services.container import Services
from app.services.presets import (
    PresetFileLimits,
    PresetService,
    PromptBlock,
    PromptManagerConfig,
    default_prompt_manager,
    detect_kind,
    read_preset_file,
)
from app.services.presets.chat_completion_defaults import DEFAULT_ORDER, default_preset_data
from app.services.presets.prompt_manager import IN_CHAT
from tests.support.compat import COMPAT_DIR

PASSWORD = 'correct horse battery'
ST_PRESETS = COMPAT_DIR / 'sillytavern' / 'presets'
COMMUNITY_PRESETS = COMPAT_DIR / 'community' / 'presets'
FOLDER_KINDS = {'openai': 'chat_completion', 'textgen': 'textgen', 'kobold': 'kobold', 'instruct': 'instruct',
                'context': 'context', 'sysprompt': 'sysprompt'}
COMMUNITY_KINDS = {
    'Marinaras_Special.json': ['chat_completion'],
    'ChatML-Custom-Instruct.json': ['instruct'],
    'ChatML-Custom-StoryString.json': ['context'],
    'Gemma-Custom.json': ['instruct', 'context', 'sysprompt'],
    'Gemini_Updated_I_Swear_This_Works_Better.json': ['chat_completion'],
    'Lucid_Loom_v0.2.json': ['chat_completion'],
    '缝合预设版缄默法则V3.0@吉歪歪12.7更新.json': ['chat_completion'],
    'DefaultMGB.json': ['chat_completion'],
}
QUICK_REPLIES = ST_PRESETS / 'quick-replies' / 'Default.json'
PRESET_FILES = sorted(path for path in ST_PRESETS.rglob('*.json') if path != QUICK_REPLIES) + \
    sorted(COMMUNITY_PRESETS.glob('*.json'))
MAX_BYTES = PresetFileLimits().max_file_bytes


def expected_kinds(path: Path) -> list[str]:
    if path.parent == COMMUNITY_PRESETS:
        return COMMUNITY_KINDS[path.name]
    return [FOLDER_KINDS[path.parent.name]]


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding='utf-8'))


@pytest.fixture
async def alice(services: Services) -> User:
    return await services.accounts.register('alice', PASSWORD)


def presets(services: Services) -> PresetService:
    return services.presets


def test_the_compat_folders_hold_every_kind() -> None:
    assert len(PRESET_FILES) > 130
    assert set(COMMUNITY_KINDS) == {path.name for path in COMMUNITY_PRESETS.glob('*.json')}
    assert {path.parent.name for path in ST_PRESETS.rglob('*.json')} == {*FOLDER_KINDS, 'quick-replies'}


@pytest.mark.parametrize('path', PRESET_FILES, ids=lambda path: f'{path.parent.name}/{path.name}')
def test_every_preset_file_gets_its_kind(path: Path) -> None:
    parts = read_preset_file(path.read_bytes(), path.name, MAX_BYTES)
    assert [part.kind for part in parts] == expected_kinds(path)
    for part in parts:
        assert part.name and len(part.name) <= 200


def test_names_come_from_the_data_or_the_file_name() -> None:
    (instruct,) = read_preset_file((COMMUNITY_PRESETS / 'ChatML-Custom-Instruct.json').read_bytes(),
                                   'ChatML-Custom-Instruct.json', MAX_BYTES)
    assert instruct.name == 'ChatML-Custom'
    (marinara,) = read_preset_file((COMMUNITY_PRESETS / 'Marinaras_Special.json').read_bytes(),
                                   "uploads/Marinara's Special.JSON", MAX_BYTES)
    assert marinara.name == "Marinara's Special"


def test_quick_replies_and_unknown_files_are_refused_with_the_reason() -> None:
    with pytest.raises(InvalidInputError) as refused:
        read_preset_file(QUICK_REPLIES.read_bytes(), 'Default.json', MAX_BYTES)
    assert refused.value.code == 'error.presets.quick_replies' and 'not a preset' in refused.value.message
    with pytest.raises(InvalidInputError) as unknown:
        detect_kind({'theme': 'dark', 'font_scale': 1}, 'theme.json')
    assert unknown.value.code == 'error.presets.unknown_kind'
    assert 'theme.json' in unknown.value.message and 'story_string' in unknown.value.message
    novel = {'temperature': 1.2, 'max_context': 2048, 'order': [1, 2], 'tail_free_sampling': 0.9}
    with pytest.raises(InvalidInputError):
        detect_kind(novel, 'Erato.json')
    with pytest.raises(InvalidInputError) as listed:
        detect_kind([1, 2], 'list.json')
    assert listed.value.code == 'error.presets.not_an_object'


def test_broken_files_name_the_file_and_the_problem() -> None:
    with pytest.raises(InvalidInputError) as broken:
        read_preset_file(b'{"temp": 1,\n  "rep_pen": }', 'Broken.json', MAX_BYTES)
    assert broken.value.code == 'error.presets.not_json'
    assert broken.value.message.startswith('Broken.json is not valid JSON') and 'line 2' in broken.value.message
    with pytest.raises(InvalidInputError) as binary:
        read_preset_file(b'\x89PNG\r\n\x1a\n\xff\xfe', 'picture.json', MAX_BYTES)
    assert binary.value.code == 'error.presets.not_text'
    with pytest.raises(PayloadTooLargeError) as too_large:
        read_preset_file(b' ' * 2049, 'Huge.json', 2048)
    assert too_large.value.code == "error.presets.too_large"
    assert 'Huge.json' in str(too_large.value)
    (with_bom,) = read_preset_file('\ufeff{"name": "Blank", "content": ""}'.encode(), 'Blank.json', MAX_BYTES)
    assert (with_bom.kind, with_bom.name) == ('sysprompt', 'Blank')


def test_default_prompt_manager_is_sillytaverns_default_preset() -> None:
    st_default = load(ST_PRESETS / 'openai' / 'Default.json')
    assert default_prompt_manager() == PromptManagerConfig.from_st(st_default)
    config = default_prompt_manager()
    assert config.order == list(DEFAULT_ORDER)
    assert config.block('main').content == st_default['prompts'][0]['content']
    assert (config.new_chat_prompt, config.wi_format, config.continue_postfix) == ('[Start a new Chat]', '{0}', ' ')


def test_the_global_order_is_read_first() -> None:
    data = load(COMMUNITY_PRESETS / 'Marinaras_Special.json')
    config = PromptManagerConfig.from_st(data)
    (global_order,) = [entry['order'] for entry in data['prompt_order'] if entry['character_id'] == 100001]
    assert config.order == [(item['identifier'], item['enabled']) for item in global_order]
    only_dummy = {**data, 'prompt_order': [entry for entry in data['prompt_order'] if entry['character_id'] == 100000]}
    assert len(PromptManagerConfig.from_st(only_dummy).order) == 11
    other = {**data, 'prompt_order': [{'character_id': 7, 'order': [{'identifier': 'main', 'enabled': False}]}]}
    assert PromptManagerConfig.from_st(other).order == [('main', False)]


def test_a_preset_without_order_gets_sillytaverns_default_order() -> None:
    data = load(COMMUNITY_PRESETS / 'DefaultMGB.json')
    config = PromptManagerConfig.from_st(data)
    assert config.order == list(DEFAULT_ORDER)
    assert config.block('nsfw').content.startswith('NSFW/Smut is allowed')
    assert config.to_st(data) == data
    extra = {**data, 'prompts': [*data['prompts'], {'identifier': 'mine', 'name': 'Mine', 'content': 'Hi.',
                                                    'enabled': False}]}
    assert PromptManagerConfig.from_st(extra).order[-1] == ('mine', False)


def test_missing_markers_and_utility_prompts_get_defaults() -> None:
    data = {'openai_max_context': 8192, 'names_in_completion': True,
            'prompts': [{'identifier': 'main', 'name': 'Main', 'content': 'Be {{char}}.', 'system_prompt': True,
                         'role': 'boss', 'injection_depth': 'deep'}]}
    config = PromptManagerConfig.from_st(data)
    assert [block.identifier for block in config.prompts][:2] == ['main', 'dialogueExamples']
    assert {block.identifier for block in config.prompts if block.marker} == {
        'dialogueExamples', 'chatHistory', 'worldInfoAfter', 'worldInfoBefore', 'charDescription',
        'charPersonality', 'scenario', 'personaDescription'}
    assert config.order[0] == ('main', True) and ('enhanceDefinitions', False) not in config.order
    main = config.block('main')
    assert (main.role, main.injection_depth) == ('system', 4)
    assert config.names_behavior == 1
    assert config.impersonation_prompt.startswith('[Write your next reply from the point of view of {{user}}')
    assert config.to_st(data) == data


@pytest.mark.parametrize('path', [path for path in PRESET_FILES if 'chat_completion' in expected_kinds(path)],
                         ids=lambda path: path.name)
def test_unedited_prompt_managers_write_back_the_same_json(path: Path) -> None:
    data = load(path)
    config = PromptManagerConfig.from_st(data)
    assert config.to_st(data) == data
    assert config.copy().to_st(data) == data


def test_edits_are_written_back_and_unknown_keys_kept() -> None:
    data = load(COMMUNITY_PRESETS / 'Lucid_Loom_v0.2.json')
    config = PromptManagerConfig.from_st(data).copy()
    first, second = config.order[0], config.order[1]
    config.order[0], config.order[1] = (second[0], False), first
    edited = next(block for block in config.prompts if 'injection_trigger' in block.extra and not block.marker)
    edited.content = 'Rewritten.'
    edited.injection_position, edited.injection_depth = IN_CHAT, 2
    custom = PromptBlock.custom('My rule')
    custom.content = 'Stay in character.'
    config.prompts.append(custom)
    config.order.append((custom.identifier, True))
    config.assistant_prefill = 'Sure:'

    written = config.to_st(data)
    assert {key: value for key, value in written.items() if key not in ('prompts', 'prompt_order',
                                                                       'assistant_prefill')} == \
        {key: value for key, value in data.items() if key not in ('prompts', 'prompt_order', 'assistant_prefill')}
    assert written['assistant_prefill'] == 'Sure:'
    original = next(item for item in data['prompts'] if item['identifier'] == edited.identifier)
    rewritten = next(item for item in written['prompts'] if item['identifier'] == edited.identifier)
    assert rewritten == {**original, 'content': 'Rewritten.', 'injection_position': 1, 'injection_depth': 2}
    assert written['prompts'][-1] == {
        'identifier': custom.identifier, 'name': 'My rule', 'role': 'system', 'content': 'Stay in character.',
        'system_prompt': False, 'marker': False, 'injection_position': 0, 'injection_depth': 4,
        'forbid_overrides': False, 'enabled': True}
    untouched = [item for item in data['prompts'] if item['identifier'] != edited.identifier]
    assert [item for item in written['prompts'] if item['identifier'] in {i['identifier'] for i in untouched}] \
        == untouched
    dummy_before, dummy_after = (next(entry for entry in order if entry['character_id'] == 100000)
                                 for order in (data['prompt_order'], written['prompt_order']))
    assert dummy_after == dummy_before
    assert PromptManagerConfig.from_st(written) == config


def test_an_edited_preset_without_order_gets_a_global_order() -> None:
    data = load(COMMUNITY_PRESETS / 'DefaultMGB.json')
    config = PromptManagerConfig.from_st(data)
    config.order[0] = ('main', False)
    written = config.to_st(data)
    assert written['prompt_order'] == [{'character_id': 100001, 'order': [
        {'identifier': identifier, 'enabled': enabled} for identifier, enabled in config.order]}]
    assert written['prompts'] == data['prompts']


def test_a_deleted_custom_block_leaves_the_prompts_and_the_order() -> None:
    data = load(COMMUNITY_PRESETS / 'Marinaras_Special.json')
    config = PromptManagerConfig.from_st(data)
    custom = next(block for block in config.prompts if block.is_custom and block.identifier in dict(config.order))
    config.prompts.remove(custom)
    config.order = [entry for entry in config.order if entry[0] != custom.identifier]
    written = config.to_st(data)
    assert custom.identifier not in {item['identifier'] for item in written['prompts']}
    assert len(written['prompts']) == len(data['prompts']) - 1
    assert PromptManagerConfig.from_st(written).block(custom.identifier) is None


async def test_every_file_imports_and_exports_unchanged(services: Services, alice: User) -> None:
    service = presets(services)
    stored: list[tuple[str, dict[str, Any]]] = []
    for path in PRESET_FILES:
        results = await service.import_file(alice, path.read_bytes(), path.name)
        assert [result.status for result in results] == ['imported'] * len(results), results
        assert [result.kind for result in results] == expected_kinds(path)
        data = load(path)
        sections = [data[kind] for kind in expected_kinds(path)] if len(results) > 1 else [data]
        stored += [(result.preset_id, section) for result, section in zip(results, sections, strict=True)]
    assert len(await service.list(alice)) == len(stored)
    for preset_id, original in stored:
        download = await service.export(alice, preset_id)
        assert download.media_type == 'application/json'
        assert json.loads(download.content) == original


async def test_a_master_export_becomes_three_presets(services: Services, alice: User) -> None:
    service = presets(services)
    path = COMMUNITY_PRESETS / 'Gemma-Custom.json'
    results = await service.import_file(alice, path.read_bytes(), path.name)
    assert [(result.kind, result.name) for result in results] == [
        ('instruct', 'Gemma-Custom'), ('context', 'Gemma-Custom'), ('sysprompt', 'Gemma-Custom')]
    sysprompt = await service.get(alice, results[2].preset_id)
    assert sysprompt.data == load(path)['sysprompt']
    assert [preset.name for preset in await service.list(alice, 'context')] == ['Gemma-Custom']


async def test_a_taken_name_is_numbered_unless_replacing(services: Services, alice: User) -> None:
    service = presets(services)
    path = ST_PRESETS / 'instruct' / 'ChatML.json'
    (first,) = await service.import_file(alice, path.read_bytes(), path.name)
    await service.activate(alice, first.preset_id)
    (second,) = await service.import_file(alice, path.read_bytes(), path.name)
    (third,) = await service.import_file(alice, path.read_bytes(), path.name)
    assert [second.name, third.name] == ['ChatML (2)', 'ChatML (3)']
    assert (await service.get(alice, second.preset_id)).data['name'] == 'ChatML (2)'
    changed = {**load(path), 'stop_sequence': '<|end|>'}
    (replaced,) = await service.import_file(alice, json.dumps(changed).encode(), 'ChatML.json', replace=True)
    assert (replaced.status, replaced.preset_id, replaced.name) == ('replaced', first.preset_id, 'ChatML')
    kept = await service.get(alice, first.preset_id)
    assert kept.data == changed and kept.is_active
    assert len(await service.list(alice, 'instruct')) == 3


async def test_failed_imports_say_why(services: Services, alice: User) -> None:
    service = presets(services)
    (broken,) = await service.import_file(alice, b'{"name": ', 'Broken.json')
    assert (broken.status, broken.code, broken.params['filename']) == ('failed', 'error.presets.not_json',
                                                                       'Broken.json')
    (quick,) = await service.import_file(alice, QUICK_REPLIES.read_bytes(), 'Default.json')
    assert quick.code == 'error.presets.quick_replies'
    small = PresetService(services.db, PresetFileLimits(max_file_bytes=1024))
    lucid = COMMUNITY_PRESETS / 'Lucid_Loom_v0.2.json'
    (huge,) = await small.import_file(alice, lucid.read_bytes(), lucid.name)
    assert (huge.code, huge.params['limit']) == ('error.presets.too_large', 1)
    assert await service.list(alice) == []


async def test_create_rename_update_and_delete(services: Services, alice: User) -> None:
    service = presets(services)
    blank = await service.create(alice, 'sysprompt', 'Blank', {'name': 'Blank', 'content': ''})
    other = await service.create(alice, 'sysprompt', 'Actor', {'name': 'Actor', 'content': 'Act.'})
    with pytest.raises(ConflictError) as taken:
        await service.rename(alice, other.id, ' Blank ')
    assert taken.value.code == 'error.presets.name_taken' and '"Blank"' in taken.value.message
    with pytest.raises(ConflictError):
        await service.create(alice, 'sysprompt', 'Blank', {'name': 'Blank', 'content': 'x'})
    renamed = await service.rename(alice, blank.id, 'Empty')
    assert (renamed.name, renamed.data) == ('Empty', {'name': 'Empty', 'content': ''})
    updated = await service.update(alice, blank.id, {'name': 'Empty', 'content': 'Be brief.', 'post_history': 'x'})
    assert updated.data['content'] == 'Be brief.' and updated.updated_at >= renamed.updated_at
    with pytest.raises(InvalidInputError) as mismatch:
        await service.update(alice, blank.id, {'story_string': '{{description}}'})
    assert mismatch.value.code == 'error.presets.kind_mismatch'
    with pytest.raises(InvalidInputError) as bad_kind:
        await service.create(alice, 'novel', 'Erato', {'temperature': 1})
    assert bad_kind.value.code == 'error.presets.bad_kind'
    with pytest.raises(InvalidInputError):
        await service.rename(alice, blank.id, '   ')
    download = await service.export(alice, blank.id)
    assert download.filename == 'Empty.json'
    await service.delete(alice, blank.id)
    assert [preset.name for preset in await service.list(alice)] == ['Actor']


async def test_one_active_preset_per_kind(services: Services, alice: User) -> None:
    service = presets(services)
    first = await service.create(alice, 'chat_completion', 'First', default_preset_data())
    second = await service.create(alice, 'chat_completion', 'Second', default_preset_data(), is_active=True)
    sysprompt = await service.create(alice, 'sysprompt', 'Blank', {'name': 'Blank', 'content': ''}, is_active=True)
    assert (await service.active(alice, 'chat_completion')).id == second.id
    await service.activate(alice, first.id)
    assert [(preset.name, preset.is_active) for preset in await service.list(alice, 'chat_completion')] == [
        ('First', True), ('Second', False)]
    assert (await service.active(alice, 'sysprompt')).id == sysprompt.id
    bob = await services.accounts.register('bob', PASSWORD)
    mine = await service.create(bob, 'chat_completion', 'First', default_preset_data(), is_active=True)
    assert (await service.active(alice, 'chat_completion')).id == first.id
    assert (await service.active(bob, 'chat_completion')).id == mine.id
    await service.deactivate(alice, first.id)
    assert await service.active(alice, 'chat_completion') is None


async def test_the_database_allows_one_active_preset_per_kind(services: Services, alice: User) -> None:
    async with services.db.session() as session:
        session.add(Preset(owner_id=alice.id, kind='sysprompt', name='A', data={}, is_active=True))
        session.add(Preset(owner_id=alice.id, kind='sysprompt', name='B', data={}, is_active=True))
        with pytest.raises(IntegrityError):
            await session.commit()


async def test_replies_use_the_active_chat_completion_preset(services: Services, alice: User) -> None:
    service = presets(services)
    assert await service.prompt_manager(alice) == default_prompt_manager()
    path = COMMUNITY_PRESETS / 'Marinaras_Special.json'
    (result,) = await service.import_file(alice, path.read_bytes(), path.name)
    assert await service.prompt_manager(alice) == default_prompt_manager()
    await service.activate(alice, result.preset_id)
    assert await service.prompt_manager(alice) == PromptManagerConfig.from_st(load(path))


async def test_presets_are_private(services: Services, alice: User) -> None:
    service = presets(services)
    preset = await service.create(alice, 'sysprompt', 'Blank', {'name': 'Blank', 'content': ''})
    bob = await services.accounts.register('bob', PASSWORD)
    for attempt in (service.get(bob, preset.id), service.rename(bob, preset.id, 'Mine'),
                    service.activate(bob, preset.id), service.export(bob, preset.id), service.delete(bob, preset.id)):
        with pytest.raises(NotFoundError):
            await attempt
    assert await service.list(bob) == []
    assert (await service.get(alice, preset.id)).name == 'Blank'

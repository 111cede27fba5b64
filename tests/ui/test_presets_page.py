"""The presets page in NiceGUI's simulated browser: import files with a result per preset, groups by kind, activate,
rename, delete, the prompt manager editor (switch, move, edit, add and delete blocks, utility prompts) and the form of
an instruct template."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable

from nicegui import ElementFilter, ui
from nicegui.testing import User
from nicegui.testing.user_interaction import UserInteraction

from app import runtime
from app.db.models import Preset
from app.db.models import User as Account
from app.services.presets import PresetService, PromptManagerConfig
from tests.support.compat import COMPAT_DIR

Login = Callable[..., Awaitable[Account]]
COMMUNITY = COMPAT_DIR / 'community' / 'presets'
ST_PRESETS = COMPAT_DIR / 'sillytavern' / 'presets'


def _service() -> PresetService:
    return runtime.services().presets


def _element(user: User, marker: str) -> ui.element:
    (element,) = user.find(marker=marker).elements
    return element


def _within(user: User, container: str, marker: str) -> UserInteraction:
    """The one element marked `marker` inside the element marked `container`."""
    with user:
        elements = set(ElementFilter(marker=marker).within(marker=container))
    assert len(elements) == 1, elements
    return UserInteraction(user, elements, None)


def _in_block(user: User, identifier: str, marker: str) -> UserInteraction:
    return _within(user, f'prompt-block-{identifier}', marker)


def _in_row(user: User, preset: Preset, marker: str) -> UserInteraction:
    return _within(user, f'preset-row-{preset.id}', marker)


async def _upload(user: User, *files: tuple[str, bytes]) -> None:
    upload = _element(user, 'preset-import-upload')
    assert isinstance(upload, ui.upload)
    with user:
        await upload.handle_uploads([ui.upload.SmallFileUpload(name, 'application/json', data) for name, data in files])


async def _import(owner: Account, name: str) -> Preset:
    (result,) = await _service().import_file(owner, (COMMUNITY / name).read_bytes(), name)
    return await _service().get(owner, result.preset_id)


async def _eventually(check: Callable[[], Awaitable[bool]]) -> None:
    for _ in range(40):
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError('the condition never became true')


async def test_import_activate_rename_and_delete(user: User, login: Login) -> None:
    owner = await login()
    await user.open('/presets')
    await user.should_see(marker='no-presets')
    user.find(marker='import-presets').click()
    await user.should_see(marker='preset-import-dialog')
    await _upload(user, ('Gemma-Custom.json', (COMMUNITY / 'Gemma-Custom.json').read_bytes()),
                  ('Default.json', (ST_PRESETS / 'quick-replies' / 'Default.json').read_bytes()),
                  ('Godlike.json', (ST_PRESETS / 'kobold' / 'Godlike.json').read_bytes()))
    await user.should_see('4 imported, 0 replaced, 1 failed.')
    await user.should_see('Imported as Gemma-Custom (Instruct templates).')
    await user.should_see('Default.json is a Quick Replies set, not a preset')
    user.find(marker='preset-import-close').click()
    for kind in ('instruct', 'context', 'sysprompt', 'kobold'):
        await user.should_see(marker=f'preset-group-{kind}')
    await user.should_not_see(marker='preset-group-chat_completion')

    (context,) = await _service().list(owner, 'context')
    _in_row(user, context, 'toggle-active').click()
    await user.should_see(marker='preset-active')
    active = [preset for preset in await _service().list(owner) if preset.is_active]
    assert [preset.id for preset in active] == [context.id]

    _in_row(user, context, 'rename-preset').click()
    await user.should_see(marker='preset-name-input')
    user.find(marker='preset-name-input').clear().type('My story')
    user.find(marker='save-preset-name').click()
    await user.should_see(marker='open-preset', content='My story')
    context = await _service().get(owner, context.id)
    assert (context.name, context.data['name'], context.is_active) == ('My story', 'My story', True)

    _in_row(user, context, 'delete-preset').click()
    await user.should_see(marker='confirm-ok')
    user.find(marker='confirm-ok').click()
    await user.should_see('My story was deleted.')
    assert await _service().list(owner, 'context') == []


async def test_a_taken_name_is_explained_in_the_rename_dialog(user: User, login: Login) -> None:
    owner = await login()
    await _service().create(owner, 'sysprompt', 'Blank', {'name': 'Blank', 'content': ''})
    actor = await _service().create(owner, 'sysprompt', 'Actor', {'name': 'Actor', 'content': 'Act.'})
    await user.open('/presets')
    _in_row(user, actor, 'rename-preset').click()
    await user.should_see(marker='preset-name-input')
    user.find(marker='preset-name-input').clear().type('Blank')
    user.find(marker='save-preset-name').click()
    await _eventually(lambda: _has_error(user, 'You already have a sysprompt preset named "Blank". Choose another '
                                               'name.'))
    assert sorted(preset.name for preset in await _service().list(owner)) == ['Actor', 'Blank']


async def _has_error(user: User, text: str) -> bool:
    return _element(user, 'preset-name-input').error == text


async def test_prompt_manager_switch_move_edit_add_and_save(user: User, login: Login) -> None:
    owner = await login()
    preset = await _import(owner, 'Marinaras_Special.json')
    instructions, persona = '19fa7d4f-14bc-4f5f-92e1-4896f60f1f7b', 'a8616cba-a376-49dc-b3c2-ed45e4881104'
    await user.open(f'/presets?preset={preset.id}')
    await user.should_see(marker='prompt-manager')
    await user.should_see(marker='detail-name', content='Marinaras_Special')
    assert len(user.find(marker='prompt-block').elements) == 19
    assert len(user.find(marker='unordered-block').elements) == 3

    toggle = _in_block(user, instructions, 'block-toggle')
    with user:
        next(iter(toggle.elements)).value = False
    _in_block(user, persona, 'block-up').click()
    _in_block(user, 'main', 'block-expand').click()
    await user.should_see(marker='block-content')
    user.find(marker='block-content').clear().type('Write the next reply as {{char}}.')
    user.find(marker='add-block').click()
    await user.should_see(marker='block-name', content='New block')
    (new_name,) = [element for element in user.find(marker='block-name-input').elements
                   if isinstance(element, ui.input) and element.value == 'New block']
    UserInteraction(user, {new_name}, None).clear().type('Tone')
    user.find(marker='save-prompt-manager').click()
    await user.should_see('Prompt manager saved.')

    data = (await _service().get(owner, preset.id)).data
    config = PromptManagerConfig.from_st(data)
    identifiers = [identifier for identifier, _ in config.order]
    assert dict(config.order)[instructions] is False
    assert identifiers.index(persona) == identifiers.index('07e15ba9-9d2d-47e5-bea2-5b96e57ecb61') - 1
    assert config.block('main').content == 'Write the next reply as {{char}}.'
    assert config.prompts[-1].name == 'Tone' and identifiers[-1] == config.prompts[-1].identifier
    original = json.loads((COMMUNITY / 'Marinaras_Special.json').read_text(encoding='utf-8'))
    assert {key: value for key, value in data.items() if key not in ('prompts', 'prompt_order')} == \
        {key: value for key, value in original.items() if key not in ('prompts', 'prompt_order')}

    await user.open(f'/presets?preset={preset.id}')
    await user.should_see(marker='prompt-manager')
    assert next(iter(_in_block(user, instructions, 'block-toggle').elements)).value is False
    _in_block(user, config.prompts[-1].identifier, 'block-delete').click()
    await user.should_see(marker='confirm-ok')
    user.find(marker='confirm-ok').click()
    await user.should_not_see(marker='block-name', content='Tone')
    user.find(marker='save-prompt-manager').click()

    async def deleted() -> bool:
        stored = PromptManagerConfig.from_st((await _service().get(owner, preset.id)).data)
        return stored.block(config.prompts[-1].identifier) is None and len(stored.order) == len(config.order) - 1
    await _eventually(deleted)


async def test_utility_prompts_and_unordered_blocks(user: User, login: Login) -> None:
    owner = await login()
    preset = await _import(owner, 'DefaultMGB.json')
    await user.open(f'/presets?preset={preset.id}')
    await user.should_see(marker='utility-prompts')
    user.find(marker='utility-new_chat_prompt').clear().type('[A new story begins]')
    with user:
        _element(user, 'utility-names_behavior').value = 2
    user.find(marker='save-prompt-manager').click()
    await user.should_see('Prompt manager saved.')
    data = (await _service().get(owner, preset.id)).data
    assert (data['new_chat_prompt'], data['names_behavior']) == ('[A new story begins]', 2)
    assert 'prompt_order' not in data and data['names_in_completion'] is False

    marinara = await _import(owner, 'Marinaras_Special.json')
    await user.open(f'/presets?preset={marinara.id}')
    prefill = next(block for block in PromptManagerConfig.from_st(marinara.data).unordered() if block.name == 'Prefill')
    _within(user, f'unordered-block-{prefill.identifier}', 'block-insert').click()
    await user.should_see(marker='block-name', content='Prefill')
    assert len(user.find(marker='unordered-block').elements) == 2


async def test_instruct_form_and_read_only_samplers(user: User, login: Login) -> None:
    owner = await login()
    instruct = await _import(owner, 'ChatML-Custom-Instruct.json')
    await user.open(f'/presets?preset={instruct.id}')
    await user.should_see(marker='preset-fields')
    await user.should_see('User message prefix (input_sequence)')
    user.find(marker='field-stop_sequence').clear().type('<|im_end|>\n')
    with user:
        _element(user, 'field-wrap').value = True
    user.find(marker='save-preset-fields').click()
    await user.should_see('Preset saved.')
    data = (await _service().get(owner, instruct.id)).data
    original = json.loads((COMMUNITY / 'ChatML-Custom-Instruct.json').read_text(encoding='utf-8'))
    assert data == {**original, 'stop_sequence': '<|im_end|>\n', 'wrap': True}

    (result,) = await _service().import_file(owner, (ST_PRESETS / 'textgen' / 'Default.json').read_bytes(),
                                             'Default.json')
    await user.open(f'/presets?preset={result.preset_id}')
    await user.should_see(marker='sampler-values')
    await user.should_see(marker='sampler-temp', content='0.7')
    await user.should_not_see(marker='save-preset-fields')

import json
from pathlib import Path
from typing import Any

import pytest

from app.errors import InvalidInputError
from app.services.macros import MacroContext, substitute_macros
from app.services.story_string import DEFAULT_STORY_STRING, ContextTemplate, render_story_string
from tests.support.compat import COMPAT_DIR

CONTEXT_DIR = COMPAT_DIR / 'sillytavern' / 'presets' / 'context'
COMMUNITY_DIR = COMPAT_DIR / 'community' / 'presets'
CONTEXT_FILES = sorted(CONTEXT_DIR.glob('*.json'))

PARAMS = {
    'system': "Write {{char}}'s next reply.", 'description': '{{char}} keeps the lighthouse.',
    'personality': 'gruff but kind', 'scenario': 'A storm traps {{user}} on the island.',
    'persona': 'Alex is a sailor.', 'wiBefore': '', 'wiAfter': 'The lamp is old.', 'char': 'Mira', 'user': 'Alex',
}
BODY = ("Write {{char}}'s next reply.\n{{char}} keeps the lighthouse.\nMira's personality: gruff but kind\n"
        'Scenario: A storm traps {{user}} on the island.\nThe lamp is old.\nAlex is a sailor.\n')


def preset(name: str) -> dict[str, Any]:
    return json.loads((CONTEXT_DIR / f'{name}.json').read_text(encoding='utf-8'))


@pytest.mark.parametrize(('name', 'expected'), [
    ('Default', BODY),
    ('ChatML', f'<|im_start|>system\n{BODY}{{{{trim}}}}<|im_end|>'),
    ('Llama 3 Instruct', f'<|start_header_id|>system<|end_header_id|>\n\n{BODY}{{{{trim}}}}<|eot_id|>'),
])
def test_sillytavern_story_strings_render_exactly(name: str, expected: str) -> None:
    assert render_story_string(preset(name)['story_string'], PARAMS) == expected


def test_the_macro_pass_finishes_what_rendering_leaves() -> None:
    rendered = render_story_string(preset('ChatML')['story_string'], PARAMS)
    assert substitute_macros(rendered, MacroContext(user='Alex', char='Mira')) == (
        "<|im_start|>system\nWrite Mira's next reply.\nMira keeps the lighthouse.\nMira's personality: gruff but "
        'kind\nScenario: A storm traps Alex on the island.\nThe lamp is old.\nAlex is a sailor.<|im_end|>')


def test_empty_params_leave_only_the_fixed_text() -> None:
    assert render_story_string(preset('Default')['story_string'], {}) == ''
    assert render_story_string(preset('ChatML')['story_string'], {'scenario': ''}) == \
        '<|im_start|>system\n{{trim}}<|im_end|>'


@pytest.mark.parametrize('path', CONTEXT_FILES, ids=lambda path: path.stem)
def test_every_sillytavern_context_preset_renders_and_round_trips(path: Path) -> None:
    data = json.loads(path.read_text(encoding='utf-8'))
    template = ContextTemplate.from_st(data)
    assert template.to_st() == data
    rendered = render_story_string(template.story_string, PARAMS)
    assert 'gruff but kind' in rendered
    assert '{{#' not in rendered and '{{/' not in rendered


@pytest.mark.parametrize('loader', [
    lambda: json.loads((COMMUNITY_DIR / 'ChatML-Custom-StoryString.json').read_text(encoding='utf-8')),
    lambda: json.loads((COMMUNITY_DIR / 'Gemma-Custom.json').read_text(encoding='utf-8'))['context'],
], ids=['ChatML-Custom-StoryString', 'Gemma-Custom'])
def test_community_context_presets_render_and_keep_unknown_keys(loader: Any) -> None:
    data = loader()
    template = ContextTemplate.from_st(data)
    assert template.to_st() == data
    rendered = render_story_string(template.story_string, PARAMS | {'mesExamples': 'EXAMPLES'})
    assert 'EXAMPLES' in rendered and 'gruff but kind' in rendered


def test_missing_keys_take_sillytavern_defaults_and_edits_are_written_back() -> None:
    data = {'story_string': '{{description}}', 'name': 'Mine', 'include_newline': False}
    template = ContextTemplate.from_st(data)
    assert (template.example_separator, template.chat_start, template.names_as_stop_strings,
            template.use_stop_strings, template.always_force_name2) == ('***', '***', True, False, True)
    assert template.to_st() == data
    template.use_stop_strings = True
    template.story_string = '{{persona}}'
    assert template.to_st() == {'story_string': '{{persona}}', 'name': 'Mine', 'include_newline': False,
                                'use_stop_strings': True}
    assert ContextTemplate().story_string == DEFAULT_STORY_STRING


def test_conditions_else_unless_nesting_and_chains() -> None:
    template = ('{{#if a}}A{{#unless b}}-not b{{else}}-b{{/unless}}{{else if c}}C{{else}}none{{/if}}'
                '|{{#unless a}}no a{{/unless}}')
    assert render_story_string(template, {'a': 'x', 'b': ''}) == 'A-not b|'
    assert render_story_string(template, {'a': 'x', 'b': 'y'}) == 'A-b|'
    assert render_story_string(template, {'c': 'z'}) == 'C|no a'
    assert render_story_string(template, {}) == 'none|no a'
    assert render_story_string('{{#if "text"}}T{{/if}}{{#if 0}}Z{{/if}}{{#if this.a}}!{{/if}}', {'a': '1'}) == 'T!'


def test_values_are_not_escaped_and_unknown_names_wait_for_macros() -> None:
    params = {'description': '<b>"Mira" & co</b>'}
    template = ('{{description}} {{{description}}} {{char}} {{ user }} {{random::a::b}} {{setvar::x::two words}} '
                '{{trim}}')
    assert render_story_string(template, params) == ('<b>"Mira" & co</b> <b>"Mira" & co</b> {{char}} {{user}} '
                                                     '{{random::a::b}} {{setvar::x::two words}} {{trim}}')
    assert render_story_string('{{roll 20}} {{datetimeformat YYYY}} {{// note}} {{random:a,b}}', {}) == \
        '{{roll 20}} {{datetimeformat YYYY}} {{// note}} {{random:a,b}}'


def test_unknown_helpers_and_comments_render_nothing() -> None:
    assert render_story_string('a{{shout description}}b{{! note }}c{{!-- {{x}} --}}d', {'description': 'x'}) == 'abcd'
    assert render_story_string('{{#each items}}x{{/each}}|{{#description}}{{description}}{{/description}}',
                               {'description': 'D'}) == '|{{description}}'


def test_standalone_block_lines_vanish_like_handlebars() -> None:
    template = '{{#if system}}\n{{system}}\n{{/if}}\n{{#if description}}\n  {{description}}\n{{/if}}\nEnd'
    assert render_story_string(template, {'system': 'SYS', 'description': 'DESC'}) == 'SYS\n  DESC\nEnd'
    assert render_story_string(template, {}) == 'End'
    assert render_story_string('  {{#if a}}  \nA\n  {{else}}  \nB\n  {{/if}}  \nC', {}) == 'B\nC'


def test_tilde_strips_whitespace() -> None:
    assert render_story_string('x {{~#if a~}}  A  {{~/if~}} y|x  {{~a~}}  y', {'a': 'A'}) == 'xAy|xAy'


@pytest.mark.parametrize(('template', 'code'), [
    ('{{#if a}}open', 'error.macros.unclosed_block'),
    ('text{{/if}}', 'error.macros.unexpected_close'),
    ('{{#if a}}x{{/unless}}', 'error.macros.unexpected_close'),
    ('{{else}}', 'error.macros.misplaced_else'),
    ('{{#if a}}x{{else}}y{{else}}z{{/if}}', 'error.macros.misplaced_else'),
    ('{{#if a b}}x{{/if}}', 'error.macros.condition_argument'),
    ('{{#if}}x{{/if}}', 'error.macros.condition_argument'),
    ('{{> partial}}', 'error.macros.unsupported_tag'),
])
def test_broken_templates_raise_an_error_the_user_can_act_on(template: str, code: str) -> None:
    with pytest.raises(InvalidInputError) as raised:
        render_story_string(template, {'a': 'x'})
    assert raised.value.code == code

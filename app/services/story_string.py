"""Story strings: the Handlebars templates of SillyTavern's context presets, and the context preset itself.

SillyTavern renders a story string with `Handlebars.compile(story_string, {noEscape: true})` and then runs the
macros over the result. This module implements the part of Handlebars story strings use: `{{#if x}}`,
`{{#unless x}}`, `{{else}}` (also `{{else if y}}`), sections (`{{#x}}…{{/x}}`, `{{^x}}…{{/x}}`), comments,
`{{~ ~}}` whitespace control and Handlebars' "standalone tag" line removal, so multi-line templates come out as
they do in SillyTavern. `{{x}}` takes `params[x]` without HTML escaping; `{{trim}}` and names that are not
params (`{{char}}`, `{{random::a::b}}`, …) are left in place for the macro pass; unknown helpers give nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from ..errors import InvalidInputError

DEFAULT_STORY_STRING = (
    "{{#if system}}{{system}}\n{{/if}}{{#if wiBefore}}{{wiBefore}}\n{{/if}}{{#if description}}{{description}}\n"
    "{{/if}}{{#if personality}}{{char}}'s personality: {{personality}}\n{{/if}}{{#if scenario}}Scenario: "
    "{{scenario}}\n{{/if}}{{#if wiAfter}}{{wiAfter}}\n{{/if}}{{#if persona}}{{persona}}\n{{/if}}")

_TAG = re.compile(r'\{\{(~?)!--.*?--(~?)\}\}|\{\{\{(~?)(.*?)(~?)\}\}\}|\{\{(~?)(.*?)(~?)\}\}', re.DOTALL)
_ID = r'[^\s!"#%-,./;->@\[-\^`{-~]+'
_PATH = re.compile(rf'(?:@?{_ID}|this|\.\.?)(?:[./]{_ID})*')
_ARGUMENT = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|\S+')
_LITERALS: dict[str, Any] = {'true': True, 'false': False, 'null': None, 'undefined': None}
_NUMBER = re.compile(r'-?\d+(?:\.\d+)?')
# Macros that take space-separated arguments: kept for the macro pass instead of being run as unknown helpers.
_MACRO_HELPERS = frozenset({'roll', 'datetimeformat', 'banned', 'random', 'pick'})
_CONDITIONS = frozenset({'if', 'unless'})


@dataclass
class _Strip:
    """Whether a tag's `~` strips whitespace on its left (`open`) or right (`close`)."""

    open: bool = False
    close: bool = False


@dataclass
class _Content:
    original: str
    value: str
    left_stripped: bool = False
    right_stripped: bool = False


@dataclass
class _Mustache:
    words: list[str] | None
    raw: str
    strip: _Strip


@dataclass
class _Comment:
    strip: _Strip


@dataclass
class _Block:
    helper: str
    params: list[str]
    program: list[Any] | None
    open_strip: _Strip
    inverse: list[Any] | None = None
    inverse_strip: _Strip = field(default_factory=_Strip)
    close_strip: _Strip = field(default_factory=_Strip)
    chained: bool = False
    """The inverse is an `{{else if …}}` chain: a body holding one `_Block`."""


def _invalid(code: str, message: str, **params: Any) -> InvalidInputError:
    return InvalidInputError(f'error.macros.{code}', message, **params)


def _words(expression: str) -> list[str] | None:
    """The helper/path and its arguments, or None when Handlebars would not accept the expression."""
    words = _ARGUMENT.findall(expression.strip())
    if not words or not _PATH.fullmatch(words[0]):
        return None
    for word in words[1:]:
        value = word.split('=', 1)[1] if re.match(rf'{_ID}=', word) else word
        if not value or not (value[0] in '"\'' or _NUMBER.fullmatch(value) or _PATH.fullmatch(value)):
            return None
    return words


@dataclass
class _OpenBlock:
    """A block being parsed: the block whose body is filling (an `{{else if}}` link for chains) and its chain."""

    block: _Block
    body: list[Any]
    chain: list[_Block]


_ELSE = re.compile(r'\^|else(?:\s+(.*))?', re.DOTALL)


class _Parser:
    """Turns a template into nested bodies of `_Content`, `_Mustache`, `_Comment` and `_Block` nodes."""

    def __init__(self) -> None:
        self.root: list[Any] = []
        self.stack: list[_OpenBlock] = []

    @property
    def body(self) -> list[Any]:
        return self.stack[-1].body if self.stack else self.root

    def parse(self, template: str) -> list[Any]:
        position = 0
        for match in _TAG.finditer(template):
            if match.start() > position:
                text = template[position:match.start()]
                self.body.append(_Content(text, text))
            position = match.end()
            self._tag(match)
        if position < len(template):
            self.body.append(_Content(template[position:], template[position:]))
        if self.stack:
            name = self.stack[-1].chain[0].helper
            raise _invalid('unclosed_block', f'The story string opens the block "#{name}" but never closes it '
                           f'with "/{name}".', name=name)
        return self.root

    def _tag(self, match: re.Match[str]) -> None:
        if match.group(1) is not None:
            self.body.append(_Comment(_Strip(bool(match.group(1)), bool(match.group(2)))))
            return
        if match.group(4) is not None:
            strip, body = _Strip(bool(match.group(3)), bool(match.group(5))), match.group(4).strip()
            self.body.append(_Mustache(_words(body), match.group(0), strip))
            return
        strip, body = _Strip(bool(match.group(6)), bool(match.group(8))), match.group(7).strip()
        otherwise = _ELSE.fullmatch(body)
        if body.startswith('!'):
            self.body.append(_Comment(strip))
        elif body.startswith(('#>', '#*', '>')):
            raise _unsupported(match.group(0))
        elif body.startswith('#') or (body.startswith('^') and not otherwise):
            self._open(body[1:], strip, inverted=body.startswith('^'), tag=match.group(0))
        elif otherwise:
            self._else((otherwise.group(1) or '').strip(), strip, tag=match.group(0))
        elif body.startswith('/') and _PATH.fullmatch(body[1:].strip()):
            self._close(body[1:].strip(), strip)
        else:
            self.body.append(_Mustache(_words(body.removeprefix('&')), match.group(0), strip))

    def _open(self, expression: str, strip: _Strip, *, inverted: bool, tag: str) -> None:
        words = _words(expression)
        if words is None:
            raise _unsupported(tag)
        body: list[Any] = []
        block = _Block(words[0], words[1:], None if inverted else body, strip, inverse=body if inverted else None)
        self.body.append(block)
        self.stack.append(_OpenBlock(block, body, [block]))

    def _else(self, chained: str, strip: _Strip, tag: str) -> None:
        if not self.stack:
            raise _invalid('misplaced_else', 'The story string has a second "else" in one block, or one outside '
                           'any "#if" or "#unless" block.')
        current = self.stack[-1]
        block = current.block
        if block.program is not None and block.inverse is not None:
            raise _invalid('misplaced_else', 'The story string has a second "else" in one block, or one outside '
                           'any "#if" or "#unless" block.')
        self.stack.pop()
        block.inverse_strip = strip
        if block.program is None:
            block.program = []
            self.stack.append(_OpenBlock(block, block.program, current.chain))
            return
        block.inverse = []
        if not chained:
            self.stack.append(_OpenBlock(block, block.inverse, current.chain))
            return
        words = _words(chained)
        if words is None:
            raise _unsupported(tag)
        block.chained = True
        body: list[Any] = []
        link = _Block(words[0], words[1:], body, strip)
        block.inverse.append(link)
        self.stack.append(_OpenBlock(link, body, [*current.chain, link]))

    def _close(self, name: str, strip: _Strip) -> None:
        if not self.stack or self.stack[-1].chain[0].helper != name:
            raise _invalid('unexpected_close', f'The story string closes "/{name}" without a matching "#{name}" '
                           'before it.', name=name)
        for block in self.stack.pop().chain:
            block.close_strip = strip


def _unsupported(tag: str) -> InvalidInputError:
    return _invalid('unsupported_tag', f'The story string uses "{tag}", which story strings do not support.',
                    tag=tag)


def _is_prev_whitespace(body: list[Any], index: int | None = None, is_root: bool = False) -> bool:
    index = len(body) if index is None else index
    prev = body[index - 1] if index >= 1 else None
    if prev is None:
        return is_root
    if isinstance(prev, _Content):
        pattern = r'\r?\n\s*?\Z' if index >= 2 or not is_root else r'(^|\r?\n)\s*?\Z'
        return re.search(pattern, prev.original) is not None
    return False


def _is_next_whitespace(body: list[Any], index: int = -1, is_root: bool = False) -> bool:
    following = body[index + 1] if index + 1 < len(body) else None
    if following is None:
        return is_root
    if isinstance(following, _Content):
        pattern = r'\s*?\r?\n' if index + 2 < len(body) or not is_root else r'\s*?(\r?\n|\Z)'
        return re.match(pattern, following.original) is not None
    return False


def _omit_right(body: list[Any] | None, index: int | None = None, multiple: bool = False) -> None:
    position = 0 if index is None else index + 1
    current = body[position] if body is not None and position < len(body) else None
    if not isinstance(current, _Content) or (not multiple and current.right_stripped):
        return
    before = current.value
    current.value = re.sub(r'^\s+' if multiple else r'^[ \t]*\r?\n?', '', current.value, count=1)
    current.right_stripped = current.value != before


def _omit_left(body: list[Any] | None, index: int | None = None, multiple: bool = False) -> bool:
    if body is None:
        return False
    position = len(body) - 1 if index is None else index - 1
    current = body[position] if 0 <= position < len(body) else None
    if not isinstance(current, _Content) or (not multiple and current.left_stripped):
        return False
    before = current.value
    current.value = re.sub(r'\s+\Z' if multiple else r'[ \t]+\Z', '', current.value)
    current.left_stripped = current.value != before
    return current.left_stripped


@dataclass
class _Standalone:
    strip: _Strip
    open_standalone: bool = False
    close_standalone: bool = False
    inline_standalone: bool = False


def _control_block(block: _Block) -> _Standalone:
    """Handlebars' `WhitespaceControl.BlockStatement`: apply `~` and find standalone `{{else}}` lines."""
    _control_program(block.program, is_root=False)
    _control_program(block.inverse, is_root=False)
    program = block.program if block.program is not None else block.inverse or []
    inverse = block.inverse if block.program is not None else None
    first_inverse = last_inverse = inverse
    if inverse is not None and block.chained:
        first_inverse = last_inverse = inverse[0].program
    standalone = _Standalone(_Strip(block.open_strip.open, block.close_strip.close),
                             open_standalone=_is_next_whitespace(program),
                             close_standalone=_is_prev_whitespace(first_inverse or program))
    if block.open_strip.close:
        _omit_right(program, None, True)
    if inverse is not None:
        if block.inverse_strip.open:
            _omit_left(program, None, True)
        if block.inverse_strip.close:
            _omit_right(first_inverse, None, True)
        if block.close_strip.open:
            _omit_left(last_inverse, None, True)
        if _is_prev_whitespace(program) and _is_next_whitespace(first_inverse or []):
            _omit_left(program)
            _omit_right(first_inverse)
    elif block.close_strip.open:
        _omit_left(program, None, True)
    return standalone


def _control_program(body: list[Any] | None, is_root: bool) -> None:
    """Handlebars' `WhitespaceControl.Program`: `~` stripping and removal of standalone tag lines."""
    for index, node in enumerate(body or []):
        if isinstance(node, _Content):
            continue
        if isinstance(node, _Block):
            standalone = _control_block(node)
        else:
            standalone = _Standalone(node.strip, inline_standalone=isinstance(node, _Comment))
        prev_ws, next_ws = _is_prev_whitespace(body, index, is_root), _is_next_whitespace(body, index, is_root)
        if standalone.strip.close:
            _omit_right(body, index, True)
        if standalone.strip.open:
            _omit_left(body, index, True)
        if standalone.inline_standalone and prev_ws and next_ws:
            _omit_right(body, index)
            _omit_left(body, index)
        if isinstance(node, _Block) and standalone.open_standalone and prev_ws:
            _omit_right(node.program if node.program is not None else node.inverse)
            _omit_left(body, index)
        if isinstance(node, _Block) and standalone.close_standalone and next_ws:
            _omit_right(body, index)
            _omit_left(node.inverse if node.inverse is not None else node.program)


def _lookup(path: str, params: Mapping[str, Any]) -> tuple[bool, Any]:
    """(found, value) of a path such as `description` or `this.description` among the params."""
    name = re.sub(r'^(this[./]|\./)', '', path)
    return (True, params[name]) if name in params else (False, None)


def _value(word: str, params: Mapping[str, Any]) -> Any:
    if word[0] in '"\'':
        return word[1:-1]
    if word in _LITERALS:
        return _LITERALS[word]
    if _NUMBER.fullmatch(word):
        return float(word)
    return _lookup(word, params)[1]


def _text(value: Any) -> str:
    if value is None:
        return ''
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _render_mustache(node: _Mustache, params: Mapping[str, Any]) -> str:
    if node.words is None:
        return node.raw
    name, arguments = node.words[0], node.words[1:]
    if name == 'trim':
        return '{{trim}}'
    if not arguments:
        found, value = _lookup(name, params)
        return _text(value) if found else '{{' + name + '}}'
    if name in _MACRO_HELPERS or ':' in name:
        return node.raw
    return ''


def _render_block(block: _Block, params: Mapping[str, Any]) -> str:
    positional = [word for word in block.params if not re.match(rf'{_ID}=', word)]
    if block.helper in _CONDITIONS:
        if len(positional) != 1:
            raise _invalid('condition_argument', f'The story string\'s "#{block.helper}" needs exactly one value '
                           f'to test, like "#{block.helper} description".', name=block.helper)
        condition = bool(_value(positional[0], params))
        chosen = block.program if condition == (block.helper == 'if') else block.inverse
    elif block.params:
        return ''
    else:
        return _render_section(block, params)
    return _render(chosen or [], params)


def _render_section(block: _Block, params: Mapping[str, Any]) -> str:
    """`{{#x}}…{{/x}}` as SillyTavern's Handlebars runs it: only `false` and null choose the `{{else}}` part; any
    other value (a missing one becomes the text "{{x}}") renders the body with that text as its context, where
    no param can be found, so names inside are left for the macro pass."""
    found, value = _lookup(block.helper, params)
    if found and (value is None or value is False):
        return _render(block.inverse or [], params)
    return _render(block.program or [], params if value is True else {})


def _render(body: list[Any], params: Mapping[str, Any]) -> str:
    parts: list[str] = []
    for node in body:
        if isinstance(node, _Content):
            parts.append(node.value)
        elif isinstance(node, _Mustache):
            parts.append(_render_mustache(node, params))
        elif isinstance(node, _Block):
            parts.append(_render_block(node, params))
    return ''.join(parts)


def render_story_string(template: str, params: Mapping[str, Any]) -> str:
    """The story string `template` filled from `params`, ready for the macro pass (`{{trim}}` still in it)."""
    body = _Parser().parse(template)
    _control_program(body, is_root=True)
    return _render(body, params)


def merge_preset_dict(source: Mapping[str, Any], values: Mapping[str, Any], loaded: Mapping[str, Any]) -> dict:
    """A preset's JSON after editing: `source` with its keys in place and unknown keys kept, the current `values`
    written over it, and fields the source did not have added only when they changed since loading (`loaded`)."""
    merged = dict(source)
    for key, value in values.items():
        if key in source or value != loaded.get(key):
            merged[key] = value
    return merged


def preset_value(default: Any, value: Any) -> Any:
    """A preset value read as the type of its field's `default` (presets written by hand are not always tidy)."""
    if isinstance(default, bool):
        return value.strip().lower() == 'true' if isinstance(value, str) else bool(value)
    if isinstance(default, str):
        return value if isinstance(value, str) else '' if value is None else str(value)
    return value


@dataclass
class ContextTemplate:
    """A SillyTavern context preset (`context/*.json`); `from_st`/`to_st` keep keys this class does not know.

    Missing keys take SillyTavern's defaults for a loaded preset.
    """

    story_string: str = DEFAULT_STORY_STRING
    example_separator: str = '***'
    chat_start: str = '***'
    use_stop_strings: bool = False
    names_as_stop_strings: bool = True
    allow_jailbreak: bool = False
    always_force_name2: bool = True
    trim_sentences: bool = False
    single_line: bool = False
    name: str = ''
    source: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_st(cls, data: Mapping[str, Any]) -> ContextTemplate:
        defaults = cls()
        values = {item.name: preset_value(getattr(defaults, item.name), data[item.name])
                  for item in fields(cls) if item.name != 'source' and item.name in data}
        return cls(**values, source=dict(data))

    def to_st(self) -> dict[str, Any]:
        loaded = ContextTemplate.from_st(self.source)
        return merge_preset_dict(self.source, _field_values(self), _field_values(loaded))


def _field_values(preset: Any) -> dict[str, Any]:
    return {item.name: getattr(preset, item.name) for item in fields(preset) if item.name != 'source'}

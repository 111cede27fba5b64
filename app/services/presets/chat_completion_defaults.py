"""SillyTavern's default chat-completion preset contents: the built-in prompt blocks, their order and the utility
prompts, with the texts SillyTavern ships (its `presets/openai/Default.json`), so presets that leave something out
behave as they do there. Shipped in code: the app never reads SillyTavern's files at run time.
"""

from __future__ import annotations

from typing import Any

MAIN_PROMPT = "Write {{char}}'s next reply in a fictional chat between {{char}} and {{user}}."
ENHANCE_DEFINITIONS = ("If you have more knowledge of {{char}}, add to the character's lore and personality to "
                       "enhance them but keep the Character Sheet's definitions absolute.")

# (identifier, name, content); None content marks a placeholder that the prompt builder fills.
BUILT_IN_PROMPTS: tuple[tuple[str, str, str | None], ...] = (
    ('main', 'Main Prompt', MAIN_PROMPT),
    ('nsfw', 'Auxiliary Prompt', ''),
    ('dialogueExamples', 'Chat Examples', None),
    ('jailbreak', 'Post-History Instructions', ''),
    ('chatHistory', 'Chat History', None),
    ('worldInfoAfter', 'World Info (after)', None),
    ('worldInfoBefore', 'World Info (before)', None),
    ('enhanceDefinitions', 'Enhance Definitions', ENHANCE_DEFINITIONS),
    ('charDescription', 'Char Description', None),
    ('charPersonality', 'Char Personality', None),
    ('scenario', 'Scenario', None),
    ('personaDescription', 'Persona Description', None),
)
MARKER_NAMES = {identifier: name for identifier, name, content in BUILT_IN_PROMPTS if content is None}

DEFAULT_ORDER: tuple[tuple[str, bool], ...] = (
    ('main', True), ('worldInfoBefore', True), ('personaDescription', True), ('charDescription', True),
    ('charPersonality', True), ('scenario', True), ('enhanceDefinitions', False), ('nsfw', True),
    ('worldInfoAfter', True), ('dialogueExamples', True), ('chatHistory', True), ('jailbreak', True),
)

UTILITY_DEFAULTS: dict[str, str | bool | int] = {
    'new_chat_prompt': '[Start a new Chat]',
    'new_group_chat_prompt': '[Start a new group chat. Group members: {{group}}]',
    'new_example_chat_prompt': '[Example Chat]',
    'continue_nudge_prompt': '[Continue the following message. Do not include ANY parts of the original message. '
                             'Use capitalization and punctuation as if your reply is a part of the original message: '
                             '{{lastChatMessage}}]',
    'impersonation_prompt': "[Write your next reply from the point of view of {{user}}, using the chat history so far "
                            "as a guideline for the writing style of {{user}}. Don't write as {{char}} or system. "
                            "Don't describe actions of {{char}}.]",
    'wi_format': '{0}',
    'scenario_format': '[Circumstances and context of the dialogue: {{scenario}}]',
    'personality_format': "[{{char}}'s personality: {{personality}}]",
    'group_nudge_prompt': '[Write the next reply only as {{char}}.]',
    'names_behavior': 0,
    'squash_system_messages': False,
    'assistant_prefill': '',
    'continue_prefill': False,
    'continue_postfix': ' ',
    'send_if_empty': '',
}

GLOBAL_ORDER_ID = 100001
DUMMY_ORDER_ID = 100000


def default_preset_data() -> dict[str, Any]:
    """A new chat-completion preset: the built-in blocks in the default order plus the utility prompts."""
    prompts: list[dict[str, Any]] = []
    for identifier, name, content in BUILT_IN_PROMPTS:
        prompt: dict[str, Any] = {'identifier': identifier, 'name': name, 'system_prompt': True}
        if content is None:
            prompt['marker'] = True
        else:
            prompt.update(role='system', content=content)
        prompts.append(prompt)
    order = [{'identifier': identifier, 'enabled': enabled} for identifier, enabled in DEFAULT_ORDER]
    return {**UTILITY_DEFAULTS, 'prompts': prompts, 'prompt_order': [{'character_id': GLOBAL_ORDER_ID,
                                                                       'order': order}]}

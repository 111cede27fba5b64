"""What is read aloud and the browser call that reads it.

A message is markdown; what is read is its plain text: code blocks, HTML tags, link targets and markdown marks are
left out, and the user may choose to hear only the quoted speech ("…", “…”, 「…」) or to skip *actions*. The voice is
chosen in the browser (`window.speechSynthesis`): a voice of the exact name the user gave, else the first voice for
the text's language (Chinese when the text is mostly Han characters, else English, unless the user fixed one).
The text goes into the script as a JSON string, so nothing in a message can break out of it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

MAX_SPOKEN = 5000
STOP_SCRIPT = '(() => { if (window.speechSynthesis) window.speechSynthesis.cancel(); return true; })()'

_CODE_BLOCK = re.compile(r'```.*?(```|$)', re.DOTALL)
_HTML = re.compile(r'<[^>]+>')
_IMAGE = re.compile(r'!\[([^\]]*)\]\([^)]*\)')
_LINK = re.compile(r'\[([^\]]*)\]\([^)]*\)')
_ACTION = re.compile(r'\*[^*\n]+\*')
_QUOTE = re.compile(r'"([^"\n]+)"|“([^”]+)”|「([^」]+)」|『([^』]+)』')
_MARKS = re.compile(r'[*_~`#>|]+')
_SPACE = re.compile(r'\s+')
_HAN = re.compile(r'[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]')
_LATIN = re.compile(r'[A-Za-z]')


@dataclass(frozen=True)
class Voice:
    lang: str
    name: str = ''
    rate: float = 1.0
    pitch: float = 1.0


def readable_text(markdown: str, narrate: str = 'all') -> str:
    """The words to say: 'all' of the text, only the 'quotes', or everything but the *actions* ('no_actions')."""
    text = _CODE_BLOCK.sub(' ', markdown)
    text = _HTML.sub(' ', text)
    text = _LINK.sub(r'\1', _IMAGE.sub(r'\1', text))
    if narrate == 'quotes':
        text = ' '.join(next(group for group in match.groups() if group) for match in _QUOTE.finditer(text))
    elif narrate == 'no_actions':
        text = _ACTION.sub(' ', text)
    return _SPACE.sub(' ', _MARKS.sub(' ', text)).strip()[:MAX_SPOKEN]


def language_of(text: str) -> str:
    """'zh-CN' for text mostly of Han characters (each counts as two letters), else 'en-US'."""
    return 'zh-CN' if len(_HAN.findall(text)) * 2 >= max(1, len(_LATIN.findall(text))) else 'en-US'


def speak_script(text: str, voice: Voice) -> str:
    """JavaScript that reads `text` aloud (stopping what is being read) and evaluates to whether the browser can."""
    language_prefix = voice.lang.split('-')[0].lower()
    return (
        '(() => {\n'
        '  const synth = window.speechSynthesis;\n'
        "  if (!synth || typeof SpeechSynthesisUtterance === 'undefined') return false;\n"
        '  synth.cancel();\n'
        f'  const utterance = new SpeechSynthesisUtterance({json.dumps(text)});\n'
        f'  utterance.lang = {json.dumps(voice.lang)};\n'
        f'  utterance.rate = {voice.rate:g};\n'
        f'  utterance.pitch = {voice.pitch:g};\n'
        '  const voices = synth.getVoices();\n'
        f'  const voice = voices.find(v => v.name === {json.dumps(voice.name)})\n'
        f"    || voices.find(v => v.lang.replace('_', '-').toLowerCase().startsWith({json.dumps(language_prefix)}));\n"
        '  if (voice) utterance.voice = voice;\n'
        '  synth.speak(utterance);\n'
        '  return true;\n'
        '})()'
    )

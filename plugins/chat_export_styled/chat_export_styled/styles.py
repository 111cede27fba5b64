"""The CSS of both exports. Fonts: the system's UI font first, then the common Chinese, Japanese and Korean fonts of
each platform, so CJK text never falls back to a mismatched glyph set; `lang` on the document picks the regional
forms. The HTML page follows the reader's light or dark scheme and has print styles (no shadows, no split
messages, page margins); the ePub sheet stays simple, because e-book readers apply their own themes."""

from __future__ import annotations

FONT_STACK = ('system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Helvetica Neue", Arial, "PingFang SC", '
              '"Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", '
              '"Hiragino Sans", "Yu Gothic", "Noto Sans CJK JP", "Malgun Gothic", "Noto Sans CJK KR", sans-serif')

PAGE_CSS = '''
:root { color-scheme: light dark; --bg: #f6f4f1; --ink: #1f2328; --muted: #667085; --user: #e7efff;
        --character: #ffffff; --note: #fff7e0; --accent: #6d4bd8; --line: rgba(127, 127, 127, .3); }
@media (prefers-color-scheme: dark) {
  :root { --bg: #121418; --ink: #e8e8e8; --muted: #9aa3ad; --user: #1d2942; --character: #1b1e25;
          --note: #3a3322; --accent: #a78bfa; }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink); font-family: FONTS; font-size: 16px;
       line-height: 1.7; -webkit-text-size-adjust: 100%; }
:lang(zh), :lang(ja), :lang(ko) { line-height: 1.85; }
main { max-width: 50rem; margin: 0 auto; padding: 1.5rem 1rem 3rem; }
header.chat-title { display: flex; align-items: center; gap: 1rem; margin-bottom: 1.5rem; }
header.chat-title h1 { margin: 0; font-size: 1.6rem; line-height: 1.3; }
header.chat-title .subtitle { margin: .2rem 0 0; color: var(--muted); font-size: .9rem; }
.message { display: flex; gap: .75rem; margin: 0 0 1rem; break-inside: avoid; page-break-inside: avoid; }
.avatar { flex: 0 0 auto; width: 3rem; height: 3rem; border-radius: 50%; object-fit: cover; }
header.chat-title .avatar { width: 4.5rem; height: 4.5rem; font-size: 1.6rem; }
.initials { display: flex; align-items: center; justify-content: center; background: var(--accent); color: #fff;
            font-weight: 600; font-size: 1.2rem; }
.user .initials { background: #3b82f6; }
.system .initials { background: #a8a29e; }
.bubble { flex: 1; min-width: 0; background: var(--character); border-radius: .8rem; padding: .5rem .95rem;
          box-shadow: 0 1px 3px rgba(0, 0, 0, .08); overflow-wrap: anywhere; }
.user .bubble { background: var(--user); }
.system .bubble { background: var(--note); font-size: .92rem; }
.meta { display: flex; flex-wrap: wrap; gap: .6rem; align-items: baseline; font-size: .8rem; color: var(--muted); }
.meta .name { font-weight: 600; font-size: .95rem; color: var(--ink); }
.content p { margin: .35rem 0; }
.content em { color: var(--muted); }
.content blockquote { margin: .4rem 0; padding-left: .8rem; border-left: 3px solid var(--accent); color: var(--muted); }
.content pre { overflow-x: auto; white-space: pre-wrap; padding: .6rem; border-radius: .4rem;
               background: rgba(127, 127, 127, .12); font-size: .88rem; }
.content code { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "Noto Sans Mono CJK SC", monospace; }
.content table { border-collapse: collapse; margin: .4rem 0; }
.content th, .content td { border: 1px solid var(--line); padding: .2rem .5rem; }
.content a { color: var(--accent); }
footer { margin-top: 2rem; color: var(--muted); font-size: .8rem; text-align: center; }
@media print {
  :root { --bg: #fff; --ink: #000; --muted: #444; --user: #f1f4f9; --character: #fff; --note: #fffbeb; }
  body { font-size: 11pt; }
  main { max-width: none; padding: 0; }
  .bubble { box-shadow: none; border: 1px solid #d0d0d0; }
  .content a { color: inherit; text-decoration: underline; }
  header.chat-title { break-after: avoid; page-break-after: avoid; }
  footer { display: none; }
  @page { margin: 1.6cm 1.4cm; }
}
'''.replace('FONTS', FONT_STACK)

EPUB_CSS = '''
body { font-family: FONTS; line-height: 1.7; margin: 0 4%; }
:lang(zh), :lang(ja), :lang(ko) { line-height: 1.85; }
h1 { font-size: 1.5em; margin: 1.2em 0 .3em; }
h2 { font-size: 1.2em; margin: 1em 0 .6em; }
.subtitle { color: #666; margin: 0 0 1.2em; }
.cover-avatar { display: block; width: 40%; max-width: 12em; margin: 2em auto 1em; border-radius: 50%; }
.message { margin: 0 0 1em; page-break-inside: avoid; break-inside: avoid; }
.message .avatar { float: left; width: 2.4em; height: 2.4em; margin: .2em .7em 0 0; border-radius: 50%; }
.message .initials { display: block; text-align: center; line-height: 2.4em; background: #6d4bd8; color: #fff;
                     font-weight: bold; }
.user .initials { background: #3b82f6; }
.system .initials { background: #a8a29e; }
.meta { font-size: .8em; color: #666; margin: 0; }
.meta .name { font-weight: bold; color: inherit; font-size: 1.1em; }
.content { overflow: hidden; }
.content p { margin: .3em 0; }
.system .content { font-size: .92em; }
blockquote { margin: .4em 0; padding-left: .8em; border-left: 3px solid #6d4bd8; }
pre { white-space: pre-wrap; font-size: .85em; }
table { border-collapse: collapse; }
th, td { border: 1px solid #bbb; padding: .1em .4em; }
.clear { clear: both; }
'''.replace('FONTS', FONT_STACK)

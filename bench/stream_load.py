"""Streaming load benchmark: many chat pages following replies at once, and many idle chat pages held open.

Why: the product promise is that one server process streams 200 replies at 30 tokens/s to browsers with p99 delivery
latency of at most 100 ms and no lost token, and that an idle open chat page costs at most 300 KB of server memory.
This script checks both end to end, as a browser sees it:

- a fake OpenAI-compatible upstream (its own process, `--serve-upstream PORT`) streams chat-completion chunks at a
  fixed rate; every token carries its index and wall-clock send time, e.g. ' ⟦17|1732350000.123456⟧';
- the app (`python -m app.cli serve`, its own process, fresh data dir per scenario) streams replies from it;
- simulated browsers GET `/chat/{id}` with the session cookie, take the socket.io query (client_id,
  next_message_id, implicit_handshake) out of the page as nicegui.js does, add document_id / tab_id / old_tab_id,
  connect over websocket at `/_nicegui_ws/socket.io`, acknowledge messages every 3 s, and read the
  `run_javascript` messages that carry `runMethod(<id>, "append", [text])` of the `StreamingText` element.

Latency is receive time minus upstream send time, per token ("raw", which includes the page's intentional 150 ms
batching) and per flush for the newest token in each batch ("flush"). Integrity: every stream must deliver tokens
0..n-1 exactly once and in order. Run `python bench/stream_load.py --help` for the options; bench/README.md explains
the figures.
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import contextlib
import json
import logging
import math
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode

import aiohttp
import socketio
import uvloop
from aiohttp import web

ROOT = Path(__file__).resolve().parents[1]
TOKEN = re.compile(r' ⟦(\d+)\|(\d+\.\d+)⟧')
APPEND = re.compile(r'return runMethod\(\d+, "append", (.*)\)', re.S)
PAGE_QUERY = re.compile(r'^\s*query: (\{.*\}),$', re.M)
SOCKET_PATH = '/_nicegui_ws/socket.io'
ACK_SECONDS = 3.0
REST_CONCURRENCY = 4  # SQLite refuses some concurrent writes with "database is locked" (see README)
PAGE_CONCURRENCY = 4  # a chat page costs the server ~80 ms; 20 at once pass NiceGUI's 3 s page timeout
SETTLE_SECONDS = 3.0
TARGET_STREAMS = 200
TARGET_P99_MS = 100.0
TARGET_IDLE_KB = 300.0
T = TypeVar('T')
LEGEND = '''  raw: every token; flush: newest token of each `append` batch (pages batch deltas for 150 ms by design)
  tokens: streamed tokens that arrived / expected; intact: streams with tokens 0..n-1 once and in order
  whole: pages that rendered the finished reply; refused: replies not started (non-2xx); ws drops: sockets lost
  max batch: most tokens in one `append`; 1st tok: POST to first streamed token; upstr. peak: most replies the
  fake upstream streamed at once; CPU% of one core over the streaming window; srv RSS: peak during the window'''


# ---------------------------------------------------------------- fake upstream (runs in its own process)

class Upstream:
    """An OpenAI-compatible `/v1/chat/completions` that streams `tokens` stamped tokens at `rate` per second."""

    def __init__(self, rate: float, tokens: int) -> None:
        self.rate, self.tokens = rate, tokens
        self.stats = {'active': 0, 'peak': 0, 'started': 0}

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post('/v1/chat/completions', self.complete)
        app.router.add_get('/v1/models', self.models)
        app.router.add_get('/stats', self.report)
        return app

    async def complete(self, request: web.Request) -> web.StreamResponse:
        model = (await request.json()).get('model', 'bench')
        response = web.StreamResponse(headers={'Content-Type': 'text/event-stream'})
        await response.prepare(request)
        self._enter()
        try:
            loop, start = asyncio.get_running_loop(), asyncio.get_running_loop().time()
            for index in range(self.tokens):
                await asyncio.sleep(max(0.0, start + index / self.rate - loop.time()))
                await response.write(_sse(_chunk(model, {'content': f' ⟦{index}|{time.time():.6f}⟧'})))
            usage = {'prompt_tokens': 10, 'completion_tokens': self.tokens, 'total_tokens': self.tokens + 10}
            await response.write(_sse(_chunk(model, {}, 'stop')) + _sse({**_chunk(model, {}), 'choices': [],
                                                                         'usage': usage}) + b'data: [DONE]\n\n')
        finally:
            self.stats['active'] -= 1
        return response

    def _enter(self) -> None:
        self.stats['active'] += 1
        self.stats['started'] += 1
        self.stats['peak'] = max(self.stats['peak'], self.stats['active'])

    async def models(self, _request: web.Request) -> web.Response:
        return web.json_response({'object': 'list', 'data': [{'id': 'bench', 'object': 'model'}]})

    async def report(self, _request: web.Request) -> web.Response:
        return web.json_response(self.stats)


def _chunk(model: str, delta: dict[str, str], finish: str | None = None) -> dict[str, Any]:
    return {'id': 'chatcmpl-bench', 'object': 'chat.completion.chunk', 'created': int(time.time()), 'model': model,
            'choices': [{'index': 0, 'delta': delta, 'finish_reason': finish}]}


def _sse(payload: dict[str, Any]) -> bytes:
    return f'data: {json.dumps(payload)}\n\n'.encode()


def serve_upstream(port: int, rate: float, tokens: int) -> None:
    uvloop.install()
    web.run_app(Upstream(rate, tokens).app(), host='127.0.0.1', port=port, print=None, access_log=None)


# ---------------------------------------------------------------- processes

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process, from /proc/<pid>/stat."""
    fields = Path(f'/proc/{pid}/stat').read_text().rpartition(')')[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def rss_mb(pid: int) -> float:
    for line in Path(f'/proc/{pid}/status').read_text().splitlines():
        if line.startswith('VmRSS:'):
            return int(line.split()[1]) / 1024
    return math.nan


@dataclass
class Stack:
    """The app server and the fake upstream of one scenario, each in a fresh process."""

    server: subprocess.Popen
    upstream: subprocess.Popen
    base: str
    upstream_url: str
    password: str
    logs: Path

    @classmethod
    async def start(cls, args: argparse.Namespace, label: str) -> Stack:
        logs = Path(tempfile.mkdtemp(prefix=f'tavern-bench-{label}-'))
        env = {**os.environ, 'TAVERN_DATA_DIR': str(logs / 'data'), 'TAVERN_REPLIES_PER_USER': '100000',
               'TAVERN_REPLIES_PER_INSTANCE': '100000', 'REDIS_URL': args.redis or ''}
        password = secrets.token_urlsafe(18)
        (logs / 'password').write_text(password)
        subprocess.run([sys.executable, '-m', 'app.cli', 'create-admin', '--username', 'bench', '--password-file',
                        str(logs / 'password')], cwd=ROOT, env=env, check=True, capture_output=True)
        up_port, port = free_port(), free_port()
        upstream = _spawn([__file__, '--serve-upstream', str(up_port), '--rate', str(args.rate), '--tokens',
                           str(args.tokens)], env, logs / 'upstream.log')
        server = _spawn(['-m', 'app.cli', 'serve', '--host', '127.0.0.1', '--port', str(port)], env,
                        logs / 'server.log')
        stack = cls(server, upstream, f'http://127.0.0.1:{port}', f'http://127.0.0.1:{up_port}', password, logs)
        await stack.wait_ready()
        return stack

    async def wait_ready(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession() as http:
            for url in (f'{self.upstream_url}/stats', f'{self.base}/healthz'):
                while not await _answers(http, url):
                    if time.monotonic() > deadline or self.server.poll() is not None:
                        raise RuntimeError(f'{url} did not come up; see {self.logs}')
                    await asyncio.sleep(0.3)

    def stop(self) -> None:
        for process in (self.server, self.upstream):
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()


def _spawn(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open('wb') as out:
        return subprocess.Popen([sys.executable, *argv], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


async def _answers(http: aiohttp.ClientSession, url: str) -> bool:
    try:
        async with http.get(url) as response:
            return response.status == 200
    except aiohttp.ClientError:
        return False


# ---------------------------------------------------------------- REST set-up

@dataclass
class Account:
    """A logged-in user whose default connection is the fake upstream."""

    http: aiohttp.ClientSession
    base: str
    token: str = ''

    @property
    def auth(self) -> dict[str, str]:
        return {'Authorization': f'Bearer {self.token}'}

    async def setup(self, password: str, upstream_url: str) -> None:
        self.token = (await self.call('POST', '/api/v1/auth/login', {'username': 'bench', 'password': password}))[
            'access_token']
        await self.call('POST', '/api/v1/connections', {'name': 'bench upstream', 'provider': 'openai',
                                                        'base_url': f'{upstream_url}/v1', 'model': 'bench',
                                                        'is_default': True})

    async def new_chats(self, count: int) -> list[str]:
        """One chat per character, so each page's side panel lists one chat, as for a typical user."""
        async def one(index: int) -> str:
            character = await self.call('POST', '/api/v1/characters', {'name': f'Bench {index}',
                                                                       'first_mes': 'Hello, {{user}}.'})
            return (await self.call('POST', '/api/v1/chats', {'character_id': character['id']}))['id']
        return await bounded([lambda i=i: one(i) for i in range(count)])

    async def call(self, method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        async with self.http.request(method, self.base + path, json=body, headers=self.auth) as response:
            if response.status >= 300:
                raise RuntimeError(f'{method} {path}: {response.status} {await response.text()}')
            return await response.json()


async def bounded(factories: Iterable[Callable[[], Awaitable[T]]], limit: int = REST_CONCURRENCY) -> list[T]:
    """Run the coroutines from `factories` with at most `limit` in flight, keeping their order."""
    gate = asyncio.Semaphore(limit)

    async def run(factory: Callable[[], Awaitable[T]]) -> T:
        async with gate:
            return await factory()
    return await asyncio.gather(*(run(f) for f in factories))


# ---------------------------------------------------------------- simulated browser

@dataclass
class Browser:
    """One open `/chat/{id}` tab speaking NiceGUI's socket.io protocol; records the text appended to the page.

    `complete` is set when the page re-renders the finished reply (an `update` holding the last token).
    """

    chat_id: str
    expected: int
    sio: socketio.AsyncClient
    client_id: str = ''
    next_message_id: int = 0
    acked_message_id: int = -1
    batches: list[tuple[float, str]] = field(default_factory=list)
    complete: asyncio.Event = field(default_factory=asyncio.Event)
    shown_whole: bool = False
    dropped: bool = False

    @classmethod
    async def open(cls, account: Account, ws: aiohttp.ClientSession, chat_id: str, expected: int) -> Browser:
        cookie = {'Cookie': f'tavern_session={account.token}'}
        async with account.http.get(f'{account.base}/chat/{chat_id}', headers=cookie) as response:
            if response.status != 200:
                raise RuntimeError(f'GET /chat/{chat_id}: {response.status}')
            query = ast.literal_eval(PAGE_QUERY.search(await response.text()).group(1))
        browser = cls(chat_id, expected, socketio.AsyncClient(reconnection=False, http_session=ws,
                                                              handle_sigint=False))
        await browser.connect(account.base, query, cookie)
        return browser

    async def connect(self, base: str, query: dict[str, Any], headers: dict[str, str]) -> None:
        """What nicegui.js does on mount: extend the page's query, connect, and handshake unless it is implicit."""
        self.client_id, self.next_message_id = query['client_id'], query['next_message_id']
        query = {**query, 'document_id': str(uuid.uuid4()), 'tab_id': str(uuid.uuid4()), 'old_tab_id': None}
        self.sio.on('*', self.on_message)
        self.sio.on('disconnect', self.on_disconnect)
        await self.sio.connect(f'{base}/?{urlencode({k: _js_query(v) for k, v in query.items()})}', headers=headers,
                               transports=['websocket'], socketio_path=SOCKET_PATH, wait_timeout=30)
        if not query['implicit_handshake'] and not await self.sio.call('handshake', query, timeout=30):
            raise RuntimeError(f'handshake refused for chat {self.chat_id}')

    async def on_message(self, event: str, data: Any = None) -> None:
        if isinstance(data, dict) and '_id' in data:
            if data['_id'] < self.next_message_id:
                return  # a replayed message, as nicegui.js skips it
            self.next_message_id = data['_id'] + 1
        if event == 'run_javascript' and (call := APPEND.fullmatch(data['code'])):
            self.batches.append((time.time(), json.loads(call.group(1))[0]))
        elif event == 'update' and f'⟦{self.expected - 1}|' in repr(data):
            self.shown_whole = True
            self.complete.set()

    def on_disconnect(self, *_reason: Any) -> None:
        self.dropped = True
        self.complete.set()

    async def ack(self) -> None:
        if self.sio.connected and self.acked_message_id < self.next_message_id:
            self.acked_message_id = self.next_message_id
            await self.sio.emit('ack', {'client_id': self.client_id, 'next_message_id': self.next_message_id})

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.sio.disconnect()


def _js_query(value: Any) -> str:
    """How engine.io-client writes a JS value into the query string."""
    if value is None:
        return 'null'
    return str(value).lower() if isinstance(value, bool) else str(value)


async def ack_forever(browsers: list[Browser]) -> None:
    """nicegui.js acknowledges received messages every 3 s so the server can prune its replay history."""
    while True:
        await asyncio.sleep(ACK_SECONDS)
        await asyncio.gather(*(b.ack() for b in browsers), return_exceptions=True)


async def open_browsers(account: Account, ws: aiohttp.ClientSession, chats: list[str],
                        expected: int) -> list[Browser]:
    """Open a page per chat, a few at a time; pages that fail to load or connect are reported and left out."""
    async def one(chat_id: str) -> Browser | None:
        try:
            return await Browser.open(account, ws, chat_id, expected)
        except (RuntimeError, TimeoutError, aiohttp.ClientError, socketio.exceptions.ConnectionError) as error:
            print(f'  page failed: {error}', file=sys.stderr)
            return None
    return [b for b in await bounded([lambda c=c: one(c) for c in chats], PAGE_CONCURRENCY) if b]


# ---------------------------------------------------------------- measuring

@dataclass
class Usage:
    """CPU seconds of the server, upstream and this client process, and the server's peak RSS, over a window."""

    stack: Stack
    started: float = 0.0
    cpu: tuple[float, float, float] = (0.0, 0.0, 0.0)
    peak_rss: float = 0.0

    def __enter__(self) -> Usage:
        self.started, self.cpu = time.monotonic(), self._cpu()
        self.peak_rss = rss_mb(self.stack.server.pid)
        return self

    def __exit__(self, *_exc: object) -> None:
        wall = time.monotonic() - self.started
        self.cpu = tuple((now - before) / wall * 100 for now, before in zip(self._cpu(), self.cpu, strict=True))

    def _cpu(self) -> tuple[float, float, float]:
        own = os.times()
        return cpu_seconds(self.stack.server.pid), cpu_seconds(self.stack.upstream.pid), own.user + own.system

    async def sample_rss(self) -> None:
        while True:
            self.peak_rss = max(self.peak_rss, rss_mb(self.stack.server.pid))
            await asyncio.sleep(0.5)


def percentile(ordered: list[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))] if ordered else math.nan


@dataclass
class StreamRun:
    streams: int
    page_errors: int = 0
    raw_ms: list[float] = field(default_factory=list)
    flush_ms: list[float] = field(default_factory=list)
    first_token_s: list[float] = field(default_factory=list)
    delivered: int = 0
    expected: int = 0
    intact: int = 0
    shown_whole: int = 0
    largest_batch: int = 0
    refused: int = 0
    dropped: int = 0
    peak_upstream: int = 0
    cpu: tuple[float, float, float] = (0.0, 0.0, 0.0)
    rss_mb: float = 0.0

    def add(self, browser: Browser, started: float | None) -> None:
        """Score one stream: latencies per token and per batch, and whether tokens 0..n-1 came once, in order."""
        indices: list[int] = []
        for received, text in browser.batches:
            tokens = [(int(i), float(sent)) for i, sent in TOKEN.findall(text)]
            indices += [i for i, _ in tokens]
            self.largest_batch = max(self.largest_batch, len(tokens))
            self.raw_ms += [(received - sent) * 1000 for _, sent in tokens]
            if tokens:
                self.flush_ms.append((received - tokens[-1][1]) * 1000)
        self.expected += browser.expected
        self.delivered += len(set(indices) & set(range(browser.expected)))
        whole = ''.join(text for _, text in browser.batches)
        self.intact += indices == list(range(browser.expected)) and TOKEN.sub('', whole) == ''
        self.shown_whole += browser.shown_whole
        self.dropped += browser.dropped
        if started is None:
            self.refused += 1
        elif browser.batches:
            self.first_token_s.append(browser.batches[0][0] - started)


async def run_streams(args: argparse.Namespace, streams: int) -> StreamRun:
    stack = await Stack.start(args, f'streams{streams}')
    try:
        async with _sessions() as (http, ws):
            account = Account(http, stack.base)
            await account.setup(stack.password, stack.upstream_url)
            browsers = await open_browsers(account, ws, await account.new_chats(streams), args.tokens)
            acks = asyncio.create_task(ack_forever(browsers))
            await asyncio.sleep(SETTLE_SECONDS)
            result = await _stream_window(args, stack, account, browsers)
            result.streams, result.page_errors = streams, streams - len(browsers)
            acks.cancel()
            result.peak_upstream = await _upstream_peak(http, stack)
            await bounded([b.close for b in browsers])
        return result
    finally:
        stack.stop()


async def _stream_window(args: argparse.Namespace, stack: Stack, account: Account,
                         browsers: list[Browser]) -> StreamRun:
    """Start every reply at once, wait until each page shows its finished reply (or time is up), and score."""
    result = StreamRun(len(browsers))
    with Usage(stack) as usage:
        sampler = asyncio.create_task(usage.sample_rss())
        started = await asyncio.gather(*(_start_reply(account, b.chat_id, args.ramp * i / len(browsers))
                                         for i, b in enumerate(browsers)))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*(b.complete.wait() for b, s in zip(browsers, started,
                                                                                       strict=True) if s)),
                                   args.ramp + args.tokens / args.rate + 120)
        sampler.cancel()
    for browser, start in zip(browsers, started, strict=True):
        result.add(browser, start)
    result.cpu, result.rss_mb = usage.cpu, usage.peak_rss
    return result


async def _start_reply(account: Account, chat_id: str, delay: float) -> float | None:
    """After `delay` seconds, POST the user's message; returns when it was sent, or None when the server refused."""
    await asyncio.sleep(delay)
    sent = time.time()
    try:
        await account.call('POST', f'/api/v1/chats/{chat_id}/messages', {'content': 'Tell me a story.'})
    except RuntimeError as error:
        print(f'  reply refused: {error}', file=sys.stderr)
        return None
    return sent


async def _upstream_peak(http: aiohttp.ClientSession, stack: Stack) -> int:
    async with http.get(f'{stack.upstream_url}/stats') as response:
        return (await response.json())['peak']


@dataclass
class IdleRun:
    clients: int
    page_errors: int = 0
    connected: int = 0
    rss_before: float = 0.0
    rss_after: float = 0.0

    @property
    def kb_per_client(self) -> float:
        return (self.rss_after - self.rss_before) * 1024 / max(1, self.connected)


async def run_idle(args: argparse.Namespace) -> IdleRun:
    """Open `--idle` chat pages (each on its own chat) after a warm-up page, and weigh the server before and after."""
    stack = await Stack.start(args, 'idle')
    result = IdleRun(args.idle)
    try:
        async with _sessions() as (http, ws):
            account = Account(http, stack.base)
            await account.setup(stack.password, stack.upstream_url)
            chats = await account.new_chats(args.idle + 1)
            warm = await open_browsers(account, ws, chats[:1], args.tokens)
            await asyncio.sleep(SETTLE_SECONDS)
            result.rss_before = rss_mb(stack.server.pid)
            browsers = await open_browsers(account, ws, chats[1:], args.tokens)
            acks = asyncio.create_task(ack_forever(browsers))
            await asyncio.sleep(SETTLE_SECONDS * 3)
            result.rss_after = rss_mb(stack.server.pid)
            result.connected = sum(b.sio.connected for b in browsers)
            result.page_errors = args.idle - len(browsers)
            acks.cancel()
            await bounded([b.close for b in warm + browsers])
        return result
    finally:
        stack.stop()


@contextlib.asynccontextmanager
async def _sessions() -> Any:
    """One HTTP session for REST and page loads, one for the websockets; neither limits its connections."""
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http, \
            aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as ws:
        yield http, ws


# ---------------------------------------------------------------- report

def print_streams(runs: list[StreamRun], backend: str) -> None:
    print(f'\nConcurrent streams ({backend}); latency in ms = browser receive time - upstream send time')
    header = ('streams', 'page err', 'raw p50', 'raw p99', 'raw max', 'flush p50', 'flush p99', 'flush max', 'tokens',
              'intact', 'whole', 'refused', 'ws drops', 'max batch', '1st tok p50/max s', 'upstr. peak', 'srv CPU%',
              'up CPU%', 'cli CPU%', 'srv RSS MB')
    rows = [_stream_row(run) for run in runs]
    _table(header, rows)


def _stream_row(run: StreamRun) -> tuple[str, ...]:
    raw, flush, first = sorted(run.raw_ms), sorted(run.flush_ms), sorted(run.first_token_s)
    latencies = (f'{percentile(values, q):.0f}' for values in (raw, flush) for q in (0.5, 0.99, 1.0))
    return (str(run.streams), str(run.page_errors), *latencies,
            f'{run.delivered}/{run.expected}', f'{run.intact}/{run.streams}', f'{run.shown_whole}/{run.streams}',
            str(run.refused), str(run.dropped), str(run.largest_batch),
            f'{percentile(first, 0.5):.2f}/{percentile(first, 1.0):.2f}', str(run.peak_upstream),
            *(f'{value:.0f}' for value in run.cpu), f'{run.rss_mb:.0f}')


def print_idle(run: IdleRun) -> None:
    print('\nIdle chat pages')
    _table(('clients', 'page err', 'connected', 'srv RSS before MB', 'srv RSS after MB', 'KB per client'),
           [(str(run.clients), str(run.page_errors), str(run.connected), f'{run.rss_before:.0f}',
             f'{run.rss_after:.0f}', f'{run.kb_per_client:.0f}')])


def print_targets(runs: list[StreamRun], idle: IdleRun | None) -> None:
    print('\nTargets')
    target = next((r for r in runs if r.streams == TARGET_STREAMS), None)
    if target is None:
        print(f'  {TARGET_STREAMS} streams, flush p99 <= {TARGET_P99_MS:.0f} ms, no token lost: not run')
    else:
        p99 = percentile(sorted(target.flush_ms), 0.99)
        ok = p99 <= TARGET_P99_MS and target.delivered == target.expected and target.intact == target.streams \
            and not target.page_errors
        print(f'  {TARGET_STREAMS} streams, flush p99 <= {TARGET_P99_MS:.0f} ms, no token lost: '
              f'{"met" if ok else "NOT met"} (p99 {p99:.0f} ms, {target.delivered}/{target.expected} tokens)')
    if idle is None:
        print(f'  idle page <= {TARGET_IDLE_KB:.0f} KB: not run')
    else:
        ok = idle.kb_per_client <= TARGET_IDLE_KB and idle.connected == idle.clients
        print(f'  idle page <= {TARGET_IDLE_KB:.0f} KB: {"met" if ok else "NOT met"} ({idle.kb_per_client:.0f} KB, '
              f'{idle.connected}/{idle.clients} connected)')


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows, strict=True)]
    for row in (header, *rows):
        print('  '.join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)))


# ---------------------------------------------------------------- entry point

def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--streams', default='10,100,200', help='concurrent stream counts to run (comma-separated)')
    parser.add_argument('--idle', type=int, default=1000, help='idle chat pages to hold open (0 to skip)')
    parser.add_argument('--rate', type=float, default=30.0, help='upstream tokens per second per stream')
    parser.add_argument('--tokens', type=int, default=150, help='tokens per reply')
    parser.add_argument('--ramp', type=float, default=0.0, help='spread the reply starts over this many seconds')
    parser.add_argument('--redis', default='', help='run the server with this REDIS_URL (default: in-process)')
    parser.add_argument('--serve-upstream', type=int, metavar='PORT', help=argparse.SUPPRESS)
    return parser.parse_args(argv)


async def main(args: argparse.Namespace) -> None:
    backend = f'Redis {args.redis}' if args.redis else 'in-process streams'
    source = subprocess.run(['git', 'describe', '--always', '--dirty'], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    print(f'app at {source or "?"}; rate {args.rate:g} tokens/s, {args.tokens} tokens per reply, ramp {args.ramp:g} s, '
          f'{backend}; {os.cpu_count()} CPUs shared by server, upstream and client')
    runs = []
    for count in (int(n) for n in args.streams.split(',') if n.strip()):
        runs.append(await run_streams(args, count))
        print_streams(runs[-1:], backend)
    idle = await run_idle(args) if args.idle else None
    if runs:
        print_streams(runs, backend)
        print(LEGEND)
    if idle:
        print_idle(idle)
    print_targets(runs, idle)


if __name__ == '__main__':
    arguments = parse_args()
    if arguments.serve_upstream:
        serve_upstream(arguments.serve_upstream, arguments.rate, arguments.tokens)
    else:
        logging.getLogger('engineio.client').setLevel(logging.CRITICAL)  # "packet queue is empty" on each close
        uvloop.run(main(arguments))

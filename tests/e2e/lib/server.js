// Starts real parleyd processes for the tests: a free 127.0.0.1 port, a
// temporary data directory, --web-root pointing at web/. Readiness is polled
// on /healthz with a deadline.

import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const REPO = resolve(here, '../../..');
export const WEB_ROOT = join(REPO, 'web');
export const PARLEYD = process.env.PARLEYD || join(REPO, 'build/src/app/parleyd');

export function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

/** A parleyd that can be killed and started again on the same port and data directory. */
export class Parleyd {
  constructor({ args = [] } = {}) {
    this.extraArgs = args;
    this.proc = null;
    this.log = [];
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  async start() {
    this.port ??= await freePort();
    this.dataDir ??= await mkdtemp(join(tmpdir(), 'parley-e2e-'));
    const args = [
      '--listen', `127.0.0.1:${this.port}`,
      '--data-dir', this.dataDir,
      '--web-root', WEB_ROOT,
      // Short presence settings: "offline" shows within seconds.
      '--presence-timeout', '2',
      '--heartbeat-interval', '1',
      '--threads', '2',
      // Every test browser signs up from 127.0.0.1.
      '--login-address-burst', '0',
      ...this.extraArgs,
    ];
    const proc = spawn(PARLEYD, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    const exited = new Promise((ok) => proc.once('exit', (code, signal) => ok({ code, signal })));
    this.exited = exited;
    for (const stream of [proc.stdout, proc.stderr]) {
      stream.setEncoding('utf8');
      stream.on('data', (chunk) => {
        this.log.push(...chunk.split('\n').filter(Boolean));
        if (this.log.length > 2000) this.log.splice(0, this.log.length - 2000);
      });
    }
    const deadline = Date.now() + 30000;
    let early = null;
    exited.then((r) => { early = r; });
    for (;;) {
      if (early) throw new Error(`parleyd exited during start (${JSON.stringify(early)}):\n${this.tail()}`);
      try {
        const res = await fetch(`${this.url}/healthz`);
        if (res.ok) return this;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`parleyd not ready within 30 s:\n${this.tail()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Sends a signal and waits for the process to end. */
  async kill(signal = 'SIGTERM') {
    if (!this.proc || this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    this.proc.kill(signal);
    const timer = setTimeout(() => this.proc?.kill('SIGKILL'), 10000);
    await this.exited;
    clearTimeout(timer);
  }

  async stop() {
    await this.kill('SIGTERM');
    if (this.dataDir && !process.env.KEEP_DATA) await rm(this.dataDir, { recursive: true, force: true });
  }

  tail(n = 40) {
    return this.log.slice(-n).join('\n');
  }
}

/** A REST helper for arranging data outside the browser. */
export async function rest(baseUrl, method, path, { token, body } = {}) {
  const headers = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(baseUrl + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  const data = text ? JSON.parse(text) : null;
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return data;
}

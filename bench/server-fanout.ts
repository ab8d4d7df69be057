// Bench: hub fan-out to 1,000 loopback SSE subscribers next to a bare node:http SSE writer, same bytes, same run.
// Run alone: node --import tsx bench/server-fanout.ts (BENCH_CLIENTS, BENCH_CLIENT_PROCESSES, BENCH_ROUNDS);
// `npm run bench -- hub` reports the same medians in bench/results.json.

import { type ChildProcess, fork } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createDirectiveHub } from '../src/server/index';
import { median } from './harness';

const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 1000);
const CLIENT_PROCESSES = Number(process.env.BENCH_CLIENT_PROCESSES ?? 1);
const CLIENT_ROLE = '--bench-clients';
/** Rounds alternate bare and hub, so drift on a shared machine hits both; figures are medians. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
/** Latency phase: a steady stream, so the figure is delivery delay and not queueing behind a burst. */
const LATENCY_ENVELOPES = 60;
const LATENCY_INTERVAL_MS = 10;
/** Throughput phase: as fast as the server takes them, yielding to I/O every chunk. */
const THROUGHPUT_ENVELOPES = 300;
const THROUGHPUT_CHUNK = 20;

const now = (): number => performance.timeOrigin + performance.now();

type ToClients =
  | { type: 'connect'; url: string; count: number }
  | { type: 'expect'; seq: number }
  | { type: 'latencies' }
  | { type: 'disconnect' };
type FromClients =
  | { type: 'connected' }
  | { type: 'reached'; seq: number; at: number }
  | { type: 'latencies'; values: number[] }
  | { type: 'disconnected' };

/** The bytes both servers send for envelope `seq`: the hub's own wire format, rebuilt by hand for the bare writer. */
function directives(seq: number, sentAt: number) {
  return [{ op: 'refresh_item', name: 'bench', id: seq, timestamp: sentAt }];
}
function bareFrame(seq: number, sentAt: number): Buffer {
  const data = JSON.stringify({
    type: 'directives',
    seq,
    audience: 'global',
    source: null,
    directives: directives(seq, sentAt),
  });
  return Buffer.from(`id: ${seq}\ndata: ${data}\n\n`);
}

interface Target {
  name: string;
  url: string;
  emit(seq: number, sentAt: number): Promise<void>;
  close(): Promise<void>;
}

async function listen(server: http.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`;
}

async function hubTarget(): Promise<Target> {
  const hub = createDirectiveHub({ heartbeatMs: 0 });
  const server = http.createServer((req, res) => void hub.nodeHandler(req, res));
  const url = await listen(server);
  return {
    name: 'verity hub',
    url,
    emit: async (seq, sentAt) => {
      await hub.emit(directives(seq, sentAt));
    },
    close: async () => {
      await hub.close();
      server.closeAllConnections();
      server.close();
    },
  };
}

async function bareTarget(): Promise<Target> {
  const clients = new Set<http.ServerResponse>();
  const hello = Buffer.from('data: {"type":"hello","audience":"global","last_seq":0,"resumed":false}\n\n');
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.write(hello);
    clients.add(res);
    res.on('close', () => clients.delete(res));
  });
  const url = await listen(server);
  return {
    name: 'bare node:http',
    url,
    emit: async (seq, sentAt) => {
      const frame = bareFrame(seq, sentAt);
      for (const res of clients) res.write(frame);
    },
    close: async () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

class ClientPool {
  /** Client processes of their own, so parsing on the client side does not share the server's event loop. */
  readonly #processes: ChildProcess[];
  constructor(processes: number) {
    this.#processes = Array.from({ length: processes }, () =>
      fork(fileURLToPath(import.meta.url), [CLIENT_ROLE], { execArgv: ['--import', 'tsx'] }),
    );
  }
  #ask(message: ToClients, until: (reply: FromClients) => boolean): Promise<FromClients[]> {
    return Promise.all(
      this.#processes.map(
        (child) =>
          new Promise<FromClients>((resolve) => {
            const onMessage = (reply: FromClients): void => {
              if (!until(reply)) return;
              child.off('message', onMessage);
              resolve(reply);
            };
            child.on('message', onMessage);
            child.send(message);
          }),
      ),
    );
  }
  async connect(url: string, total: number): Promise<void> {
    const per = Math.ceil(total / this.#processes.length);
    await Promise.all(
      this.#processes.map(
        (child, i) =>
          new Promise<void>((resolve) => {
            child.once('message', () => resolve());
            child.send({ type: 'connect', url, count: Math.min(per, total - i * per) } satisfies ToClients);
          }),
      ),
    );
  }
  /** Resolves with the time the last client of every process received `seq`. */
  async reached(seq: number): Promise<() => Promise<number>> {
    const replies = this.#ask({ type: 'expect', seq }, (r) => r.type === 'reached' && r.seq === seq);
    return async () => Math.max(...(await replies).map((r) => (r.type === 'reached' ? r.at : 0)));
  }
  async latencies(): Promise<number[]> {
    const replies = await this.#ask({ type: 'latencies' }, (r) => r.type === 'latencies');
    return replies.flatMap((r) => (r.type === 'latencies' ? r.values : []));
  }
  async disconnect(): Promise<void> {
    await this.#ask({ type: 'disconnect' }, (r) => r.type === 'disconnected');
  }
  terminate(): void {
    for (const child of this.#processes) child.kill();
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

export interface Result {
  name: string;
  p50: number;
  p99: number;
  max: number;
  envelopesPerSecond: number;
  /** The server process's CPU time per envelope fanned out to every client: the figure client noise does not move. */
  serverCpuMsPerEnvelope: number;
}

async function measure(target: Target, pool: ClientPool): Promise<Result> {
  await pool.connect(target.url, CLIENTS);
  let seq = 0;

  const latencyDone = await pool.reached(LATENCY_ENVELOPES);
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      seq += 1;
      void target.emit(seq, now());
      if (seq === LATENCY_ENVELOPES) {
        clearInterval(timer);
        resolve();
      }
    }, LATENCY_INTERVAL_MS);
  });
  await latencyDone();
  const latencies = (await pool.latencies()).sort((a, b) => a - b);

  const last = seq + THROUGHPUT_ENVELOPES;
  const throughputDone = await pool.reached(last);
  const started = now();
  const cpuBefore = process.cpuUsage();
  while (seq < last) {
    for (let i = 0; i < THROUGHPUT_CHUNK && seq < last; i++) {
      seq += 1;
      await target.emit(seq, now());
    }
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  const finished = await throughputDone();
  const cpu = process.cpuUsage(cpuBefore);
  await pool.disconnect();
  return {
    name: target.name,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies.at(-1) ?? Number.NaN,
    envelopesPerSecond: THROUGHPUT_ENVELOPES / ((finished - started) / 1000),
    serverCpuMsPerEnvelope: (cpu.user + cpu.system) / 1000 / THROUGHPUT_ENVELOPES,
  };
}

export interface FanoutFigures {
  clients: number;
  rounds: number;
  hub: Result;
  bare: Result;
  runs: Result[];
}

/** Alternates bare and hub targets for `rounds` rounds against the same client processes; medians per target. */
export async function fanout(): Promise<FanoutFigures> {
  const pool = new ClientPool(CLIENT_PROCESSES);
  const results: Result[] = [];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? [bareTarget, hubTarget] : [hubTarget, bareTarget];
      for (const make of order) {
        const target = await make();
        results.push(await measure(target, pool));
        await target.close();
      }
    }
  } finally {
    pool.terminate();
  }
  const medianOf = (name: string): Result => {
    const runs = results.filter((r) => r.name === name);
    const mid = (pick: (r: Result) => number) => median(runs.map(pick));
    return {
      name,
      p50: mid((r) => r.p50),
      p99: mid((r) => r.p99),
      max: mid((r) => r.max),
      envelopesPerSecond: mid((r) => r.envelopesPerSecond),
      serverCpuMsPerEnvelope: mid((r) => r.serverCpuMsPerEnvelope),
    };
  };
  return {
    clients: CLIENTS,
    rounds: ROUNDS,
    hub: medianOf('verity hub'),
    bare: medianOf('bare node:http'),
    runs: results,
  };
}

async function main(): Promise<void> {
  const { hub, bare, runs: results } = await fanout();
  console.log(
    `\nSSE fan-out: ${CLIENTS} loopback subscribers, one audience, ${CLIENT_PROCESSES} client process(es), Node ${process.version}`,
  );
  console.log(
    `latency: ${LATENCY_ENVELOPES} envelopes every ${LATENCY_INTERVAL_MS} ms; throughput: ${THROUGHPUT_ENVELOPES} envelopes, yielding every ${THROUGHPUT_CHUNK}`,
  );
  console.log('each run:');
  for (const r of results) {
    console.log(
      `  ${r.name.padEnd(15)} p50 ${r.p50.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms  ${r.envelopesPerSecond.toFixed(0)} env/s  server CPU ${r.serverCpuMsPerEnvelope.toFixed(2)} ms/env`,
    );
  }
  console.log(
    `\n| server (median of ${ROUNDS}) | p50 ms | p99 ms | max ms | envelopes/s | deliveries/s | server CPU ms/envelope |`,
  );
  console.log('|---|---|---|---|---|---|---|');
  for (const r of [hub, bare]) {
    console.log(
      `| ${r.name} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.max.toFixed(2)} | ${r.envelopesPerSecond.toFixed(0)} | ${(r.envelopesPerSecond * CLIENTS).toFixed(0)} | ${r.serverCpuMsPerEnvelope.toFixed(2)} |`,
    );
  }
  console.log(
    `\nthroughput ratio hub / bare: ${(hub.envelopesPerSecond / bare.envelopesPerSecond).toFixed(2)}`,
  );
  console.log(
    `server CPU ratio hub / bare: ${(hub.serverCpuMsPerEnvelope / bare.serverCpuMsPerEnvelope).toFixed(2)} (1.00 = no overhead)`,
  );
}

/** A client process: holds its share of the connections, parses frames, reports arrivals. */
function runClients(): void {
  const port = {
    postMessage: (message: FromClients) => process.send!(message),
    on: (event: 'message', listener: (message: ToClients) => void) => process.on(event, listener),
  };
  let sockets: http.ClientRequest[] = [];
  let lastSeqs: number[] = [];
  let latencies: number[] = [];
  let target = Number.POSITIVE_INFINITY;
  let reachedCount = 0;
  let reachedAt = 0;
  const agent = new http.Agent({ keepAlive: false, maxSockets: Number.POSITIVE_INFINITY });

  function onFrame(index: number, frame: string): void {
    if (!frame.startsWith('id: ')) return;
    // `id: <seq>` or `id: <epoch>:<seq>`: the seq is after the last colon either way.
    const idLine = frame.slice(4, frame.indexOf('\n'));
    const seq = Number.parseInt(idLine.slice(idLine.lastIndexOf(':') + 1), 10);
    const at = now();
    const stamp = frame.indexOf('"timestamp":');
    if (stamp >= 0 && seq <= LATENCY_ENVELOPES)
      latencies.push(at - Number.parseFloat(frame.slice(stamp + 12)));
    const before = lastSeqs[index]!;
    lastSeqs[index] = seq;
    if (before < target && seq >= target) {
      reachedCount += 1;
      reachedAt = at;
      if (reachedCount === sockets.length) {
        port.postMessage({ type: 'reached', seq: target, at: reachedAt } satisfies FromClients);
        target = Number.POSITIVE_INFINITY;
      }
    }
  }

  port.on('message', (message: ToClients) => {
    if (message.type === 'connect') {
      let hellos = 0;
      lastSeqs = new Array(message.count).fill(0);
      latencies = [];
      sockets = Array.from({ length: message.count }, (_, index) =>
        http.get(message.url, { agent }, (res) => {
          res.setEncoding('utf8');
          let buffer = '';
          let greeted = false;
          res.on('data', (chunk: string) => {
            buffer += chunk;
            let end = buffer.indexOf('\n\n');
            while (end >= 0) {
              const frame = buffer.slice(0, end);
              buffer = buffer.slice(end + 2);
              if (!greeted && frame.startsWith('data: {"type":"hello"')) {
                greeted = true;
                hellos += 1;
                if (hellos === message.count) port.postMessage({ type: 'connected' } satisfies FromClients);
              } else {
                onFrame(index, frame);
              }
              end = buffer.indexOf('\n\n');
            }
          });
        }),
      );
    } else if (message.type === 'expect') {
      target = message.seq;
      reachedCount = lastSeqs.filter((seq) => seq >= target).length;
    } else if (message.type === 'latencies') {
      port.postMessage({ type: 'latencies', values: latencies } satisfies FromClients);
    } else {
      for (const socket of sockets) socket.destroy();
      sockets = [];
      port.postMessage({ type: 'disconnected' } satisfies FromClients);
    }
  });
}

if (process.argv.includes(CLIENT_ROLE)) {
  runClients();
} else if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}

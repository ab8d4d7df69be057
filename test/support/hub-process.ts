// A directive hub in a child process, for tests that kill and restart a real server: node:http on 127.0.0.1, driven over stdin.
//
// argv: <port> [<emits before listening>]. Prints `{"listening":port}` once it listens, then reads
// one JSON line per command from stdin (`{"emit":[directives]}`) and answers each with `{"seq":n}`.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { createDirectiveHub } from '../../src/server/index';

const port = Number(process.argv[2] ?? 0);
const emitsBeforeListening = Number(process.argv[3] ?? 0);
const hub = createDirectiveHub({ heartbeatMs: 0 });
const say = (message: unknown): void => {
  process.stdout.write(`${JSON.stringify(message)}\n`);
};

// Emitted before anyone can connect: what a restarted server did while its clients were away.
for (let i = 1; i <= emitsBeforeListening; i++) {
  await hub.emit([{ op: 'refresh_item', name: 'todo', id: `while-away-${i}` }]);
}

const server = http.createServer((req, res) => void hub.nodeHandler(req, res));
server.listen(port, '127.0.0.1', () => say({ listening: (server.address() as AddressInfo).port }));

for await (const line of createInterface({ input: process.stdin })) {
  const command = JSON.parse(line) as { emit: Parameters<typeof hub.emit>[0] };
  say(await hub.emit(command.emit));
}

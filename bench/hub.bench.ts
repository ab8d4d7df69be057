// The hub's fan-out to 1,000 loopback SSE clients next to a bare node:http writer sending the same bytes.

import { ratio, round } from './harness';
import type { BenchOutput } from './report';
import { fanout } from './server-fanout';

export async function hub(): Promise<BenchOutput> {
  const { clients, hub: h, bare } = await fanout();
  const result = {
    clients,
    p50Ms: round(h.p50),
    p99Ms: round(h.p99),
    envelopesPerSec: Math.round(h.envelopesPerSecond),
    rawEnvelopesPerSec: Math.round(bare.envelopesPerSecond),
    rawP50Ms: round(bare.p50),
    rawP99Ms: round(bare.p99),
    serverCpuMsPerEnvelope: round(h.serverCpuMsPerEnvelope),
    rawServerCpuMsPerEnvelope: round(bare.serverCpuMsPerEnvelope),
    // Throughput: higher is better, so the hub's rate over the bare writer's (1 = no overhead).
    ratio: round(h.envelopesPerSecond / bare.envelopesPerSecond),
  };
  return {
    result,
    rows: [
      {
        figure: `hub fan-out to ${clients} SSE clients vs bare node:http`,
        verity: result.envelopesPerSec,
        peer: result.rawEnvelopesPerSec,
        unit: 'envelopes/s',
        ratio: result.ratio,
      },
      {
        figure: `hub delivery latency p99 (${clients} clients)`,
        verity: result.p99Ms,
        peer: result.rawP99Ms,
        unit: 'ms',
        ratio: ratio(bare.p99, h.p99),
      },
    ],
  };
}

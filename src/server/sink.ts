// Where one subscriber's bytes go: a node ServerResponse or a web ReadableStream, with their backpressure.
import type { ServerResponse } from 'node:http';

export interface Sink {
  write(chunk: Uint8Array): void;
  /** True while the transport takes more without buffering past its high-water mark. */
  readonly wantsMore: boolean;
  /** Bytes handed to the transport that it has not flushed to the peer yet. */
  readonly backlog: number;
  end(): void;
  destroy(reason: Error): void;
}

export interface SinkEvents {
  /** The transport has room again. */
  drain(): void;
  /** The peer went away or the stream ended, whoever ended it. */
  closed(): void;
}

export function nodeSink(res: ServerResponse, events: SinkEvents): Sink {
  res.on('drain', events.drain);
  res.once('close', events.closed);
  return {
    write: (chunk) => {
      res.write(chunk);
    },
    get wantsMore() {
      return !res.writableNeedDrain && !res.destroyed;
    },
    get backlog() {
      return res.writableLength;
    },
    end: () => {
      res.end();
    },
    destroy: () => {
      res.destroy();
    },
  };
}

/** The stream's own queue stays small; the subscriber's queue is where the byte bound is enforced. */
const WEB_HIGH_WATER_MARK = 64 * 1024;

export function webSink(events: SinkEvents): { sink: Sink; stream: ReadableStream<Uint8Array> } {
  let controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  let open = true;
  const finish = (): void => {
    if (!open) return;
    open = false;
    events.closed();
  };
  const stream = new ReadableStream<Uint8Array>(
    {
      start: (c) => {
        controller = c;
      },
      pull: () => events.drain(),
      cancel: finish,
    },
    { highWaterMark: WEB_HIGH_WATER_MARK, size: (chunk) => chunk.byteLength },
  );
  const sink: Sink = {
    write: (chunk) => {
      if (open) controller?.enqueue(chunk);
    },
    get wantsMore() {
      return open && (controller?.desiredSize ?? 0) > 0;
    },
    get backlog() {
      return open ? WEB_HIGH_WATER_MARK - (controller?.desiredSize ?? WEB_HIGH_WATER_MARK) : 0;
    },
    end: () => {
      if (open) controller?.close();
      finish();
    },
    destroy: (reason) => {
      if (open) controller?.error(reason);
      finish();
    },
  };
  return { sink, stream };
}

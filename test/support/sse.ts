/** A minimal Server-Sent Events reader over fetch, for tests and the bench. */
export interface SseEvent {
  id: string | null;
  event: string;
  data: string;
}

export interface SseStream {
  status: number;
  headers: Headers;
  /** Resolves with the next event, or null when the stream ended. */
  next(timeoutMs?: number): Promise<SseEvent | null>;
  close(): void;
}

export async function openSse(url: string, headers: Record<string, string>): Promise<SseStream> {
  const ac = new AbortController();
  const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: ac.signal });
  const reader = res.body?.getReader();
  const decoder = new TextDecoder();
  let buf = '';
  const queue: SseEvent[] = [];
  let ended = false;
  const parse = (): void => {
    for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      const ev: SseEvent = { id: null, event: 'message', data: '' };
      let hasData = false;
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue;
        const c = line.indexOf(':');
        const field = c < 0 ? line : line.slice(0, c);
        const value = c < 0 ? '' : line.slice(c + 1).replace(/^ /, '');
        if (field === 'id') ev.id = value;
        else if (field === 'event') ev.event = value;
        else if (field === 'data') {
          ev.data += (hasData ? '\n' : '') + value;
          hasData = true;
        }
      }
      if (hasData) queue.push(ev);
    }
  };
  return {
    status: res.status,
    headers: res.headers,
    async next(timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (queue.length === 0 && !ended && reader) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error('no SSE event in time');
        let timer: NodeJS.Timeout | undefined;
        const chunk = await Promise.race([
          reader.read(),
          new Promise<never>((_, rej) => {
            timer = setTimeout(() => rej(new Error('no SSE event in time')), left);
          }),
        ]).finally(() => clearTimeout(timer));
        if (chunk.done) ended = true;
        else {
          buf += decoder.decode(chunk.value, { stream: true });
          parse();
        }
      }
      return queue.shift() ?? null;
    },
    close() {
      ac.abort();
    },
  };
}

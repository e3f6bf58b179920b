/**
 * A terminal progress line for a job: redrawn in place on a TTY, one line per change otherwise
 * (so logs of scripted runs stay readable).
 */
export class ProgressLine {
  private lastPlain = '';
  private readonly started = Date.now();

  constructor(private readonly out: NodeJS.WriteStream) {}

  private elapsed(): string {
    const s = Math.floor((Date.now() - this.started) / 1000);
    return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
  }

  update(status: string, progress: number, jobId: string): void {
    const pct = Math.max(0, Math.min(100, Math.round(progress)));
    if (this.out.isTTY) {
      const width = Math.max(10, Math.min(30, (this.out.columns ?? 80) - 50));
      const filled = Math.round((pct / 100) * width);
      const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
      this.out.write(`\r\x1b[2K${status.padEnd(10)} [${bar}] ${String(pct).padStart(3)}%  ${this.elapsed()}  ${jobId.slice(0, 8)}`);
      return;
    }
    const line = `${status} ${Math.floor(pct / 10) * 10}%`;
    if (line !== this.lastPlain) {
      this.lastPlain = line;
      this.out.write(`${this.elapsed()} ${status} ${pct}% (job ${jobId})\n`);
    }
  }

  done(): void {
    if (this.out.isTTY) this.out.write('\n');
  }
}

/**
 * Ctrl-C while `reelay generate` waits for its job. The job is already paid for (its credits are
 * held), so an interrupt must not silently leave it running: on a terminal we ask, and wait for
 * the answer; without one (scripts, CI) there is nobody to ask and the job is left running.
 */
import { createInterface, type Interface } from 'node:readline';

/** What the operator decided: cancel the job on the server, or leave it running and exit. */
export type Decision = 'cancel' | 'leave';

/**
 * Listens for SIGINT until `dispose()`. `decision` resolves once the operator chose to stop
 * waiting; answering "n" (or Enter) to the question keeps waiting and resolves nothing.
 *
 * @example
 * const guard = new InterruptGuard(jobId, process.stdin, process.stderr);
 * const winner = await Promise.race([wait, guard.decision]);
 * guard.dispose();
 */
export class InterruptGuard {
  /** True while the question is on screen (progress output pauses meanwhile). */
  prompting = false;
  readonly decision: Promise<Decision>;
  private decide!: (d: Decision) => void;
  private rl: Interface | null = null;
  private readonly onSigint = (): void => this.interrupted();

  constructor(
    private readonly jobId: string,
    private readonly input: NodeJS.ReadStream,
    private readonly output: NodeJS.WriteStream,
  ) {
    this.decision = new Promise((resolve) => (this.decide = resolve));
    process.on('SIGINT', this.onSigint);
  }

  private interrupted(): void {
    // A second interrupt while asking (a signal sent from outside the terminal) means "just go".
    if (this.prompting || !this.input.isTTY) return this.finish('leave', this.prompting);
    this.ask();
  }

  private ask(): void {
    this.prompting = true;
    this.output.write('\n');
    // readline puts the terminal in raw mode: Ctrl-C now arrives as a key and readline emits 'SIGINT'.
    const rl = createInterface({ input: this.input, output: this.output, terminal: true });
    this.rl = rl;
    rl.on('SIGINT', () => this.finish('leave', true));
    rl.on('close', () => {
      // Ctrl-D, or the job ended meanwhile: keep waiting (or carry on with the finished job).
      if (this.rl === rl) this.closePrompt();
    });
    rl.question(`Cancel job ${this.jobId}? [y/N] `, (answer) => {
      if (/^y(es)?$/i.test(answer.trim())) return this.finish('cancel', false);
      this.closePrompt();
      this.output.write(`still waiting for job ${this.jobId} (Ctrl-C again to ask again)\n`);
    });
  }

  private closePrompt(): void {
    const rl = this.rl;
    this.rl = null;
    this.prompting = false;
    rl?.close();
  }

  /** `newline`: end the question's line (Ctrl-C is not echoed in raw mode; Enter already was). */
  private finish(d: Decision, newline: boolean): void {
    if (newline) this.output.write('\n');
    this.closePrompt();
    this.decide(d);
  }

  /** Stops listening; a question still open (the job ended while it was asked) is withdrawn. */
  dispose(): void {
    if (this.rl) {
      this.output.write(`\njob ${this.jobId} ended while the question was open; the answer is no longer needed\n`);
      this.closePrompt();
    }
    process.off('SIGINT', this.onSigint);
  }
}

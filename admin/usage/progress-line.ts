/** Where progress goes: stderr, which may be a terminal. */
export interface ProgressSink {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

/** Reports how far a long scan is. */
export interface Progress {
  /** Starts a phase ("open workflows") of `total` items (`undefined` when not known). */
  start(phase: string, total: number | undefined): void;
  /** `done` items of the current phase are finished. */
  update(done: number): void;
  /** The current phase is finished. */
  finish(done: number): void;
}

/** A {@link Progress} that says nothing (for `--json` consumers who asked for quiet, and tests of other things). */
export const SILENT_PROGRESS: Progress = { start: () => undefined, update: () => undefined, finish: () => undefined };

/**
 * A progress line on stderr. On a terminal it is rewritten in place (at most ten times a second); elsewhere (logs,
 * CI) one line is printed per tenth of the phase, so a log of a large namespace shows about ten lines per phase.
 */
export function progressLine(sink: ProgressSink, label: string, now: () => number = Date.now): Progress {
  let phase = '';
  let total: number | undefined;
  let lastStep = -1;
  let lastDrawnAt = 0;
  const text = (done: number) => `${label}: ${phase} ${done}${total === undefined ? '' : `/${total}`}`;
  return {
    start(name, count) {
      phase = name;
      total = count;
      lastStep = -1;
      lastDrawnAt = 0;
    },
    update(done) {
      if (sink.isTTY === true) {
        if (now() - lastDrawnAt < 100) return;
        lastDrawnAt = now();
        sink.write(`\r\x1b[K${text(done)}`);
        return;
      }
      const step = total === undefined || total === 0 ? Math.floor(done / 100) : Math.floor((done * 10) / total);
      if (step === lastStep) return;
      lastStep = step;
      sink.write(`${text(done)}\n`);
    },
    finish(done) {
      sink.write(sink.isTTY === true ? `\r\x1b[K${text(done)} done\n` : `${text(done)} done\n`);
    },
  };
}

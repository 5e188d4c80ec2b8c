/** A progress bar with ETA on stderr when it is a terminal; periodic plain lines otherwise (logs, CI). */
import cliProgress from 'cli-progress';

export interface Progress {
  update(done: number, payload: { label: string; info: string }): void;
  stop(): void;
}

export function createProgress(title: string, total: number): Progress {
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar({
      format: `${title} {label} [{bar}] {value}/{total} · ETA {eta_formatted} · {info}`,
      stream: process.stderr, hideCursor: true, clearOnComplete: false,
    }, cliProgress.Presets.shades_classic);
    let started = false;
    return {
      update(done, payload) {
        if (!started) { bar.start(total, 0, payload); started = true; }
        bar.update(done, payload);
      },
      stop() { if (started) bar.stop(); },
    };
  }
  let last = 0;
  let t0 = Date.now();
  let previous = 0;
  return {
    update(done, payload) {
      const now = Date.now();
      // A bar reused for the next round (e.g. the next epoch) starts counting again.
      if (done < previous) t0 = now;
      previous = done;
      if (done !== total && now - last < 10_000) return;
      last = now;
      const rate = (now - t0) / 1000 / Math.max(done, 1);
      console.error(`${title} ${payload.label} ${done}/${total} · ${payload.info} · ${rate.toFixed(2)} s/item`);
    },
    stop() {},
  };
}

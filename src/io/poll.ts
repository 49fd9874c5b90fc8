// Waiting for a condition by polling with a deadline: for processes that are not our children.
export const POLL_MS = 20;

/** Resolves true as soon as `done()` holds, false once `deadline` (epoch ms) has passed. */
export function until(done: () => boolean, deadline: number, intervalMs = POLL_MS): Promise<boolean> {
  return new Promise((resolve) => {
    const check = (): void => {
      if (done()) resolve(true);
      else if (Date.now() >= deadline) resolve(false);
      else setTimeout(check, intervalMs);
    };
    check();
  });
}

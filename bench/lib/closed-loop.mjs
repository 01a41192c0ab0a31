// A closed-loop load: `concurrency` workers each run `attempt` `rounds` times, back to back.

/**
 * Runs the load. `attempt` resolves `{ ok: true }` or a failure record (anything else);
 * a throw counts as a failure too. Resolves the latencies (ms) of the successes, the wall
 * time (ms), and the failure records.
 */
export async function closedLoop({ concurrency, rounds }, attempt) {
  const latencies = [];
  const failures = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = 0; i < rounds; i++) {
        const t = performance.now();
        try {
          const result = await attempt();
          if (result?.ok === true) latencies.push(performance.now() - t);
          else failures.push(result);
        } catch (error) {
          failures.push({ json: { error: String(error) } });
        }
      }
    }),
  );
  return { latencies, wallMs: performance.now() - started, failures };
}

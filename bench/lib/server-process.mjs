// Child process: one side of the bench (see sides.mjs) on 127.0.0.1, with its own RSS.
// argv[2] is the side's name; settings come from the environment (S3_ENDPOINT,
// MAX_BYTES, STORE).
//
// IPC: sends { type: 'ready', port }; answers { type: 'mark' } with { type: 'marked' }
// and { type: 'measure' } with { type: 'measured', baseline, peak, growth }.
import { createRssMonitor } from './rss-monitor.mjs';
import { SIDES } from './sides.mjs';

const side = process.argv[2];
if (!SIDES[side]) throw new Error(`unknown side ${side}`);
const monitor = createRssMonitor();
const server = await SIDES[side](process.env);
server.keepAliveTimeout = 30_000;
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));

process.on('message', (message) => {
  if (message?.type === 'mark') process.send({ type: 'marked', ...monitor.mark() });
  if (message?.type === 'measure') process.send({ type: 'measured', ...monitor.measure() });
});
// Exit (and so write a --cpu-prof profile) when the runner is done with this side.
const stop = () => server.close(() => process.exit(0)) && server.closeAllConnections?.();
process.on('disconnect', stop);
process.on('SIGTERM', stop);
process.send({ type: 'ready', port: server.address().port });

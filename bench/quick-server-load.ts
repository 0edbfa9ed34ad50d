import { measureServerLoad } from './server-load.js';
const cases = await measureServerLoad({
  durationSec: Number(process.argv[2] ?? 3),
  log: (l) => console.log(l),
  nativeAead: 'auto',
});
void cases;

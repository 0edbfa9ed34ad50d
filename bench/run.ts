import { writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import {
  CachingKeyProvider,
  EncryptionCodec,
  loadAeadEngine,
  MemoryKeyStore,
  VaultClient,
  VaultKvStore,
  VaultTransitKeyProvider,
  VaultTransitKeys,
  type NativeAeadMode,
} from '../codec/index.js';
import { startCountingProxy } from '../harness/counting-proxy.js';
import { OpenBaoServer } from '../harness/openbao-server.js';
import { measureCodecThroughput } from './codec-throughput.js';
import type { BenchCase } from './measure.js';
import type { BenchReport } from './report.js';
import { SampleStyleCodec } from './sample-codec.js';
import { measureServerLoad, type LoadCase } from './server-load.js';
import { countVaultRequests, type VaultRequestFigures } from './vault-requests.js';
import { measureColdTransit } from './cold-transit.js';
import { measureWorkerThroughput } from './worker-throughput.js';

// `npm run bench [-- --json [file]] [-- --quick] [-- --native-aes-gcm off]`: codec throughput against raw
// AES-256-GCM and a sample-style codec, the codec server against a sample-style server, and Vault requests per 1,000
// payloads, against a real OpenBao dev server started for the run.

const { values } = parseArgs({
  options: {
    json: { type: 'string' },
    quick: { type: 'boolean', default: false },
    'native-aes-gcm': { type: 'string', default: 'auto' },
  },
  allowPositionals: false,
  strict: true,
  // `--json` alone (last, or followed by another flag) writes bench-results.json; `--json FILE` writes FILE.
  args: process.argv
    .slice(2)
    .map((a, i, all) => (a === '--json' && (all[i + 1] ?? '--').startsWith('--') ? '--json=bench-results.json' : a)),
});

const log = (line: string) => console.log(line);
const machine = `${cpus().length} x ${cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
log(`machine: ${machine}`);
// The machine may be shared: the load average next to the figures says how much they can be trusted.
const load = () =>
  loadavg()
    .map((n) => n.toFixed(2))
    .join(', ');
const loadAtStart = load();
log(`load average at start: ${loadAtStart}`);
const nativeAead = values['native-aes-gcm'] as NativeAeadMode;
// Every codec of the run gets this engine; the codec server under load chooses its own from the same flag.
const aead = loadAeadEngine(nativeAead);
log(`AES-GCM: ${aead.name}${aead.reason === undefined ? '' : ` (${aead.reason})`}`);

const bao = await OpenBaoServer.startDev();
const closers: Array<() => Promise<unknown>> = [() => bao.stop()];
try {
  const proxy = await startCountingProxy(bao.addr);
  closers.push(() => proxy.close());
  const vaultClient = new VaultClient({ endpoint: proxy.url, token: bao.token });
  const kvStore = new VaultKvStore({ client: vaultClient });
  await kvStore.createKey('bench');
  const kvProvider = new CachingKeyProvider(kvStore);
  const memoryStore = new MemoryKeyStore();
  memoryStore.rotate('bench');
  const memoryProvider = new CachingKeyProvider(memoryStore);
  await bao.enableSecretsEngine('transit', 'transit');
  await new VaultTransitKeys({ client: vaultClient }).createKey('bench');
  const transitProvider = new VaultTransitKeyProvider({ client: vaultClient });
  closers.push(
    () => kvProvider.close(),
    () => memoryProvider.close(),
    () => transitProvider.close(),
  );

  const vaultFigures: VaultRequestFigures[] = [
    await countVaultRequests(
      'vault-kv',
      new EncryptionCodec({ namespace: 'bench', keyProvider: kvProvider, aead }),
      proxy,
    ),
    await countVaultRequests(
      'vault-transit',
      new EncryptionCodec({ namespace: 'bench', keyProvider: transitProvider, aead }),
      proxy,
    ),
  ];
  for (const f of vaultFigures)
    log(`vault requests per 1,000 payloads (${f.mode}): cold ${f.coldPer1000}, warm ${f.warmPer1000}`);

  const coldTransit = await measureColdTransit({
    vaultAddr: bao.addr,
    token: bao.token,
    proxy,
    namespace: 'bench',
    payloads: 100,
    dataKeys: 20,
    latencyMs: 50,
    aead,
  });
  log(
    `cold Transit decode, ${coldTransit.payloads} payloads under ${coldTransit.dataKeys} data keys, ` +
      `${coldTransit.latencyMs} ms per Vault request: ${coldTransit.vaultRequests} Vault request(s), ${Math.round(coldTransit.durationMs)} ms`,
  );

  const cases: BenchCase[] = await measureCodecThroughput({
    sizes: [256, 1024, 64 * 1024, 1024 * 1024],
    batches: [1, 100],
    rounds: values.quick ? 1 : 5,
    timeMs: values.quick ? 100 : 300,
    codecs: [
      { name: 'codec[vault-kv]', codec: new EncryptionCodec({ namespace: 'bench', keyProvider: kvProvider, aead }) },
      {
        name: 'codec[vault-transit]',
        codec: new EncryptionCodec({ namespace: 'bench', keyProvider: transitProvider, aead }),
      },
      { name: 'codec[memory]', codec: new EncryptionCodec({ namespace: 'bench', keyProvider: memoryProvider, aead }) },
    ],
    baseline: { name: 'sample-style', codec: await SampleStyleCodec.create() },
    log,
  });
  await new VaultKvStore({ client: new VaultClient({ endpoint: bao.addr, token: bao.token }) }).createKey('default');
  const serverLoad: LoadCase[] = await measureServerLoad({
    durationSec: values.quick ? 2 : 5,
    log,
    vault: { addr: bao.addr, token: bao.token },
    nativeAead,
  });
  const workerCodecProvider = new CachingKeyProvider(
    new VaultKvStore({ client: new VaultClient({ endpoint: bao.addr, token: bao.token }) }),
  );
  closers.push(() => workerCodecProvider.close());
  const workers = await measureWorkerThroughput({
    codec: new EncryptionCodec({ namespace: 'default', keyProvider: workerCodecProvider, aead }),
    codecName: 'vault-kv',
    rounds: values.quick ? 1 : 3,
    perRound: values.quick ? 20 : 60,
    concurrency: 10,
    log,
  });
  const loadAtEnd = load();
  log(`load average at end: ${loadAtEnd}`);
  if (values.json !== undefined) {
    const report: BenchReport = {
      machine,
      load: { start: loadAtStart, end: loadAtEnd },
      coldTransit,
      workers,
      aead: aead.name,
      date: new Date().toISOString(),
      cases,
      serverLoad,
      vaultRequests: vaultFigures,
    };
    writeFileSync(values.json, `${JSON.stringify(report, null, 2)}\n`);
    log(`wrote ${values.json}`);
  }
} finally {
  for (const close of closers.reverse()) await close();
}

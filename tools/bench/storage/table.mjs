import { MIB, round, TARGETS } from './settings.mjs';

export function table(r) {
  const [small, large] = [r.zip.small, r.zip.large];
  const pct = (x) => `${(x * 100).toFixed(0)}%`;
  const mb = (x) => `${x.toFixed(1)} MB`;
  const spread = Math.abs(large.worker.peakMB - small.worker.peakMB) / small.worker.peakMB;
  const verdict = (ok) => (ok ? 'pass' : '**FAIL**');
  const sizeName = (bytes) =>
    bytes >= 1024 * MIB ? `${(bytes / 1024 / MIB).toFixed(2)} GiB` : `${round(bytes / MIB)} MiB`;
  const rows = [
    [
      `A. Stepwise create-zip, S3 → ZIP → S3 (${sizeName(large.totalBytes)}, 8 files, worker step)`,
      `${large.stepwise.mibPerSec} MiB/s`,
      '',
      '',
    ],
    ['A. raw GetObject → Upload copy, same bytes, same server', `${large.raw.mibPerSec} MiB/s`, '', ''],
    ['A. Stepwise / raw', pct(large.ratio), `≥ ${pct(TARGETS.zipRatio)}`, verdict(large.ratio >= TARGETS.zipRatio)],
    [
      `A. worker peak RSS (VmHWM), ${sizeName(small.totalBytes)} ZIP`,
      mb(small.worker.peakMB),
      `≤ ${TARGETS.workerPeakRssMB} MB`,
      verdict(small.worker.peakMB <= TARGETS.workerPeakRssMB),
    ],
    [
      `A. worker peak RSS (VmHWM), ${sizeName(large.totalBytes)} ZIP`,
      mb(large.worker.peakMB),
      `≤ ${TARGETS.workerPeakRssMB} MB`,
      verdict(large.worker.peakMB <= TARGETS.workerPeakRssMB),
    ],
    [
      'A. peak RSS, large vs small ZIP',
      `${pct(spread)} apart`,
      `within ${pct(TARGETS.workerRssSpread)}`,
      verdict(spread <= TARGETS.workerRssSpread),
    ],
    [
      `B. ${r.upload.uploads} concurrent ${r.upload.bytesEach / MIB} MiB multipart submits accepted (202)`,
      `${r.upload.accepted}/${r.upload.uploads}`,
      'all',
      verdict(r.upload.accepted === r.upload.uploads),
    ],
    [
      'B. api peak RSS (VmHWM)',
      mb(r.upload.api.peakMB),
      `≤ ${TARGETS.apiPeakRssMB} MB`,
      verdict(r.upload.api.peakMB <= TARGETS.apiPeakRssMB),
    ],
    ['B. upload throughput through the api (multipart → S3)', `${r.upload.api.mibPerSec} MiB/s`, '', ''],
    [`B. direct S3 Uploads, ${r.upload.uploads} concurrent, same bytes`, `${r.upload.direct.mibPerSec} MiB/s`, '', ''],
    ['B. api / direct', pct(r.upload.ratio), '', 'info'],
  ];
  const context = [
    `A at ${sizeName(small.totalBytes)}: Stepwise ${small.stepwise.mibPerSec} MiB/s, raw ${small.raw.mibPerSec} MiB/s (${pct(small.ratio)}).`,
    `Worker RSS after boot (VmRSS/VmHWM): ${small.worker.bootRssMB}/${small.worker.bootPeakMB} MB; ` +
      `api RSS after boot: ${r.upload.api.bootRssMB}/${r.upload.api.bootPeakMB} MB.`,
    `Upload of the ${sizeName(large.totalBytes)} inputs through the api (one multipart request): ${large.upload.mibPerSec} MiB/s.`,
    `CPU, ${sizeName(large.totalBytes)} ZIP: worker ${(large.stepwise.cpuMs.worker / 1000).toFixed(1)} s, ${r.s3.server} ${(large.stepwise.cpuMs.s3 / 1000).toFixed(1)} s; ` +
      `raw copy: orchestrator ${(large.raw.cpuMs.orchestrator / 1000).toFixed(1)} s, ${r.s3.server} ${(large.raw.cpuMs.s3 / 1000).toFixed(1)} s.`,
    `Inputs: pseudo-random bytes named .jpg, stored in the ZIP (not deflated). MB = 10^6 bytes, MiB = 2^20.`,
  ];
  // Before this run started (its own processes add about 2 once it runs): other work shares the CPUs.
  const load = r.machine.loadAverageAtStart[0];
  if (load > 1) context.push(`**Warning**: load average ${load} (1 min) at the start: other work shared the CPUs.`);
  const lines = [
    '| measurement | value | target | result |',
    '| --- | --- | --- | --- |',
    ...rows.map((row) => `| ${row.join(' | ')} |`),
    '',
    ...context.map((c) => `- ${c}`),
  ];
  return lines.join('\n');
}

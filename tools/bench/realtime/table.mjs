import { TARGETS } from './settings.mjs';

export function table(results) {
  const a = results.latency;
  const b = results.fanOut;
  const pass = (ok) => (ok ? 'pass' : '**FAIL**');
  const ms = (x) => (x === null || x === undefined ? 'n/a' : `${x} ms`);
  const base = results.baseline;
  const rows = [
    [
      'baseline p50 / p99: raw PostgreSQL transaction + Redis pub/sub (no Stepwise)',
      `${ms(base.totalMs?.p50)} / ${ms(base.totalMs?.p99)}`,
      '-',
      'info',
    ],
    [
      'baseline p50 / p99 parts: transaction / pub-sub',
      `${ms(base.transactionMs?.p50)} / ${ms(base.pubSubMs?.p50)}; ${ms(base.transactionMs?.p99)} / ${ms(base.pubSubMs?.p99)}`,
      '-',
      'info',
    ],
    ['(a) progress -> Socket.IO latency p50', ms(a.latencyMs?.p50), '-', 'info'],
    [
      '(a) progress -> Socket.IO latency p99',
      ms(a.latencyMs?.p99),
      `<= ${TARGETS.latencyP99Ms} ms`,
      pass(a.latencyMs !== null && a.latencyMs.p99 <= TARGETS.latencyP99Ms),
    ],
    ['(a) latency max', ms(a.latencyMs?.max), '-', 'info'],
    ...['p50', 'p99'].map((p) => [
      `(a) ${p} parts: progress() -> \`at\` -> saved in PostgreSQL -> publish -> api bus -> client`,
      ['toStamp', 'stampToSaved', 'savedToPublish', 'publishToApi', 'apiToClient']
        .map((name) => ms(a.breakdownMs[name]?.[p]))
        .join(' / '),
      '-',
      'info',
    ]),
    [
      '(a) samples received / expected',
      `${a.receivedSamples} / ${a.expectedSamples}`,
      'all',
      pass(a.receivedSamples === a.expectedSamples),
    ],
    [
      `(b) terminal events lost (${b.clients} clients, ${b.clients} tasks)`,
      String(b.lostTerminalEvents),
      String(TARGETS.lostTerminalEvents),
      pass(b.lostTerminalEvents === TARGETS.lostTerminalEvents && !b.timedOut),
    ],
    [
      '(b) terminal events duplicated / not completed',
      `${b.duplicatedTerminalEvents} / ${b.terminalNotCompleted}`,
      '0 / 0',
      pass(b.duplicatedTerminalEvents === 0 && b.terminalNotCompleted === 0),
    ],
    b.sharedOwner
      ? [
          '(b) events of another task at a client (shared owner: task.created of all)',
          String(b.eventsOfOtherTasks),
          String(b.clients * (b.clients - 1)),
          pass(b.eventsOfOtherTasks === b.clients * (b.clients - 1)),
        ]
      : ['(b) events of another task at a client', String(b.eventsOfOtherTasks), '0', pass(b.eventsOfOtherTasks === 0)],
    ['(b) release -> all terminal events received', ms(b.allTerminalEventsMs), '-', 'info'],
    ['(b) release -> last task finished (PostgreSQL)', ms(b.allTasksFinishedInDbMs), '-', 'info'],
    [
      '(b) terminal arrival after release p50 / p99',
      `${ms(b.terminalArrivalMs?.p50)} / ${ms(b.terminalArrivalMs?.p99)}`,
      '-',
      'info',
    ],
    [
      '(b) connect / submit / subscribe all',
      `${ms(b.connectMs)} / ${ms(b.submitMs)} / ${ms(b.subscribeMs)}`,
      '-',
      'info',
    ],
    ['(b) subscribe ack p50 / p99', `${ms(b.subscribeAckMs?.p50)} / ${ms(b.subscribeAckMs?.p99)}`, '-', 'info'],
  ];
  const s = results.settings;
  return [
    `Realtime benchmark (scale ${results.scale}, ${results.machine.cpus} CPUs, Node ${results.machine.node}): ` +
      `engine.progressThrottleMs=${s.engineProgressThrottleMs}, realtime.progressThrottleMs=${s.realtimeProgressThrottleMs}, ` +
      `progress calls ${a.gapMs} ms apart, worker concurrency ${s.workerConcurrency}; ` +
      `load average ${results.loadAverage.start} at the start, ${results.loadAverage.end} at the end`,
    '',
    '| measure | value | target | result |',
    '| --- | --- | --- | --- |',
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

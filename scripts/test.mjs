// `npm test`: every check in order, each one run even when an earlier one failed, then a
// summary table. Exits non-zero when any step failed; the last line reads `N passed, N failed`.
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const vsix = 'dist-vsix/email-link-tracking.vsix';
const checkVsix = ['node', '-r', 'esbuild-register', 'test/harness/checkVsix.ts'];

/** name, command, and the steps whose failure makes this one pointless. */
const steps = [
  { name: 'format', command: ['npm', 'run', '--silent', 'format:check'] },
  { name: 'lint', command: ['npm', 'run', '--silent', 'lint'] },
  { name: 'typecheck', command: ['npm', 'run', '--silent', 'typecheck'] },
  { name: 'unit', command: ['npm', 'run', '--silent', 'test:unit'] },
  { name: 'build', command: ['npm', 'run', '--silent', 'build'] },
  { name: 'integration', command: ['npm', 'run', '--silent', 'test:integration'] },
  { name: 'package', command: ['npm', 'run', '--silent', 'package'] },
  { name: 'vsix contents', command: [...checkVsix, 'contents', vsix], needs: ['package'] },
  { name: 'vsix install', command: [...checkVsix, 'install', vsix], needs: ['package'] },
];

function run(command) {
  return new Promise((resolve) => {
    const [program, ...args] = command;
    // No stdin: nothing may stop to ask a question (vsce does when it is unsure).
    const child = spawn(program, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', (error) => {
      console.error(`cannot run ${program}: ${error.message}`);
      resolve(1);
    });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

// A .vsix left from an earlier run must not pass for this run's.
rmSync(path.join(root, vsix), { force: true });

const results = [];
for (const [index, step] of steps.entries()) {
  const blockedBy = (step.needs ?? []).filter((name) =>
    results.some((r) => r.name === name && r.status !== 'passed'),
  );
  console.log(`\n=== [${index + 1}/${steps.length}] ${step.name}: ${step.command.join(' ')}`);
  if (blockedBy.length > 0) {
    console.log(`not run: ${blockedBy.join(', ')} failed`);
    results.push({ name: step.name, status: 'not run', seconds: 0 });
    continue;
  }
  const started = performance.now();
  const code = await run(step.command);
  const seconds = (performance.now() - started) / 1000;
  const status = code === 0 ? 'passed' : `FAILED (exit ${code})`;
  console.log(`=== ${step.name}: ${status} in ${seconds.toFixed(1)} s`);
  results.push({ name: step.name, status, seconds });
}

const passed = results.filter((r) => r.status === 'passed').length;
const failed = results.length - passed;
const total = results.reduce((sum, r) => sum + r.seconds, 0);
const width = Math.max(...results.map((r) => r.name.length), 'step'.length);
const row = (name, status, seconds) =>
  `${name.padEnd(width)}  ${status.padEnd(18)}  ${seconds.padStart(7)}`;

console.log('\nSummary');
console.log(row('step', 'status', 'seconds'));
console.log(row('-'.repeat(width), '-'.repeat(18), '-'.repeat(7)));
for (const r of results) {
  console.log(row(r.name, r.status, r.seconds.toFixed(1)));
}
console.log(row('total', '', total.toFixed(1)));
console.log(`\n${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;

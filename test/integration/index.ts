// Entry point VS Code loads as `extensionTestsPath`: runs the integration suite with mocha inside the
// extension host. Resolving means success; rejecting makes VS Code exit with a failure code.
// When ATTENTION_LENS_TEST_REPORT names a file, the spec output is also appended there, because a
// browser-hosted workbench (code-server) does not show the extension host's stdout.
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';

export async function run(): Promise<void> {
  const reportFile = process.env.ATTENTION_LENS_TEST_REPORT;
  const write = (line: string) => {
    console.log(line);
    if (reportFile) fs.appendFileSync(reportFile, line + '\n');
  };
  const mocha = new Mocha({ ui: 'bdd', timeout: 60_000, color: false, reporter: 'base' });
  const grep = process.env.ATTENTION_LENS_TEST_GREP;
  if (grep) mocha.grep(grep);
  for (const file of fs.readdirSync(__dirname).filter((f) => f.endsWith('.test.js')).sort()) {
    mocha.addFile(path.join(__dirname, file));
  }

  const failures = await new Promise<number>((resolve) => {
    const runner = mocha.run(resolve);
    let depth = 0;
    runner.on('suite', (suite) => {
      if (suite.title) write(`${'  '.repeat(depth)}${suite.title}`);
      depth++;
    });
    runner.on('suite end', () => depth--);
    runner.on('pass', (test) => write(`${'  '.repeat(depth)}✔ ${test.title} (${test.duration ?? 0} ms)`));
    runner.on('pending', (test) => write(`${'  '.repeat(depth)}- ${test.title} (pending)`));
    runner.on('fail', (test, err: Error) => {
      write(`${'  '.repeat(depth)}✘ ${test.fullTitle()}`);
      write(String(err.stack ?? err.message).split('\n').map((l) => `${'  '.repeat(depth + 2)}${l}`).join('\n'));
    });
    runner.on('end', () => {
      const s = runner.stats;
      write(`\n${s?.passes ?? 0} passing, ${s?.failures ?? 0} failing, ${s?.pending ?? 0} pending (${s?.duration ?? 0} ms)`);
    });
  });
  if (failures > 0) throw new Error(`${failures} integration test(s) failed.`);
}

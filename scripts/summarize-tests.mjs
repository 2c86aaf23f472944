// Prints one closing line over every test runner's JSON report: "tests: N passed, N failed".
import { readFileSync } from 'node:fs';

let passed = 0;
let failed = 0;
for (const name of ['unit', 'netns', 'integration', 'system', 'system-flood-checks', 'system-flood']) {
  const report = JSON.parse(readFileSync(`test-results/${name}.json`, 'utf8'));
  passed += report.numPassedTests;
  failed += report.numFailedTests;
}
const e2e = JSON.parse(readFileSync('test-results/e2e.json', 'utf8'));
passed += e2e.stats.expected;
failed += e2e.stats.unexpected + e2e.stats.flaky;
console.log(`tests: ${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);

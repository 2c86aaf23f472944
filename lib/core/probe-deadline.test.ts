import { describe, expect, it } from 'vitest';
import { probeDeadlineMs } from './probe-deadline';

const bounds = { minMs: 500, maxMs: 4000 };
const many = (ms: number, n = 20) => Array.from({ length: n }, () => ms);

describe('probeDeadlineMs', () => {
  it.each<[string, number[], number]>([
    ['too few measurements: the floor', [900, 900, 900], 500],
    ['a quiet host (30 ms answers): the floor', many(30), 500],
    ['a busy host (300 ms answers): four times that', many(300), 1200],
    ['one slow answer in twenty does not move it', [...many(30, 19), 2000], 500],
    ['three slow answers in twenty do (the 90th percentile)', [...many(30, 17), 600, 700, 800], 2400],
    ['time-outs counted at their deadline push it up to the ceiling', [...many(30, 10), ...many(1200, 10)], 4000],
  ])('%s', (_what, samples, expected) => {
    expect(probeDeadlineMs(samples, bounds)).toBe(expected);
  });
});

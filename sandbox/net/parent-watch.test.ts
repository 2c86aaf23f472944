import { describe, expect, it } from 'vitest';
import { watchParentDeath } from './parent-watch';

describe('watchParentDeath', () => {
  it('fires once when the parent pid changes', async () => {
    let ppid = 4242;
    const seen: number[] = [];
    watchParentDeath((former) => seen.push(former), { intervalMs: 5, ppid: () => ppid });
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(seen).toEqual([]);
    ppid = 1;
    await new Promise((resolve) => setTimeout(resolve, 30));
    ppid = 7;
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(seen).toEqual([4242]);
  });

  it('does nothing when started by init', async () => {
    const seen: number[] = [];
    let ppid = 1;
    watchParentDeath((former) => seen.push(former), { intervalMs: 5, ppid: () => ppid });
    ppid = 9;
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(seen).toEqual([]);
  });

  it('stops watching when told to', async () => {
    let ppid = 4242;
    const seen: number[] = [];
    const stop = watchParentDeath((former) => seen.push(former), { intervalMs: 5, ppid: () => ppid });
    stop();
    ppid = 1;
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(seen).toEqual([]);
  });
});

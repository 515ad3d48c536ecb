import { describe, expect, it } from 'vitest';
import { createSavedGraphs } from './saved-graphs';

const listOf = (...ids: string[]) => ({ graphs: ids.map((graphId) => ({ graphId })) });

describe('the saved graphs the studio knows', () => {
  it('are unknown until the host answers; a failed read keeps what is known', async () => {
    let answer: Promise<ReturnType<typeof listOf>> = Promise.reject(new Error('down'));
    const s = createSavedGraphs(() => answer);
    await s.refresh();
    expect(s.store.getState().ids).toBeNull();
    answer = Promise.resolve(listOf('a', 'b'));
    await s.refresh();
    expect([...s.store.getState().ids!]).toEqual(['a', 'b']);
    answer = Promise.reject(new Error('down again'));
    await s.refresh();
    expect([...s.store.getState().ids!]).toEqual(['a', 'b']);
  });

  it('an older answer never overwrites a newer one, and the same list is not a change', async () => {
    const answers: ((v: ReturnType<typeof listOf>) => void)[] = [];
    const s = createSavedGraphs(() => new Promise((resolve) => answers.push(resolve)));
    const first = s.refresh();
    const second = s.refresh();
    answers[1]!(listOf('new'));
    answers[0]!(listOf('old'));
    await Promise.all([first, second]);
    expect([...s.store.getState().ids!]).toEqual(['new']);
    let changes = 0;
    s.store.subscribe(() => changes++);
    const third = s.refresh();
    answers[2]!(listOf('new'));
    await third;
    expect(changes).toBe(0);
  });

  it('a graph the studio saves is known at once (once the list is), then read again', async () => {
    let reads = 0;
    let ids = ['a'];
    const s = createSavedGraphs(async () => (reads++, listOf(...ids)));
    s.noteSaved('x'); // the list is not known: one id would not be all of it
    expect(s.store.getState().ids).toBeNull();
    await s.refresh();
    ids = ['a', 'made'];
    s.noteSaved('made');
    expect([...s.store.getState().ids!].sort()).toEqual(['a', 'made']);
    await s.refresh();
    expect(reads).toBe(4);
  });
});

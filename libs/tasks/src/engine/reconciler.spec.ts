import { Readable } from 'node:stream';
import { Step, Task } from '../definition';
import { MemoryObjectStorage } from '../adapters/memory';
import { createEngineFixture } from './testing/engine-fixture';

@Task({ name: 'keeps-files' })
class KeepsFiles {
  @Step({ order: 1 })
  async only(): Promise<void> {
    return;
  }
}

describe('Reconciler', () => {
  const HOUR = 3_600_000;

  async function setup() {
    const storage = new MemoryObjectStorage();
    const fixture = createEngineFixture({ tasks: [new KeepsFiles()], storage, settings: { orphanGraceMs: HOUR } });
    const put = async (key: string, ageMs: number) => {
      await storage.put(key, Readable.from(['x']));
      storage.objects.get(key)!.lastModified = fixture.clock.now() - ageMs;
    };
    return { storage, fixture, put };
  }

  it('deletes the files of tasks that no longer exist, once they are older than the grace period', async () => {
    const { storage, fixture, put } = await setup();
    const { task } = await fixture.submit('keeps-files');
    await put(`tasks/${task.id}/input/a.txt`, 2 * HOUR); // live task: kept whatever its age
    await put('tasks/gone-1/input/a.txt', 2 * HOUR); // orphan, old: removed
    await put('tasks/gone-1/output/b.zip', 2 * HOUR);
    await put('tasks/gone-2/input/a.txt', 2 * HOUR); // orphan with one recent object: kept
    await put('tasks/gone-2/input/b.txt', HOUR / 2);
    await put('uploads/other.bin', 5 * HOUR); // outside the task prefix: not ours to judge

    const report = await fixture.engine.reconciler.reconcile();

    expect(report.removedTasks).toEqual(['gone-1']);
    expect(report.scannedObjects).toBe(5);
    expect([...storage.objects.keys()].sort()).toEqual(
      [
        `tasks/${task.id}/input/a.txt`,
        'tasks/gone-2/input/a.txt',
        'tasks/gone-2/input/b.txt',
        'uploads/other.bin',
      ].sort(),
    );
  });

  it('keeps files of a task deleted moments ago until the grace period passes', async () => {
    const { storage, fixture, put } = await setup();
    await put('tasks/just-deleted/output/x.zip', 0);
    expect((await fixture.engine.reconciler.reconcile()).removedTasks).toEqual([]);
    await fixture.clock.advance(HOUR + 1);
    expect((await fixture.engine.reconciler.reconcile()).removedTasks).toEqual(['just-deleted']);
    expect(storage.objects.size).toBe(0);
  });

  it('runs on its interval once the engine starts', async () => {
    const { storage, fixture, put } = await setup();
    await put('tasks/gone/input/a.txt', 2 * HOUR);
    await fixture.engine.start(['worker']);
    await fixture.clock.advance(HOUR);
    expect(storage.objects.size).toBe(0);
    await fixture.engine.stop();
  });
});

// The host's Disposable base: what an owner registers goes with it, once, in order.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Disposable, type DisposableLike } from '../../src/host/disposable';

class Owner extends Disposable {
  add<T extends DisposableLike>(item: T): T {
    return this.register(item);
  }
  get gone(): boolean {
    return this.isDisposed;
  }
}

describe('Disposable', () => {
  it('disposes what was registered, in the order registered, once', () => {
    const log: string[] = [];
    const owner = new Owner();
    const first = owner.add({ dispose: () => log.push('first') });
    owner.add({ dispose: () => log.push('second') });
    assert.equal(typeof first.dispose, 'function', 'register returns the item');
    assert.equal(owner.gone, false);
    owner.dispose();
    owner.dispose();
    assert.deepEqual(log, ['first', 'second']);
    assert.equal(owner.gone, true);
  });

  it('a dispose that re-enters (a panel whose close event disposes its owner) runs each item once', () => {
    const log: string[] = [];
    const owner = new Owner();
    owner.add({ dispose: () => { log.push('panel'); owner.dispose(); } });
    owner.add({ dispose: () => log.push('listener') });
    owner.dispose();
    assert.deepEqual(log, ['panel', 'listener']);
  });

  it('an item registered after dispose is disposed at once', () => {
    const owner = new Owner();
    owner.dispose();
    let disposed = false;
    owner.add({ dispose: () => { disposed = true; } });
    assert.equal(disposed, true);
  });
});

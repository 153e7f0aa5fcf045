/**
 * The client's own operators (src/actors/rx.ts) against RxJS's namesakes: the same inputs, driven
 * the same way, must give the same notifications (values, completion, errors) and subscribe and
 * unsubscribe their sources as RxJS's do.
 */
import * as rx from 'rxjs';
import { describe, expect, it } from 'vitest';
import { combineLatest, defer, distinctUntilChanged, filter, just, map, shareLatest, switchMap, takeUntil, takeWhileInclusive } from '../../../src/actors/rx.js';

type Note = ['next', unknown] | ['error', unknown] | ['complete'];

/** Subscribes and records every notification. */
function record<T>(observable: rx.Observable<T>): { notes: Note[]; subscription: rx.Subscription } {
  const notes: Note[] = [];
  const subscription = observable.subscribe({
    next: (value) => notes.push(['next', value]),
    error: (error) => notes.push(['error', error]),
    complete: () => notes.push(['complete']),
  });
  return { notes, subscription };
}

/** A subject that counts its subscribers, to see who subscribes and unsubscribes. */
function counted<T>(subject: rx.Subject<T>): { observable: rx.Observable<T>; live: () => number; total: () => number } {
  let live = 0;
  let total = 0;
  const observable = new rx.Observable<T>((subscriber) => {
    live++;
    total++;
    const subscription = subject.subscribe(subscriber);
    return () => {
      live--;
      subscription.unsubscribe();
    };
  });
  return { observable, live: () => live, total: () => total };
}

/** Runs `scenario` with ours and with RxJS's operators; both must notify and (un)subscribe alike. */
function same<N>(scenario: (ops: typeof ours) => { notes: N; extra?: unknown }): N {
  const mine = scenario(ours);
  const theirs = scenario(rxjs);
  expect(mine.notes).toEqual(theirs.notes);
  expect(mine.extra).toEqual(theirs.extra);
  return mine.notes;
}

const ours = { combineLatest, defer, distinctUntilChanged, filter, just, map, shareLatest, switchMap, takeUntil, takeWhileInclusive };
const rxjs: typeof ours = {
  combineLatest: rx.combineLatest as unknown as typeof combineLatest,
  defer: rx.defer,
  distinctUntilChanged: (equal) => rx.distinctUntilChanged(equal),
  filter: rx.filter as typeof filter,
  map: rx.map,
  just: (value) => rx.of(value),
  shareLatest: () => rx.shareReplay({ bufferSize: 1, refCount: false }),
  switchMap: (project) => rx.switchMap(project),
  takeUntil: rx.takeUntil,
  takeWhileInclusive: (predicate) => rx.takeWhile(predicate, true),
};

describe('defer and just', () => {
  it('defer makes its observable on each subscribe; just gives one value and completes', () => {
    const notes = same((ops) => {
      let made = 0;
      const deferred = ops.defer(() => ops.just(++made));
      const first = record(deferred);
      const second = record(deferred);
      return { notes: [...first.notes, ...second.notes], extra: made };
    });
    expect(notes).toEqual([['next', 1], ['complete'], ['next', 2], ['complete']]);
  });
});

describe('map, filter, distinctUntilChanged', () => {
  it('map projects each value; errors and completion pass through', () => {
    const notes = same((ops) => {
      const source = new rx.Subject<number>();
      const { notes } = record(ops.map((n: number) => n * 10)(source));
      source.next(1);
      source.next(2);
      source.complete();
      const failing = new rx.Subject<number>();
      const failed = record(ops.map((n: number) => n)(failing));
      failing.error('boom');
      return { notes: [...notes, ...failed.notes] };
    });
    expect(notes).toEqual([['next', 10], ['next', 20], ['complete'], ['error', 'boom']]);
  });

  it('a projection or a predicate that throws becomes an error notification and unsubscribes the source', () => {
    const notes = same((ops) => {
      const fail = (what: string) => (): never => {
        throw new Error(what);
      };
      const mappedSubject = new rx.Subject<number>();
      const mapped = counted(mappedSubject);
      const first = record(ops.map(fail('project'))(mapped.observable));
      const filteredSubject = new rx.Subject<number>();
      const filtered = counted(filteredSubject);
      const second = record(ops.filter(fail('predicate'))(filtered.observable));
      for (const subject of [mappedSubject, filteredSubject]) {
        subject.next(1);
        subject.next(2); // after the error: nothing more
      }
      const message = ([kind, value]: Note) => [kind, value instanceof Error ? value.message : value];
      return { notes: [first.notes.map(message), second.notes.map(message)], extra: [mapped.live(), filtered.live()] };
    });
    expect(notes).toEqual([[['error', 'project']], [['error', 'predicate']]]);
  });

  it('filter passes what the predicate keeps', () => {
    const notes = same((ops) => {
      const source = new rx.Subject<number>();
      const { notes } = record(ops.filter((n: number) => n % 2 === 0)(source));
      for (const n of [1, 2, 3, 4]) source.next(n);
      source.complete();
      return { notes };
    });
    expect(notes).toEqual([['next', 2], ['next', 4], ['complete']]);
  });

  it('distinctUntilChanged drops repeats of the last value passed (=== or the given equality)', () => {
    const notes = same((ops) => {
      const source = new rx.Subject<{ n: number }>();
      const a = { n: 1 };
      const byIdentity = record(ops.distinctUntilChanged<{ n: number }>()(source));
      const byValue = record(ops.distinctUntilChanged<{ n: number }>((x, y) => x.n === y.n)(source));
      for (const value of [a, a, { n: 1 }, { n: 2 }, { n: 2 }]) source.next(value);
      source.complete();
      return { notes: [byIdentity.notes.length, byValue.notes.map((note) => (note[0] === 'next' ? (note[1] as { n: number }).n : note[0]))] };
    });
    expect(notes).toEqual([5, [1, 2, 'complete']]); // identity: a, {n:1}, {n:2}, {n:2}, complete
  });
});

describe('combineLatest', () => {
  it('waits for every source, then emits the latest of each; completes when all have', () => {
    const notes = same((ops) => {
      const a = new rx.Subject<string>();
      const b = new rx.BehaviorSubject(0);
      const { notes } = record(ops.combineLatest([a, b]));
      b.next(1);
      a.next('x');
      b.next(2);
      a.next('y');
      a.complete();
      b.next(3);
      b.complete();
      return { notes };
    });
    expect(notes).toEqual([['next', ['x', 1]], ['next', ['x', 2]], ['next', ['y', 2]], ['next', ['y', 3]], ['complete']]);
  });

  it('errors with the first error and unsubscribes every source', () => {
    const notes = same((ops) => {
      const a = counted(new rx.Subject<number>());
      const b = new rx.Subject<number>();
      const { notes } = record(ops.combineLatest([a.observable, b]));
      b.error('boom');
      return { notes, extra: a.live() };
    });
    expect(notes).toEqual([['error', 'boom']]);
  });
});

describe('takeUntil', () => {
  it('passes values until the notifier emits, then completes and unsubscribes the source', () => {
    const notes = same((ops) => {
      const subject = new rx.Subject<number>();
      const source = counted(subject);
      const stop = new rx.Subject<void>();
      const { notes } = record(ops.takeUntil<number>(stop)(source.observable));
      subject.next(1);
      const before = source.live();
      stop.next();
      subject.next(2);
      return { notes, extra: [before, source.live()] };
    });
    expect(notes).toEqual([['next', 1], ['complete']]);
  });

  it('completes at once without subscribing the source when the notifier has already emitted', () => {
    const notes = same((ops) => {
      const source = counted(new rx.Subject<number>());
      const { notes } = record(ops.takeUntil<number>(new rx.BehaviorSubject(true))(source.observable));
      return { notes, extra: source.total() };
    });
    expect(notes).toEqual([['complete']]);
  });

  it('passes the values emitted before the notifier', () => {
    const notes = same((ops) => {
      const source = new rx.Subject<number>();
      const stop = new rx.Subject<void>();
      const { notes } = record(ops.takeUntil<number>(stop)(source));
      source.next(1);
      source.next(2);
      stop.next();
      source.next(3);
      return { notes };
    });
    expect(notes).toEqual([['next', 1], ['next', 2], ['complete']]);
  });
});

describe('takeWhileInclusive', () => {
  it('passes values while the predicate holds, then the first that fails it, then completes and unsubscribes', () => {
    const notes = same((ops) => {
      const subject = new rx.Subject<number>();
      const source = counted(subject);
      const { notes } = record(ops.takeWhileInclusive<number>((value) => value < 3)(source.observable));
      for (const value of [1, 2, 3, 4]) subject.next(value);
      return { notes, extra: source.live() };
    });
    expect(notes).toEqual([['next', 1], ['next', 2], ['next', 3], ['complete']]);
  });
});

describe('switchMap', () => {
  it('follows the latest inner observable, unsubscribing the one before', () => {
    const notes = same((ops) => {
      const outer = new rx.Subject<number>();
      const inners = [counted(new rx.Subject<string>()), counted(new rx.Subject<string>())];
      const subjects: rx.Subject<string>[] = [];
      const made = inners.map((entry) => {
        const subject = new rx.Subject<string>();
        subjects.push(subject);
        return new rx.Observable<string>((subscriber) => {
          const a = entry.observable.subscribe();
          const b = subject.subscribe(subscriber);
          return () => {
            a.unsubscribe();
            b.unsubscribe();
          };
        });
      });
      const { notes, subscription } = record(ops.switchMap((index: number) => made[index]!)(outer));
      outer.next(0);
      subjects[0]!.next('a');
      outer.next(1);
      subjects[0]!.next('lost');
      subjects[1]!.next('b');
      const live = [inners[0]!.live(), inners[1]!.live()];
      subscription.unsubscribe();
      return { notes, extra: [live, inners[1]!.live()] };
    });
    expect(notes).toEqual([['next', 'a'], ['next', 'b']]);
  });

  it('completes once the source and the current inner observable have completed', () => {
    const notes = same((ops) => {
      const outer = new rx.Subject<number>();
      const inner = new rx.Subject<string>();
      const { notes } = record(ops.switchMap((value: number) => (value === 0 ? ops.just('sync') : inner))(outer));
      outer.next(0); // an inner that completes synchronously
      outer.next(1);
      outer.complete();
      const before = notes.length;
      inner.next('late');
      inner.complete();
      return { notes, extra: before };
    });
    expect(notes).toEqual([['next', 'sync'], ['next', 'late'], ['complete']]);
  });

  it('passes an inner error on', () => {
    const notes = same((ops) => {
      const outer = new rx.BehaviorSubject(1);
      const { notes } = record(ops.switchMap(() => rx.throwError(() => 'bad'))(outer));
      return { notes, extra: outer.observed };
    });
    expect(notes).toEqual([['error', 'bad']]);
  });
});

describe('shareLatest', () => {
  it('subscribes the source once, replays the latest value, and keeps the source after subscribers leave', () => {
    const notes = same((ops) => {
      const source = counted(new rx.Subject<number>());
      const subject = new rx.Subject<number>();
      const shared = ops.shareLatest<number>()(new rx.Observable<number>((subscriber) => {
        const a = source.observable.subscribe();
        const b = subject.subscribe(subscriber);
        return () => {
          a.unsubscribe();
          b.unsubscribe();
        };
      }));
      const first = record(shared);
      subject.next(1);
      subject.next(2);
      const second = record(shared);
      first.subscription.unsubscribe();
      second.subscription.unsubscribe();
      const third = record(shared);
      subject.next(3);
      return { notes: [first.notes, second.notes, third.notes], extra: [source.total(), source.live()] };
    });
    expect(notes).toEqual([[['next', 1], ['next', 2]], [['next', 2]], [['next', 2], ['next', 3]]]);
  });

  it('gives the first subscriber every value the source emits while it subscribes, and replays completion', () => {
    const notes = same((ops) => {
      const shared = ops.shareLatest<number>()(rx.of(1, 2, 3));
      return { notes: [record(shared).notes, record(shared).notes] };
    });
    expect(notes).toEqual([[['next', 1], ['next', 2], ['next', 3], ['complete']], [['next', 3], ['complete']]]);
  });

  it('replays an error (after the latest value) to later subscribers, without subscribing the source again', () => {
    const subject = new rx.Subject<number>();
    const source = counted(subject);
    const shared = shareLatest<number>()(source.observable);
    const first = record(shared);
    subject.next(1);
    subject.error('bad');
    const late = record(shared);
    expect(first.notes).toEqual([['next', 1], ['error', 'bad']]);
    expect(late.notes).toEqual([['next', 1], ['error', 'bad']]);
    expect(source.total()).toBe(1);
  });

  it('forgets a subscriber that leaves and keeps serving the others', () => {
    const subject = new rx.Subject<number>();
    const shared = shareLatest<number>()(subject);
    const leaving = record(shared);
    const staying = record(shared);
    subject.next(1);
    leaving.subscription.unsubscribe();
    subject.next(2);
    subject.complete();
    expect(leaving.notes).toEqual([['next', 1]]);
    expect(staying.notes).toEqual([['next', 1], ['next', 2], ['complete']]);
  });
});

// A minimal observable value and the hook that re-renders a component when it
// changes (the portal's only shared state: language, session, acting-for,
// current path).
import { useEffect, useState } from 'preact/hooks';

export interface Signal<T> {
  get(): T;
  set(value: T): void;
  subscribe(listener: () => void): () => void;
}

export function signal<T>(initial: T): Signal<T> {
  let value = initial;
  const listeners = new Set<() => void>();
  return {
    get: () => value,
    set(next: T) {
      value = next;
      listeners.forEach((l) => l());
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

export function useSignal<T>(s: Signal<T>): T {
  const [, force] = useState(0);
  useEffect(() => s.subscribe(() => force((n) => n + 1)), [s]);
  return s.get();
}

// A form's entries kept in sessionStorage, so that an expired session, a
// network error or a reload loses nothing the person typed.
export function useDraft<T>(key: string, initial: T): [T, (value: T) => void] {
  const storageKey = 'shebao.draft.' + key;
  const [value, setValue] = useState<T>(() => {
    try {
      const stored = sessionStorage.getItem(storageKey);
      if (stored !== null) return JSON.parse(stored) as T;
    } catch {
      /* no draft */
    }
    return initial;
  });
  const update = (next: T) => {
    setValue(next);
    try {
      sessionStorage.setItem(storageKey, JSON.stringify(next));
    } catch {
      /* not kept */
    }
  };
  return [value, update];
}

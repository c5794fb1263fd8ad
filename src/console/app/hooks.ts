import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError } from './api.ts';

export interface Loaded<T> {
  data: T | undefined;
  error: ApiError | undefined;
  loading: boolean;
  reload: () => void;
}

/**
 * A management API resource, loaded when `path` changes (null: nothing to load) and, with
 * `every_ms`, polled while `poll` says so (a live logout until it completes).
 */
export function useApi<T>(path: string | null, options: { every_ms?: number; poll?: (data: T) => boolean } = {}): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: ApiError; loading: boolean }>({ loading: !!path });
  const [tick, setTick] = useState(0);
  const options_ = useRef(options);
  options_.current = options;
  const reload = useCallback(() => setTick((t) => t + 1), []);

  useEffect(() => {
    if (!path) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = async () => {
      try {
        const data = await api.get<T>(path);
        if (stopped) return;
        setState({ data, loading: false });
        const { every_ms, poll } = options_.current;
        if (every_ms && (!poll || poll(data))) timer = setTimeout(load, every_ms);
      } catch (err) {
        if (!stopped) setState((s) => ({ ...s, error: err as ApiError, loading: false }));
      }
    };
    setState((s) => ({ ...s, loading: true }));
    void load();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [path, tick]);

  return { data: state.data, error: state.error, loading: state.loading, reload };
}

/** An action (a button): running, its error, and its result. */
export function useAction<A extends unknown[], R>(run: (...args: A) => Promise<R>) {
  const [state, setState] = useState<{ running: boolean; error?: ApiError; result?: R }>({ running: false });
  const go = async (...args: A) => {
    setState({ running: true });
    try {
      const result = await run(...args);
      setState({ running: false, result });
      return result;
    } catch (err) {
      setState({ running: false, error: err as ApiError });
      return undefined;
    }
  };
  return { ...state, go };
}

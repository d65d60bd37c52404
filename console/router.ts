/**
 * A small router on `location.hash`: `#/topics/orders?x=1` is the route
 * `['topics', 'orders']` with the query `{x: '1'}`.
 */
import { useEffect, useState } from 'preact/hooks';

export interface Route {
  readonly parts: readonly string[];
  readonly query: URLSearchParams;
}

export function parseHash(hash: string): Route {
  const [pathPart = '', queryPart = ''] = hash.replace(/^#\/?/, '').split('?', 2);
  const parts = pathPart.split('/').filter((p) => p !== '').map((p) => decodeURIComponent(p));
  return { parts, query: new URLSearchParams(queryPart) };
}

/** `href('topics', 'a b')` is `#/topics/a%20b`. */
export function href(...parts: string[]): string {
  return `#/${parts.map((p) => encodeURIComponent(p)).join('/')}`;
}

export function navigate(to: string): void {
  location.hash = to;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseHash(location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

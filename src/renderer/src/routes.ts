import type { Namespace, SortField, SortOrder } from '../../shared/types';

/**
 * The renderer's places, kept in the location hash (`#/images/default/docker.io/library/alpine:3.20`) so that a reload
 * or a bookmark comes back to the same view. Pure: parsing and formatting only, no DOM.
 */
export type Route =
  | {
      view: 'images';
      namespace?: Namespace;
      /** Name substring. */
      filter?: string;
      /** A `k=v` label selector. */
      label?: string;
      mediaType?: string;
      dangling?: boolean;
      sort?: SortField;
      order?: SortOrder;
    }
  | { view: 'image'; namespace: Namespace; name: string }
  | { view: 'content'; digest: string }
  | { view: 'metadata'; namespace?: Namespace; prefix?: string; key?: string }
  | { view: 'trash' }
  | { view: 'import' }
  | { view: 'unknown'; path: string };

export type View = Route['view'];

const sortFields: readonly SortField[] = ['name', 'created', 'size'];
const sortOrders: readonly SortOrder[] = ['asc', 'desc'];

// Image names are references (`example.com/app:1.0@sha256:...`); `/`, `:` and `@` stay readable in the hash.
const encodeName = (name: string) =>
  encodeURIComponent(name).replace(/%2F/g, '/').replace(/%3A/g, ':').replace(/%40/g, '@');

function decode(part: string): string | undefined {
  try {
    return decodeURIComponent(part);
  } catch {
    return undefined;
  }
}

export function parseHash(hash: string): Route {
  const raw = hash.replace(/^#/, '');
  const queryAt = raw.indexOf('?');
  const path = (queryAt >= 0 ? raw.slice(0, queryAt) : raw).replace(/^\/+/, '');
  const params = new URLSearchParams(queryAt >= 0 ? raw.slice(queryAt + 1) : '');
  const slash = path.indexOf('/');
  const head = slash >= 0 ? path.slice(0, slash) : path;
  const rest = slash >= 0 ? path.slice(slash + 1) : '';

  switch (head) {
    case '':
    case 'images': {
      if (rest === '') {
        const sort = params.get('sort') as SortField | null;
        const order = params.get('order') as SortOrder | null;
        return compact({
          view: 'images',
          namespace: params.get('namespace') || undefined,
          filter: params.get('filter') || undefined,
          label: params.get('label') || undefined,
          mediaType: params.get('mediaType') || undefined,
          dangling:
            params.get('dangling') === 'true' ? true : params.get('dangling') === 'false' ? false : undefined,
          sort: sort && sortFields.includes(sort) ? sort : undefined,
          order: order && sortOrders.includes(order) ? order : undefined,
        });
      }
      const nsEnd = rest.indexOf('/');
      const namespace = nsEnd > 0 ? decode(rest.slice(0, nsEnd)) : undefined;
      const name = nsEnd > 0 ? decode(rest.slice(nsEnd + 1)) : undefined;
      if (namespace && name) return { view: 'image', namespace, name };
      break;
    }
    case 'metadata': {
      if (rest === '') return { view: 'metadata' };
      const namespace = decode(rest.replace(/\/+$/, ''));
      if (namespace)
        return compact({
          view: 'metadata',
          namespace,
          prefix: params.get('prefix') || undefined,
          key: params.get('key') || undefined,
        });
      break;
    }
    case 'content': {
      const digest = decode(rest);
      if (digest && /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/.test(digest))
        return { view: 'content', digest };
      break;
    }
    case 'trash':
    case 'import':
      if (rest === '') return { view: head };
      break;
  }
  return { view: 'unknown', path };
}

export function formatRoute(route: Route): string {
  switch (route.view) {
    case 'images': {
      const params = new URLSearchParams();
      if (route.namespace) params.set('namespace', route.namespace);
      if (route.filter) params.set('filter', route.filter);
      if (route.label) params.set('label', route.label);
      if (route.mediaType) params.set('mediaType', route.mediaType);
      if (route.dangling !== undefined) params.set('dangling', String(route.dangling));
      if (route.sort && route.sort !== 'name') params.set('sort', route.sort);
      if (route.order && route.order !== 'asc') params.set('order', route.order);
      const query = params.toString();
      return `#/images${query ? `?${query}` : ''}`;
    }
    case 'image':
      return `#/images/${encodeURIComponent(route.namespace)}/${encodeName(route.name)}`;
    case 'content':
      return `#/content/${encodeName(route.digest)}`;
    case 'metadata': {
      if (!route.namespace) return '#/metadata';
      const params = new URLSearchParams();
      if (route.prefix) params.set('prefix', route.prefix);
      if (route.key) params.set('key', route.key);
      const query = params.toString();
      return `#/metadata/${encodeURIComponent(route.namespace)}${query ? `?${query}` : ''}`;
    }
    case 'trash':
    case 'import':
      return `#/${route.view}`;
    case 'unknown':
      return `#/${route.path}`;
  }
}

/** The sidebar entry a route belongs to. */
export function section(route: Route): 'images' | 'metadata' | 'trash' | 'import' | undefined {
  switch (route.view) {
    case 'images':
    case 'image':
    case 'content':
      return 'images';
    case 'metadata':
    case 'trash':
    case 'import':
      return route.view;
    case 'unknown':
      return undefined;
  }
}

function compact<T extends object>(value: T): T {
  for (const key of Object.keys(value) as (keyof T)[]) if (value[key] === undefined) delete value[key];
  return value;
}

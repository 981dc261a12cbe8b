// Fetch helpers: JSON in and out, the CSRF header on every mutating request, API errors.

export interface WorkspaceRole {
  id: string;
  name: string;
  role: Role;
}
export type Role = 'viewer' | 'commenter' | 'editor' | 'owner';
export interface Me {
  id: string;
  email: string;
  name: string;
  workspaces: WorkspaceRole[];
}

export class ApiError extends Error {
  constructor(
    public status: number,
    public code: string,
    message: string,
  ) {
    super(message);
  }
}

export function csrfToken(): string {
  const m = document.cookie.split(/;\s*/).find((c) => c.startsWith('cxmap_csrf='));
  return m ? decodeURIComponent(m.slice('cxmap_csrf='.length)) : '';
}

export async function api<T = any>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD') {
    const token = csrfToken();
    if (token) headers['X-CSRF-Token'] = token;
  }
  const res = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let data: any = undefined;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = undefined;
  }
  if (!res.ok) {
    const err = data?.error;
    throw new ApiError(res.status, err?.code ?? 'http_' + res.status, err?.message ?? res.statusText);
  }
  return data as T;
}

export const ROLE_RANK: Record<Role, number> = { viewer: 0, commenter: 1, editor: 2, owner: 3 };
export const atLeast = (role: Role | undefined | null, needed: Role) =>
  !!role && ROLE_RANK[role] >= ROLE_RANK[needed];

let mePromise: Promise<Me | null> | null = null;

/** The signed-in user; under `cxmap demo` signs in as the demo owner when nobody is. */
export function loadMe(force = false): Promise<Me | null> {
  if (!mePromise || force) {
    mePromise = (async () => {
      try {
        return await api<Me>('GET', '/api/v1/me');
      } catch (e) {
        if (e instanceof ApiError && e.status === 401) {
          try {
            return await api<Me>('POST', '/api/v1/auth/demo');
          } catch {
            return null;
          }
        }
        throw e;
      }
    })();
  }
  return mePromise;
}

export function setMe(me: Me | null) {
  mePromise = Promise.resolve(me);
}

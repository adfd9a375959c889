// The HTTP API client (api/openapi.json): bearer session token, RFC 9457
// problem details turned into ApiError, and the session itself (kept in
// sessionStorage: it ends with the browser tab). A 401 on an authenticated
// call ends the session and sends the person to sign-in with a message; forms
// keep their drafts (state.ts useDraft), so nothing typed is lost.
import { t } from './i18n';
import { signal } from './state';

export interface Session {
  token: string;
  role: string;
  login: string;
  person: string;
  employer: string;
  region: string;
}

// An officer acting for a person at the counter: every call for that person
// carries X-Purpose, which the API writes to the audit log.
export interface Acting {
  resident_id: string;
  name: string;
  purpose: string;
}

export class ApiError extends Error {
  constructor(
    public status: number, // 0: network
    public code: string,
    public field: string,
    public detail: string,
  ) {
    super(detail || code);
  }
}

function load<T>(key: string): T | null {
  try {
    const text = sessionStorage.getItem(key);
    return text ? (JSON.parse(text) as T) : null;
  } catch {
    return null;
  }
}
function store(key: string, value: unknown) {
  try {
    if (value === null) sessionStorage.removeItem(key);
    else sessionStorage.setItem(key, JSON.stringify(value));
  } catch {
    /* not kept */
  }
}

export const session = signal<Session | null>(load<Session>('shebao.session'));
export const acting = signal<Acting | null>(load<Acting>('shebao.acting'));
// Why the person was sent to sign-in ('expired'), shown there once.
export const signInReason = signal<string>('');

session.subscribe(() => store('shebao.session', session.get()));
acting.subscribe(() => store('shebao.acting', acting.get()));

interface CallOptions {
  method?: string;
  body?: unknown;
  csv?: string;
  auth?: boolean;
  purpose?: string; // an officer's note: X-Purpose of this call (purposeHeader)
  blob?: boolean; // answer the body as a Blob (a PDF)
  idempotencyKey?: string; // Idempotency-Key of a POST: a retry has no second effect
}

// The X-Purpose of an officer's call at the counter: "assisted-service", then
// the officer's note. HTTP header values are Latin-1, so characters outside
// printable ASCII are percent-encoded (readablePurpose() decodes them).
export function purposeHeader(note: string): string {
  let text = '';
  for (const ch of note.trim()) text += /[\x20-\x7e]/.test(ch) ? ch : encodeURIComponent(ch);
  return text ? 'assisted-service: ' + text : 'assisted-service';
}

// The purpose of an access as the person reads it: the API's "self-service"
// and "not stated" and the portal's "assisted-service: NOTE" in words.
export function readablePurpose(purpose: string): string {
  let text = purpose;
  try {
    text = decodeURIComponent(purpose);
  } catch {
    /* shown as recorded */
  }
  if (text === 'self-service') return t('purpose.self');
  if (text === 'not stated') return t('purpose.none');
  if (text === 'assisted-service') return t('purpose.assisted');
  if (text.startsWith('assisted-service: ')) return t('purpose.assisted') + ': ' + text.slice('assisted-service: '.length);
  return text;
}

export async function call<T>(path: string, options: CallOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  const s = session.get();
  if (options.auth !== false && s) headers.Authorization = 'Bearer ' + s.token;
  const a = acting.get();
  if (a && path.startsWith('/v1/persons/' + a.resident_id)) headers['X-Purpose'] = purposeHeader(a.purpose);
  if (options.purpose !== undefined) headers['X-Purpose'] = purposeHeader(options.purpose);
  if (options.idempotencyKey) headers['Idempotency-Key'] = options.idempotencyKey;
  let body: string | undefined;
  if (options.csv !== undefined) {
    headers['Content-Type'] = 'text/csv';
    body = options.csv;
  } else if (options.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  let response: Response;
  try {
    response = await fetch(path, { method: options.method ?? 'GET', headers, body });
  } catch {
    throw new ApiError(0, 'network', '', '');
  }
  if (response.status === 204) return undefined as T;
  if (options.blob && response.ok) {
    try {
      return (await response.blob()) as T;
    } catch {
      throw new ApiError(0, 'network', '', '');
    }
  }
  let doc: any = null;
  try {
    doc = await response.json();
  } catch {
    if (response.ok) throw new ApiError(0, 'network', '', '');
  }
  if (!response.ok) {
    const error = new ApiError(response.status, doc?.code ?? 'error', doc?.field ?? '', doc?.detail ?? '');
    if (response.status === 401 && options.auth !== false && s) {
      session.set(null);
      signInReason.set('expired');
    }
    throw error;
  }
  return doc as T;
}

export async function signIn(login: string, password: string): Promise<Session> {
  const created = await call<{ token: string; role: string }>('/v1/sessions', {
    method: 'POST',
    body: { login, password },
    auth: false,
  });
  const me = await fetch('/v1/me', { headers: { Authorization: 'Bearer ' + created.token } }).then((r) => r.json());
  const s: Session = {
    token: created.token,
    role: created.role,
    login: me.login,
    person: me.person ?? '',
    employer: me.employer ?? '',
    region: me.region ?? '',
  };
  signInReason.set('');
  session.set(s);
  return s;
}

export async function signOut() {
  try {
    await call('/v1/sessions/current', { method: 'DELETE' });
  } catch {
    /* the session ends here either way */
  }
  acting.set(null);
  session.set(null);
  // Signing out on purpose (a shared phone, a counter computer) leaves no
  // drafts behind; an expired session keeps them.
  try {
    for (const key of Object.keys(sessionStorage)) {
      if (key.startsWith('shebao.draft.')) sessionStorage.removeItem(key);
    }
  } catch {
    /* nothing kept */
  }
  location.assign('/signin');
}

// Whose record the person pages show: the signed-in person, or the person an
// officer acts for.
export function subject(): string {
  const a = acting.get();
  if (a) return a.resident_id;
  return session.get()?.person ?? '';
}

// A fresh Idempotency-Key for a form's submission (kept with its draft, so a
// retry after a lost answer is the same request).
export function newIdempotencyKey(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export function money(fen: number): string {
  const sign = fen < 0 ? '-' : '';
  const abs = Math.abs(fen);
  const yuan = Math.floor(abs / 100)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${sign}${yuan}.${String(abs % 100).padStart(2, '0')}`;
}

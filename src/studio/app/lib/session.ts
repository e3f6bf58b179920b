import { createContext, useContext } from 'react';
import type { Api, Credential } from './api.js';

/**
 * The credential lives in sessionStorage only: it survives a reload of this tab, and is gone when
 * the tab closes. It is never put in a URL, a cookie or localStorage.
 */
const STORAGE_KEY = 'reelay.studio.credential';

export function loadCredential(): Credential | null {
  try {
    const raw = sessionStorage.getItem(STORAGE_KEY);
    if (!raw) return null;
    const v = JSON.parse(raw) as Partial<Credential>;
    if ((v.kind === 'key' || v.kind === 'admin') && typeof v.value === 'string' && v.value) return { kind: v.kind, value: v.value };
  } catch {
    // A corrupt entry is the same as none.
  }
  return null;
}

export function saveCredential(c: Credential): void {
  sessionStorage.setItem(STORAGE_KEY, JSON.stringify(c));
}

export function clearCredential(): void {
  sessionStorage.removeItem(STORAGE_KEY);
}

export interface Session {
  credential: Credential;
  api: Api;
  signOut(notice?: string): void;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside a signed-in shell');
  return s;
}

import { useCallback, useMemo, useState } from 'react';
import { createApi, type Credential } from './lib/api.js';
import { clearCredential, loadCredential, saveCredential, SessionContext, type Session } from './lib/session.js';
import { navigate } from './lib/router.js';
import { SignInPage } from './pages/SignInPage.js';
import { StudioShell } from './pages/StudioShell.js';
import { AdminShell } from './pages/admin/AdminShell.js';

/** Signed out: the sign-in page. Signed in with an API key: the Studio. With the admin token: the operator's console. */
export function App() {
  const [credential, setCredential] = useState<Credential | null>(loadCredential);
  const [notice, setNotice] = useState<string | null>(null);

  const signOut = useCallback((message?: string) => {
    clearCredential();
    setCredential(null);
    setNotice(message ?? null);
    navigate('/', { replace: true });
  }, []);

  const signIn = useCallback((c: Credential) => {
    saveCredential(c);
    setNotice(null);
    setCredential(c);
    navigate(c.kind === 'admin' ? '/admin' : '/', { replace: true });
  }, []);

  const session = useMemo<Session | null>(() => {
    if (!credential) return null;
    const api = createApi(credential, (msg) => signOut(credential.kind === 'admin' ? `Signed out: ${msg}` : `Signed out: ${msg}. Sign in with a valid key.`));
    return { credential, api, signOut };
  }, [credential, signOut]);

  if (!session) return <SignInPage onSignIn={signIn} notice={notice} />;
  return <SessionContext.Provider value={session}>{session.credential.kind === 'admin' ? <AdminShell /> : <StudioShell />}</SessionContext.Provider>;
}

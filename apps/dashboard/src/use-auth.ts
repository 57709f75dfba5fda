import { useCallback, useEffect, useState } from 'react';
import { errorMessage, isTokenValid } from './api.ts';
import { clearToken, loadToken, saveToken, takeTokenFromUrl } from './token-storage.ts';

export type AuthState =
  { phase: 'checking' } | { phase: 'signed-out'; error: string | null; lastToken: string } | { phase: 'signed-in'; token: string };

export interface Auth {
  state: AuthState;
  signIn(token: string): void;
  signOut(error?: string): void;
}

export const INVALID_TOKEN = 'Invalid token';

/** Operator sign-in: a token from the URL or storage, checked against the hub before use. */
export function useAuth(): Auth {
  const [state, setState] = useState<AuthState>({ phase: 'checking' });

  const signIn = useCallback((token: string) => {
    setState({ phase: 'checking' });
    isTokenValid(token).then(
      (valid) => {
        if (!valid) {
          clearToken();
          setState({ phase: 'signed-out', error: INVALID_TOKEN, lastToken: '' });
          return;
        }
        saveToken(token);
        setState({ phase: 'signed-in', token });
      },
      // The hub may just be restarting: keep the token so the operator can retry it.
      (err: unknown) => setState({ phase: 'signed-out', error: `Could not reach the hub: ${errorMessage(err)}`, lastToken: token }),
    );
  }, []);

  const signOut = useCallback((error?: string) => {
    clearToken();
    setState({ phase: 'signed-out', error: error ?? null, lastToken: '' });
  }, []);

  useEffect(() => {
    const fromUrl = takeTokenFromUrl();
    if (fromUrl) saveToken(fromUrl);
    const token = fromUrl ?? loadToken();
    if (token) signIn(token);
    else setState({ phase: 'signed-out', error: null, lastToken: '' });
  }, [signIn]);

  return { state, signIn, signOut };
}

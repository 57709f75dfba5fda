const STORAGE_KEY = 'agentHubToken';

/**
 * The hub prints a one-off sign-in URL (`/?token=…`). Move the token into storage and out of the
 * address bar at once, so it does not linger in history, bookmarks or screen shares.
 */
export function takeTokenFromUrl(): string | null {
  const url = new URL(window.location.href);
  const token = url.searchParams.get('token');
  if (token === null) return null;
  url.searchParams.delete('token');
  window.history.replaceState(window.history.state, '', url.pathname + url.search + url.hash);
  return token.trim() || null;
}

export function loadToken(): string | null {
  return window.localStorage.getItem(STORAGE_KEY);
}

export function saveToken(token: string): void {
  window.localStorage.setItem(STORAGE_KEY, token);
}

export function clearToken(): void {
  window.localStorage.removeItem(STORAGE_KEY);
}

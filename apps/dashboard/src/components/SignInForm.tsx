import { useState, type FormEvent } from 'react';

interface Props {
  busy: boolean;
  error: string | null;
  initialToken: string;
  onSubmit(token: string): void;
}

export function SignInForm({ busy, error, initialToken, onSubmit }: Props) {
  const [token, setToken] = useState(initialToken);

  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const trimmed = token.trim();
    if (trimmed) onSubmit(trimmed);
  }

  return (
    <main className="sign-in">
      <form className="sign-in-card" onSubmit={submit}>
        <h1>Agent Hub</h1>
        <p className="muted">
          Paste the operator token: the hub keeps it in the file <code>operator-token</code> in its data folder (<code>DATA_DIR</code>,{' '}
          <code>./data/operator-token</code> by default) unless <code>HUB_TOKEN</code> sets it, and prints that path at every start.
        </p>
        <label htmlFor="operator-token">Operator token</label>
        <input
          id="operator-token"
          type="password"
          autoComplete="current-password"
          autoFocus
          value={token}
          onChange={(e) => setToken(e.target.value)}
        />
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy || token.trim() === ''}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}

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
        <p className="muted">Use the operator token the hub printed when it started.</p>
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

import { useAuth } from '../use-auth.ts';
import { Dashboard } from './Dashboard.tsx';
import { SignInForm } from './SignInForm.tsx';

export function App() {
  const { state, signIn, signOut } = useAuth();

  if (state.phase === 'signed-in') return <Dashboard token={state.token} onSignOut={signOut} />;
  return (
    <SignInForm
      busy={state.phase === 'checking'}
      error={state.phase === 'signed-out' ? state.error : null}
      initialToken={state.phase === 'signed-out' ? state.lastToken : ''}
      onSubmit={signIn}
    />
  );
}

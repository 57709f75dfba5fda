import type { HubStatus, OperatorIdentity } from '@agent-hub/protocol';
import { LiveIndicator } from './LiveIndicator.tsx';

interface Props {
  status: HubStatus | null;
  connected: boolean;
  identity: OperatorIdentity | null;
  onSignOut(): void;
}

export function Header({ status, connected, identity, onSignOut }: Props) {
  return (
    <header className="header">
      <h1>Agent Hub</h1>
      <dl className="header-facts">
        <dt>Node</dt>
        <dd>{status?.node ?? '—'}</dd>
        <dt>Version</dt>
        <dd>{status?.version ?? '—'}</dd>
        <dt>Signed in as</dt>
        <dd data-testid="signed-in-as">{identity ? `${identity.name} (${identity.scope})` : '—'}</dd>
      </dl>
      <LiveIndicator connected={connected} />
      <button type="button" className="secondary" onClick={onSignOut}>
        Sign out
      </button>
    </header>
  );
}

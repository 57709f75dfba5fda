import { createContext, useContext } from 'react';
import type { OperatorIdentity, OperatorScope } from '@agent-hub/protocol';

/** Who is signed in; null until `GET /api/me` answers (nothing beyond viewing is offered meanwhile). */
export const IdentityContext = createContext<OperatorIdentity | null>(null);

/** True when the signed-in credential's scope covers `scope` (the hub checks again on every call). */
export function useCan(scope: OperatorScope): boolean {
  return useContext(IdentityContext)?.scopes.includes(scope) ?? false;
}

export function useIdentity(): OperatorIdentity | null {
  return useContext(IdentityContext);
}

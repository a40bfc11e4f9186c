// The Content-Security-Policy nonce of the page being rendered. Set on the server by
// entry.server.tsx; browsers hide a script's nonce from the DOM, so on the client it is empty and
// only the server-rendered attributes count.
import { createContext, useContext } from 'react';

export const NonceContext = createContext<string | undefined>(undefined);

export function useNonce(): string | undefined {
  return useContext(NonceContext);
}

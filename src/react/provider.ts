// VerityProvider and useRegistry: the registry a component tree reads through.
import { createContext, createElement, type ReactNode, useContext } from 'react';
import { VerityError } from '../protocol/errors';
import type { Registry } from '../registry/registry-api';
import type { AnySchemaRegistry, RegisteredSchema } from './schema';

const RegistryContext = createContext<AnySchemaRegistry | null>(null);

export interface VerityProviderProps {
  readonly registry: Registry<RegisteredSchema>;
  readonly children?: ReactNode;
}

export function VerityProvider({ registry, children }: VerityProviderProps): ReactNode {
  return createElement(RegistryContext.Provider, { value: registry as AnySchemaRegistry }, children);
}

/** The registry of the nearest VerityProvider. */
export function useRegistry(): Registry<RegisteredSchema> {
  const registry = useContext(RegistryContext);
  if (!registry) {
    throw new VerityError(
      'NO_PROVIDER',
      'useRegistry() (and every verity-xstate/react hook) needs a registry: wrap the tree in <VerityProvider registry={createRegistry()}>.',
    );
  }
  return registry as Registry<RegisteredSchema>;
}
